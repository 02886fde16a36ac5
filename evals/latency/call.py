"""One scripted call over WebRTC: greeting, then each caller line after the agent's reply has ended.

The microphone is agent/caller.py's (real-time 10 ms frames, silence between lines); what the agent
says is kept whole, each frame stamped on arrival (received_audio.py), so the answer's first word
can be found afterwards with Whisper on exactly the audio the caller heard.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field

from livekit import rtc

from agent.caller import Microphone, Utterance
from agent.config import Settings
from agent.livekit_api import caller_token, create_room_and_dispatch
from evals.latency.received_audio import Clip, Recorder

GREETING_TIMEOUT_S = 20.0
REPLY_TIMEOUT_S = 15.0
"""No audible reply this long after the caller stopped: the turn went unanswered."""
REPLY_DONE_QUIET_S = 3.0
"""Quiet that ends a reply. Longer than agent/caller.py's 1.2 s on purpose: on the cloud profiles a
tool call puts a second LLM request and a TTS request (~1.1-2 s) between a filler and the answer,
and a caller who spoke into that gap would cut the answer off and hide the very failure measured."""
CLIP_LEAD_IN_S = 0.3
"""Quiet kept before the reply's first sound in the clip Whisper reads."""
REPLY_MAX_S = 40.0
"""A reply still going after this long is cut short by the next line."""


@dataclass
class HeardTurn:
    """One caller line and what came back, in perf_counter seconds at the caller."""

    said: str
    speech_started_at: float
    speech_ended_at: float
    """The line's last audible sample left the microphone (lines are trimmed to it: script.py)."""
    first_audible_at: float | None = None
    spoken_over_at: float | None = None
    """The agent was audible while the caller was still saying the line (an early reply): from then."""
    clip: Clip | None = None
    """What the caller heard from the end of its line until it spoke again (or hung up)."""


@dataclass
class HeardCall:
    room: str
    connected_at: float
    unix_offset: float
    """Add to a perf_counter time for unix time: lines the caller up with the worker's spans."""
    greeting_at: float | None = None
    turns: list[HeardTurn] = field(default_factory=list)


class LatencyCaller:
    """Joins a fresh room, dispatches the agent, speaks when spoken to, records everything it hears."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self.room = rtc.Room()
        self.mic = Microphone()
        self.recorder = Recorder()

    async def _wait_audible_after(self, instant: float, timeout: float) -> float | None:
        deadline = time.perf_counter() + timeout
        audio = self.recorder.audio
        while time.perf_counter() < deadline:
            if audio.last_audible_at is not None and audio.last_audible_at >= instant:
                return audio.first_audible_after(instant)
            await asyncio.sleep(0.01)
        return None

    async def _wait_quiet(self, quiet_s: float, timeout: float) -> float:
        """Until the agent has been inaudible for `quiet_s`; returns when that was decided."""
        deadline = time.perf_counter() + timeout
        while (now := time.perf_counter()) < deadline:
            last = self.recorder.audio.last_audible_at
            if last is None or now - last >= quiet_s:
                return now
            await asyncio.sleep(0.02)
        return time.perf_counter()

    def _reply_clip(self, turn: HeardTurn, until: float) -> Clip:
        """What the caller heard after `turn`'s line, opening just before the reply's first sound:
        a long quiet lead-in makes Whisper's first word timestamps less reliable."""
        start = turn.speech_ended_at
        if turn.first_audible_at is not None:
            start = max(start, turn.first_audible_at - CLIP_LEAD_IN_S)
        return self.recorder.audio.clip(start, until)

    async def run(self, lines: list[Utterance]) -> HeardCall:
        room_name = f"latency-{uuid.uuid4().hex[:10]}"
        await create_room_and_dispatch(self._settings, room_name)

        @self.room.on("track_subscribed")
        def _on_track(
            track: rtc.Track, _pub: rtc.RemoteTrackPublication, participant: rtc.RemoteParticipant
        ) -> None:
            if (
                track.kind == rtc.TrackKind.KIND_AUDIO
                and participant.kind == rtc.ParticipantKind.PARTICIPANT_KIND_AGENT
            ):
                self.recorder.attach(track)

        await self.room.connect(
            self._settings.livekit_url, caller_token(self._settings, room_name, "latency-caller")
        )
        connected_at = time.perf_counter()
        call = HeardCall(room_name, connected_at, time.time() - connected_at)
        track = rtc.LocalAudioTrack.create_audio_track("microphone", self.mic.source)
        await self.room.local_participant.publish_track(
            track, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
        )
        self.mic.start()

        call.greeting_at = await self._wait_audible_after(connected_at, GREETING_TIMEOUT_S)
        if call.greeting_at is None:
            return call  # no agent: nothing to time
        await self._wait_quiet(REPLY_DONE_QUIET_S, REPLY_MAX_S)
        previous: HeardTurn | None = None
        for line in lines:
            speaking_from = time.perf_counter()
            if previous is not None:
                previous.clip = self._reply_clip(previous, speaking_from)
            ended_at = await self.mic.speak(line.samples)
            assert self.mic.first_speech_sample_at is not None
            turn = HeardTurn(line.label, self.mic.first_speech_sample_at, ended_at)
            call.turns.append(turn)
            during = self.recorder.audio.first_audible_after(turn.speech_started_at)
            if during is not None and during < ended_at:
                turn.spoken_over_at = during
            turn.first_audible_at = await self._wait_audible_after(ended_at, REPLY_TIMEOUT_S)
            if turn.first_audible_at is not None:
                await self._wait_quiet(REPLY_DONE_QUIET_S, REPLY_MAX_S)
            previous = turn
        if previous is not None:
            previous.clip = self._reply_clip(previous, time.perf_counter())
        return call

    async def aclose(self) -> None:
        await self.mic.aclose()
        await self.recorder.aclose()
        await self.room.disconnect()


async def place_latency_call(settings: Settings, lines: list[Utterance]) -> HeardCall:
    caller = LatencyCaller(settings)
    try:
        return await caller.run(lines)
    finally:
        await caller.aclose()
