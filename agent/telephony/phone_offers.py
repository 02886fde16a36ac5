"""The transfer desk's phone fallback: SIP_OPERATOR_PHONES, tried in order after the lobby's operators."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from livekit import rtc
from livekit.agents import AgentSession, get_job_context

from agent.call_state import CallState, TransferAttempt
from agent.escalation.human_line import Operator, Outcome
from agent.escalation.packet import build_packet, spoken_brief
from agent.escalation.policy import Escalation
from agent.telephony.phone_leg import PROMPT, PhoneLeg, parse_phones

PHONE_TIER = "phone"


def _caller_identity(room: rtc.Room) -> str:
    callers = [
        p for p in room.remote_participants.values() if p.kind != rtc.ParticipantKind.PARTICIPANT_KIND_AGENT
    ]
    return callers[0].identity if callers else ""


async def offer_phones(
    session: AgentSession[CallState],
    escalation: Escalation,
    deps: Any,
    *,
    synthesize: Callable[[str], AsyncIterator[rtc.AudioFrame]],
    stop_hold: Callable[[], Awaitable[None]],
) -> Operator | None:
    """Rings each phone in turn; the first person who presses 1 is bridged to the caller."""
    from agent.escalation.transfer import HANDOVER, call_span, record_attempt

    state: CallState = session.userdata
    settings = deps.settings
    for person in parse_phones(settings.sip_operator_phones):
        tts = session.tts
        leg = PhoneLeg(
            settings, call_id=state.call_id, person=person, sample_rate=tts.sample_rate if tts else 24000
        )
        started = time.time()
        outcome, reason = await leg.ring()
        if outcome is Outcome.ANSWERED:
            packet = await build_packet(state, escalation, deps.backend)
            outcome, reason = await leg.brief_and_ask(synthesize(f"{spoken_brief(packet)} {PROMPT}"))
        record_attempt(
            state,
            TransferAttempt(PHONE_TIER, person.identity, outcome.value, reason, started, time.time()),
            call_span(session),
        )
        if outcome is not Outcome.ANSWERED:
            await leg.hang_up()
            continue
        await stop_hold()
        state.outcome = "transferred"
        await session.say(HANDOVER.format(name=person.identity), allow_interruptions=False)
        session.output.set_audio_enabled(False)  # the agent stays only as the bridge, silent
        job = get_job_context()
        bridge = asyncio.create_task(leg.bridge(job.room, _caller_identity(job.room)))
        job.add_shutdown_callback(_ender(leg, bridge))
        return Operator(person.identity, PHONE_TIER, person.identity, available=False)
    return None


def _ender(leg: PhoneLeg, bridge: asyncio.Task[None]) -> Callable[[], Awaitable[None]]:
    async def _end() -> None:
        bridge.cancel()
        await leg.hang_up()

    return _end
