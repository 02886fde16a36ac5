"""A call that came in by phone: caller ID, the keypad, cold transfer when configured, and hang-up."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable

from livekit import rtc
from livekit.agents import Agent, AgentSession

from agent.call_state import CallState
from agent.config import Settings
from agent.escalation.policy import Escalation, Trigger
from agent.telephony.caller_id import CALLER_ID_NOTE
from agent.telephony.cold_transfer import ColdTransfer
from agent.telephony.dtmf import KeypadEntry, entry_as_words

logger = logging.getLogger("voice_agent.telephony")

PHONE_NUMBER_ATTRIBUTE = "sip.phoneNumber"
"""Set by livekit-sip on the caller's participant: the From number (caller ID)."""
_ASKS_FOR_NUMBER = re.compile(r"\b(number|zip|postal|code|digits)\b", re.I)


def is_phone_caller(participant: rtc.RemoteParticipant) -> bool:
    return participant.kind == rtc.ParticipantKind.PARTICIPANT_KIND_SIP


def caller_id(participant: rtc.RemoteParticipant) -> str | None:
    """The caller's number as the trunk delivered it; None when withheld."""
    number = participant.attributes.get(PHONE_NUMBER_ATTRIBUTE, "").strip()
    return number or None


_RUNNING: set[asyncio.Future[None]] = set()
"""Background work of phone calls, held so that it is not collected mid-way."""


def _keep(future: asyncio.Future[None]) -> None:
    _RUNNING.add(future)
    future.add_done_callback(_RUNNING.discard)


def _last_agent_text(state: CallState) -> str:
    return next((text for role, text in reversed(state.transcript) if role == "assistant"), "")


async def _note_caller_id(session: AgentSession[CallState]) -> None:
    """Tells the dialog the caller ID is on file, so it looks the caller up before asking who they are."""
    agent = session.current_agent
    chat_ctx = agent.chat_ctx.copy()
    chat_ctx.add_message(role="system", content=CALLER_ID_NOTE)
    await agent.update_chat_ctx(chat_ctx)


def start_phone_call(
    room: rtc.Room,
    caller: rtc.RemoteParticipant,
    session: AgentSession[CallState],
    state: CallState,
    settings: Settings,
    *,
    end_call: Callable[[], Awaitable[None]],
) -> None:
    """Everything a phone call adds to a call: wired once the caller's participant is known."""
    state.transport = "sip"
    state.caller_phone = caller_id(caller)
    if state.caller_phone:
        _keep(asyncio.ensure_future(_note_caller_id(session)))
    if settings.sip_cold_transfer_to:
        warm = state.handoff
        state.handoff = lambda escalation, opening: ColdTransfer(
            escalation=escalation,
            opening=opening,
            settings=settings,
            caller_identity=caller.identity,
            warm=warm,
        )
    keypad = KeypadEntry(
        on_entry=lambda digits: _answer_with_keys(session, state, digits),
        on_person=lambda: _person_please(session, state),
        expecting_number=lambda: bool(_ASKS_FOR_NUMBER.search(_last_agent_text(state))),
    )

    @room.on("sip_dtmf_received")
    def _dtmf(dtmf: rtc.SipDTMF) -> None:
        if dtmf.participant is None or dtmf.participant.identity == caller.identity:
            logger.info("keypad", extra={"digit": dtmf.digit})
            keypad.press(dtmf.digit)

    @room.on("participant_disconnected")
    def _left(participant: rtc.RemoteParticipant) -> None:
        # the phone hung up: end the room now, not after its departure timeout
        if participant.identity == caller.identity:
            _keep(asyncio.ensure_future(end_call()))


def _answer_with_keys(session: AgentSession[CallState], state: CallState, digits: str) -> None:
    words = entry_as_words(digits, _last_agent_text(state))
    if not words:
        return
    session.interrupt()
    session.generate_reply(user_input=words)


def _person_please(session: AgentSession[CallState], state: CallState) -> None:
    escalation: Escalation | None = state.request_escalation(
        Trigger.CALLER_ASKED, "the caller pressed 0 for a person"
    )
    if escalation is None or state.handoff is None:
        return  # already on the way to a person
    logger.info("escalating", extra={"trigger": escalation.trigger.value, "reason": escalation.reason})
    session.interrupt()
    handoff: Agent = state.handoff(escalation, "")
    session.update_agent(handoff)
