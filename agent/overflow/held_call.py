"""One call held in line: joins the caller's room, tells them honestly they are waiting, plays hold
audio, and asks the server for an agent when its turn comes, until one joins or the caller leaves."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

from livekit import api, rtc
from opentelemetry import trace

from agent.config import Settings
from agent.livekit_api import cancel_dispatch, dispatch_agent, dispatch_jobs
from agent.overflow.hold_audio import SAMPLE_RATE, HoldAudio
from agent.overflow.rescue import keep_alive
from agent.overflow.waiting_line import WaitingLine

logger = logging.getLogger("voice_agent.overflow")

QUEUED_METADATA_KEY = "voice.queue"
"""In a dispatch's metadata: this job takes over a call that waited in line (greeting, admission)."""
CALLER_JOIN_TIMEOUT_S = 60.0
"""A room whose caller never arrives is left; the dispatch came before the caller joined."""
DISPATCH_TAKEN_WITHIN_S = 1.5
"""A worker answers a job offer in milliseconds; a dispatch with no job by then was dropped."""
AGENT_JOIN_TIMEOUT_S = 15.0
"""A job that was taken but whose agent never joins (its process died starting) is given up."""


class QueueOutcome(StrEnum):
    ANSWERED = "answered"
    """An agent joined the room and took the call over."""
    CALLER_LEFT = "caller_left"
    CALLER_NEVER_JOINED = "caller_never_joined"
    WORKER_STOPPED = "worker_stopped"


def is_handoff(job_metadata: str) -> bool:
    """Whether a job was dispatched for a call that waited in line."""
    try:
        return QUEUED_METADATA_KEY in json.loads(job_metadata or "{}")
    except (ValueError, TypeError):
        return False


def waited_seconds(job_metadata: str) -> float | None:
    try:
        return float(json.loads(job_metadata)[QUEUED_METADATA_KEY]["waited_s"])
    except (ValueError, TypeError, KeyError):
        return None


