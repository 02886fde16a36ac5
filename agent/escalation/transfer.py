"""Warm transfer on the open-source server: hold the caller, offer the call to people in order,
brief the one who accepts, then bring them into the caller's room (no MoveParticipant needed)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from livekit import api, rtc
from livekit.agents import Agent, get_job_context
from livekit.agents.voice.background_audio import AudioConfig, BackgroundAudioPlayer, BuiltinAudioClip
from opentelemetry import trace

from agent.call_state import CallState, TransferAttempt
from agent.config import Settings
from agent.escalation.hours import BusinessHours
from agent.escalation.human_line import HumanLine, Operator, Outcome
from agent.escalation.packet import build_packet, spoken_brief
from agent.escalation.policy import Escalation
from agent.livekit_api import OPERATOR_ROLE_ATTRIBUTE, call_room_token
from agent.telephony.phone_offers import offer_phones
from tools.backend import Backend

logger = logging.getLogger("voice_agent.escalation")

JOIN_WAIT_S = 10.0
"""An accepted human who has not joined the caller's room by then has failed."""
QUEUE_POLL_S = 0.25

HOLD_MESSAGE = "I'm connecting you to someone from our team now. Please hold for a moment."
EMERGENCY_HOLD_MESSAGE = "I'm connecting you to our emergency line now. Please stay on the line."
HOLD_UPDATE = "Thanks for holding. I'm still trying to reach someone for you."
HANDOVER = "You're through to {name} from our team, who has the details of your call."
HOLD_ATTRIBUTE = "voice.hold"
"""On the agent in the caller's room while the caller is held for a person: a web caller's page shows
"transferring" (docs/web.md). Cleared when the person is through or the call goes to voicemail."""


@dataclass
class EscalationDeps:
    """What the transfer and voicemail need from the worker, per call."""

    settings: Settings
    backend: Backend | None
    store_callback: Callable[..., Awaitable[Any]]
    """FrontDeskTools.store_callback: the idempotent callback path."""

    @property
    def hours(self) -> BusinessHours:
        return BusinessHours.parse(self.settings.business_hours, self.settings.business_timezone)


def _tiers(escalation: Escalation) -> list[str]:
    # a caller who asked for a manager reaches one first; everyone else, the first tier
    return ["supervisor", "first"] if escalation.first_tier == "supervisor" else ["first", "supervisor"]


def call_span(session: object) -> trace.Span:
    from agent.telemetry.call_telemetry import telemetry_for

    telemetry = telemetry_for(session)  # type: ignore[arg-type]
    return telemetry.observer.spans.call_span if telemetry is not None else trace.get_current_span()


def record_attempt(state: CallState, attempt: TransferAttempt, span: trace.Span) -> None:
    """One typed outcome: a span event on the call, a log line, and part of the call's outcome."""
    state.transfer_attempts.append(attempt)
    span.add_event(
        "voice.transfer.attempt",
        {
            "tier": attempt.tier,
            "operator": attempt.operator,
            "outcome": attempt.outcome,
            "reason": attempt.reason,
        },
    )
    logger.info(
        "transfer attempt",
        extra={
            "tier": attempt.tier,
            "operator": attempt.operator,
            "outcome": attempt.outcome,
            "reason": attempt.reason,
        },
    )


async def _mark_hold(on: bool) -> None:
    try:
        room = get_job_context().room
        await room.local_participant.set_attributes({HOLD_ATTRIBUTE: "transfer" if on else ""})
    except Exception:  # no job (unit tests), or the room is gone: nobody left to show it to
        logger.debug("could not mark the hold", exc_info=True)