@dataclass
class HeldCall:
    settings: Settings
    line: WaitingLine
    hold_audio: HoldAudio
    job_id: str
    room_name: str
    url: str
    token: str
    retry_every_s: float
    hold_update_every_s: float
    tracer: trace.Tracer

    async def run(self) -> QueueOutcome:
        started = time.monotonic()
        # the outcome is traced beside the calls' own voice.call spans, in the same span files
        with self.tracer.start_as_current_span(
            "voice.queue", attributes={"voice.room": self.room_name}
        ) as span:
            outcome = await self._hold(span)
            span.set_attribute("voice.queue.outcome", outcome.value)
            span.set_attribute("voice.queue.wait_s", round(time.monotonic() - started, 3))
        logger.info(
            "call left the waiting line",
            extra={"room": self.room_name, "outcome": outcome.value, "waited_s": time.monotonic() - started},
        )
        return outcome

    async def _hold(self, span: trace.Span) -> QueueOutcome:
        room = rtc.Room()
        agent_joined = asyncio.Event()
        caller_gone = asyncio.Event()

        @room.on("participant_connected")
        def _joined(participant: rtc.RemoteParticipant) -> None:
            if participant.kind == rtc.ParticipantKind.PARTICIPANT_KIND_AGENT:
                agent_joined.set()

        @room.on("participant_disconnected")
        def _left(_participant: rtc.RemoteParticipant) -> None:
            if not _callers(room):
                caller_gone.set()

        @room.on("disconnected")
        def _closed(_reason: object) -> None:
            caller_gone.set()

        playing: asyncio.Task[None] | None = None
        heartbeat: asyncio.Task[None] | None = None
        source = rtc.AudioSource(SAMPLE_RATE, 1, queue_size_ms=100)  # short: stops soon after an agent joins
        try:
            await room.connect(self.url, self.token)
            # published before the caller arrives, so they subscribe as they join and hear the first word
            await room.local_participant.publish_track(
                rtc.LocalAudioTrack.create_audio_track("waiting-line", source),
                rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE),
            )
            heartbeat = asyncio.create_task(
                keep_alive(room.local_participant)
            )  # rescue.py: a dead line is found
            if not await _wait_for_caller(room, CALLER_JOIN_TIMEOUT_S):
                return QueueOutcome.CALLER_NEVER_JOINED
            span.set_attribute("voice.queue.position", self.line.position(self.job_id) or 0)
            playing = asyncio.create_task(self._play(source))
            return await self._until_answered(agent_joined, caller_gone)
        except asyncio.CancelledError:
            return QueueOutcome.WORKER_STOPPED
        finally:
            self.line.leave(self.job_id)
            for task in (playing, heartbeat):
                if task is not None:
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)
            await source.aclose()
            await room.disconnect()

    async def _play(self, source: rtc.AudioSource) -> None:
        for frame in self.hold_audio.frames(update_every_s=self.hold_update_every_s):
            await source.capture_frame(frame)  # paces itself: returns as the queue drains

    async def _until_answered(self, agent_joined: asyncio.Event, caller_gone: asyncio.Event) -> QueueOutcome:
        waiting_since = time.monotonic()
        while True:
            if agent_joined.is_set():  # a dispatch given up on came through late after all
                return QueueOutcome.ANSWERED
            turn = asyncio.create_task(self.line.wait_for_turn(self.job_id, retry_every_s=self.retry_every_s))
            if await _first(turn, caller_gone) is caller_gone:
                return QueueOutcome.CALLER_LEFT
            answered = await self._ask_for_agent(time.monotonic() - waiting_since, agent_joined, caller_gone)
            if answered is not None:
                return answered

    async def _ask_for_agent(
        self, waited_s: float, agent_joined: asyncio.Event, caller_gone: asyncio.Event
    ) -> QueueOutcome | None:
        metadata = json.dumps({QUEUED_METADATA_KEY: {"waited_s": round(waited_s, 1)}})
        try:
            dispatch_id = await dispatch_agent(self.settings, self.room_name, metadata=metadata)
        except (api.TwirpError, OSError, TimeoutError) as exc:
            logger.warning("could not ask for an agent; will retry", extra={"error": str(exc)})
            return None
        taken = await _poll(
            lambda: dispatch_jobs(self.settings, self.room_name, dispatch_id),
            within_s=DISPATCH_TAKEN_WITHIN_S,
        )
        if taken:
            joined = asyncio.create_task(agent_joined.wait())
            winner = await _first(joined, caller_gone, timeout=AGENT_JOIN_TIMEOUT_S)
            if winner is joined:
                return QueueOutcome.ANSWERED
            if winner is caller_gone:
                return QueueOutcome.CALLER_LEFT
        # every worker was full (the server dropped the dispatch), or the agent never came
        with contextlib.suppress(api.TwirpError, OSError, TimeoutError):
            await cancel_dispatch(self.settings, self.room_name, dispatch_id)
        return None


def _callers(room: rtc.Room) -> list[rtc.RemoteParticipant]:
    return [
        p for p in room.remote_participants.values() if p.kind != rtc.ParticipantKind.PARTICIPANT_KIND_AGENT
    ]


async def _wait_for_caller(room: rtc.Room, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not _callers(room):
        if time.monotonic() >= deadline or not room.isconnected():
            return False
        await asyncio.sleep(0.05)
    return True


async def _first(task: asyncio.Task[object], event: asyncio.Event, *, timeout: float | None = None) -> object:
    """Whichever finishes first, `task` or `event`; None on timeout. The loser is cancelled."""
    event_task = asyncio.create_task(event.wait())
    done, pending = await asyncio.wait(
        {task, event_task}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
    )
    for loser in pending:
        loser.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    if task in done:
        return task
    return event if event_task in done else None


async def _poll(count: Callable[[], Awaitable[int | None]], *, within_s: float) -> bool:
    """Whether `count` turned positive within `within_s`."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        with contextlib.suppress(api.TwirpError, OSError, TimeoutError):
            if (await count() or 0) > 0:
                return True
        await asyncio.sleep(0.2)
    return False