class TransferDesk(Agent):
    """The call while it goes to a person: the caller is held, never in dead air, and the agent
    says it is connecting only once someone is actually there to be offered the call."""

    def __init__(self, *, escalation: Escalation, opening: str, deps: EscalationDeps) -> None:
        super().__init__(instructions="You are holding the caller while a person is found.", llm=None)
        self._escalation = escalation
        self._opening = opening
        self._deps = deps
        self._task: asyncio.Task[None] | None = None
        self._hold: BackgroundAudioPlayer | None = None
        self._line: HumanLine | None = None
        self._ringing: tuple[Operator, str] | None = None
        self.triggered_at = time.time()

    async def on_enter(self) -> None:
        call_span(self.session).add_event(
            "voice.escalation.triggered",
            {"trigger": self._escalation.trigger.value, "emergency": self._escalation.emergency},
        )
        self.session.input.set_audio_enabled(False)  # on hold: nothing the caller says starts a reply
        await _mark_hold(True)
        self._task = asyncio.create_task(self._run(), name="transfer")
        self.session.on("close", self._on_session_close)
        with contextlib.suppress(RuntimeError):
            get_job_context().add_shutdown_callback(self.aclose)

    def _on_session_close(self, _event: object) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()

    async def on_exit(self) -> None:
        await self._stop_hold()
        await _mark_hold(False)

    # --- the flow ---------------------------------------------------------------------

    async def _run(self) -> None:
        state: CallState = self.session.userdata
        settings = self._deps.settings
        if self._opening:
            await self.session.say(self._opening, allow_interruptions=False)
        if not self._deps.hours.is_open():
            return self._to_voicemail("after_hours")
        tts = self.session.tts
        line = HumanLine(settings, call_id=state.call_id, priority=self._escalation.priority)
        self._line = line
        try:
            reachable = await line.anyone_signed_in()
        except (api.TwirpError, aiohttp.ClientError, OSError) as exc:
            logger.warning("the operator lobby is unreachable", extra={"reason": str(exc)[:120]})
            reachable = False
        if not reachable and not settings.sip_operator_phones:  # phones: agent/telephony/phone_offers.py
            return self._to_voicemail("nobody_available")

        # somebody is signed in: the caller hears so at once, while the lobby is joined
        hold_message = EMERGENCY_HOLD_MESSAGE if self._escalation.emergency else HOLD_MESSAGE
        handle = self.session.say(hold_message, allow_interruptions=False, add_to_chat_ctx=False)
        updates: asyncio.Task[None] | None = None
        try:
            await asyncio.gather(
                line.open(brief_sample_rate=tts.sample_rate if tts is not None else 24000), self._start_hold()
            )
            updates = asyncio.create_task(self._hold_updates())
            # offers ring while the hold message plays: the human is found sooner
            answered = await self._offer_in_order(state, line)
            if answered is None and settings.sip_operator_phones:
                answered = await offer_phones(
                    self.session,
                    self._escalation,
                    self._deps,
                    synthesize=self._synthesize,
                    stop_hold=self._stop_hold,
                )
            await handle
        except asyncio.CancelledError:
            await self._caller_left(state)
            raise
        except (rtc.ConnectError, OSError) as exc:
            logger.warning("could not join the operator lobby", extra={"reason": str(exc)[:120]})
            answered = None
        finally:
            if updates is not None:
                updates.cancel()
        await line.close()
        if answered is None:
            await self._stop_hold()
            return self._to_voicemail("nobody_answered")

    async def _offer_in_order(self, state: CallState, line: HumanLine) -> Operator | None:
        settings = self._deps.settings
        deadline = time.monotonic() + settings.hold_max_wait_s
        tried: set[str] = set()
        for tier in _tiers(self._escalation):
            while time.monotonic() < deadline:
                candidates = [o for o in line.signed_in(tier) if o.identity not in tried]
                if not candidates:
                    break
                free = [o for o in candidates if o.available]
                if not free:
                    for operator in candidates:  # everyone of this tier is on another call
                        tried.add(operator.identity)
                        record_attempt(
                            state,
                            TransferAttempt(tier, operator.identity, Outcome.BUSY.value, "on another call"),
                            call_span(self.session),
                        )
                    break
                if line.calls_ahead() >= len(free):
                    await asyncio.sleep(QUEUE_POLL_S)  # an earlier call, or an emergency, goes first
                    continue
                operator = free[0]
                tried.add(operator.identity)
                if await self._attempt(state, line, operator):
                    return operator
        return None

    async def _attempt(self, state: CallState, line: HumanLine, operator: Operator) -> bool:
        settings = self._deps.settings
        offer_id = uuid.uuid4().hex[:12]
        started = time.time()
        packet = await build_packet(state, self._escalation, self._deps.backend)
        payload = {
            "offer_id": offer_id,
            "tier": operator.tier,
            "emergency": self._escalation.emergency,
            "ring_timeout_s": settings.ring_timeout_s,
            "packet": packet,
        }
        self._ringing = (operator, offer_id)  # a caller who hangs up now withdraws this offer
        outcome, reason = await line.offer(operator, payload)
        self._ringing = None
        if outcome is Outcome.ANSWERED:
            outcome, reason = await self._brief_and_connect(state, line, operator, offer_id, packet)
        record_attempt(
            state,
            TransferAttempt(operator.tier, operator.identity, outcome.value, reason, started, time.time()),
            call_span(self.session),
        )
        return outcome is Outcome.ANSWERED

    async def _brief_and_connect(
        self, state: CallState, line: HumanLine, operator: Operator, offer_id: str, packet: dict[str, Any]
    ) -> tuple[Outcome, str]:
        settings = self._deps.settings
        if not await line.brief(operator, self._synthesize(spoken_brief(packet))):
            return Outcome.FAILED, "the operator left during the brief"
        joined = self._wait_for_human(operator.identity)
        token = call_room_token(settings, state.room, operator.identity, name=operator.name)
        if not await line.connect(operator, offer_id=offer_id, room=state.room, token=token):
            joined.cancel()
            return Outcome.FAILED, "the operator did not take the join ticket"
        try:
            await asyncio.wait_for(joined, JOIN_WAIT_S)
        except TimeoutError:
            return Outcome.FAILED, f"the operator did not join within {JOIN_WAIT_S:.0f} s"
        await self._stop_hold()
        await _mark_hold(False)
        state.outcome = "transferred"
        await self.session.say(HANDOVER.format(name=operator.name), allow_interruptions=False)
        asyncio.get_running_loop().call_soon(self._after_handover)
        return Outcome.ANSWERED, ""

    def _wait_for_human(self, identity: str) -> asyncio.Future[None]:
        """Resolves once the human is in the caller's room with their microphone published."""
        room = get_job_context().room
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def _check(*_: object) -> None:
            participant = room.remote_participants.get(identity)
            if participant is None or future.done():
                return
            if participant.attributes.get(OPERATOR_ROLE_ATTRIBUTE) != "operator":
                return
            if any(p.kind == rtc.TrackKind.KIND_AUDIO for p in participant.track_publications.values()):
                future.set_result(None)

        room.on("track_published", _check)
        room.on("participant_connected", _check)
        future.add_done_callback(
            lambda _: (room.off("track_published", _check), room.off("participant_connected", _check))
        )
        _check()
        return future

    def _after_handover(self) -> None:
        if self._deps.settings.transfer_agent_stays:
            self.session.output.set_audio_enabled(False)
            return
        # the caller and the human keep the room; the agent's job (and its worker slot) ends
        get_job_context().shutdown(reason="transferred to a person")

    def _to_voicemail(self, why: str) -> None:
        from agent.escalation.voicemail import VoicemailDesk

        self.session.update_agent(VoicemailDesk(why=why, escalation=self._escalation, deps=self._deps))

    async def _caller_left(self, state: CallState) -> None:
        if self._ringing is not None and self._line is not None:
            operator, offer_id = self._ringing
            record_attempt(
                state,
                TransferAttempt(operator.tier, operator.identity, Outcome.CALLER_HUNG_UP.value),
                call_span(self.session),
            )
            await self._line.cancel(operator, offer_id, "the caller hung up")
        if self._line is not None:
            await self._line.close()

    # --- hold ---------------------------------------------------------------------------

    async def _start_hold(self) -> None:
        source = self._deps.settings.hold_audio
        if source == "off":
            return
        clip: Any = BuiltinAudioClip.HOLD_MUSIC if source == "builtin" else source
        self._hold = BackgroundAudioPlayer()
        await self._hold.start(room=get_job_context().room, agent_session=self.session)
        self._hold.play(AudioConfig(clip, volume=0.6), loop=True)

    async def _stop_hold(self) -> None:
        hold, self._hold = self._hold, None
        if hold is not None:
            await hold.aclose()

    async def _hold_updates(self) -> None:
        while True:
            await asyncio.sleep(self._deps.settings.hold_update_every_s)
            self.session.say(HOLD_UPDATE, allow_interruptions=False, add_to_chat_ctx=False)

    async def _synthesize(self, text: str) -> AsyncIterator[rtc.AudioFrame]:
        tts = self.session.tts
        assert tts is not None
        async with tts.synthesize(text) as stream:
            async for audio in stream:
                yield audio.frame

    async def aclose(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        await self._stop_hold()
        if self._line is not None:
            await self._line.close()
