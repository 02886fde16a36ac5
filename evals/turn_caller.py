"""A WebRTC caller for the turn-taking benchmark: it speaks at chosen moments, also over the agent,
and keeps a timeline of when the agent was audible and when its transcript segments began."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field

import numpy as np
from livekit import rtc

from agent.audio import rms_dbfs
from agent.caller import (
    AUDIBLE_DBFS,
    FINAL_ATTR,
    SAMPLE_RATE,
    SEGMENT_ATTR,
    TRANSCRIBED_TRACK_ATTR,
    TRANSCRIPTION_TOPIC,
    Microphone,
)
from agent.config import Settings
from agent.livekit_api import caller_token, create_room_and_dispatch

QUIET_GAP_S = 0.25
"""A stretch without agent audio this long means the agent has stopped, not paused between syllables."""


@dataclass
class Segment:
    """One transcript segment the agent published: its own speech, or what it heard from us."""

    opened_at: float
    heard_from_caller: bool
    text: str = ""
    final: bool = False


@dataclass
class Timeline:
    """The agent's audio as heard at the caller: 10 ms frames and whether each was audible."""

    audible_frames: list[tuple[float, float]] = field(default_factory=list)
    """(start, end) of each audible frame, perf_counter seconds at our ear."""

    def add(self, arrived_at: float, samples: np.ndarray) -> None:
        if rms_dbfs(samples) >= AUDIBLE_DBFS:
            self.audible_frames.append((arrived_at - samples.size / SAMPLE_RATE, arrived_at))

    def first_onset_after(self, instant: float) -> float | None:
        return next((start for start, _ in self.audible_frames if start >= instant), None)

    def last_audible_end(self) -> float | None:
        return self.audible_frames[-1][1] if self.audible_frames else None

    def audible_at(self, instant: float, tolerance: float = 0.1) -> bool:
        return any(
            start - tolerance <= instant <= end + tolerance for start, end in self.audible_frames[-400:]
        )

    def gaps(self, start: float, end: float) -> list[tuple[float, float]]:
        """Silent stretches inside [start, end] at least QUIET_GAP_S long, as (from, to)."""
        frames = [(s, e) for s, e in self.audible_frames if e >= start and s <= end]
        found, cursor = [], start
        for frame_start, frame_end in frames:
            if frame_start - cursor >= QUIET_GAP_S:
                found.append((cursor, frame_start))
            cursor = max(cursor, frame_end)
        if end - cursor >= QUIET_GAP_S:
            found.append((cursor, end))
        return found


class TurnCaller:
    """One call: join, dispatch, publish a microphone, listen to the agent's audio and transcripts."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self.room = rtc.Room()
        self.mic = Microphone()
        self.timeline = Timeline()
        self.segments: dict[str, Segment] = {}
        self._mic_sid = ""
        self._tasks: set[asyncio.Task[None]] = set()

    def _spawn(self, coroutine: object) -> None:
        task = asyncio.create_task(coroutine)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _listen(self, track: rtc.Track) -> None:
        stream = rtc.AudioStream(track, sample_rate=SAMPLE_RATE, num_channels=1)
        async for event in stream:
            self.timeline.add(time.perf_counter(), np.frombuffer(event.frame.data, dtype=np.int16))

    async def _read_segment(self, reader: rtc.TextStreamReader) -> None:
        attributes = dict(reader.info.attributes or {})
        segment_id = attributes.get(SEGMENT_ATTR) or uuid.uuid4().hex
        segment = self.segments.setdefault(
            segment_id,
            Segment(time.perf_counter(), attributes.get(TRANSCRIBED_TRACK_ATTR) == self._mic_sid),
        )
        try:
            text = await reader.read_all()
        except Exception:  # the call ended mid-segment
            return
        attributes = dict(reader.info.attributes or {})
        segment.text = text.strip() or segment.text
        segment.final = segment.final or attributes.get(FINAL_ATTR) == "true"

    async def connect(self) -> None:
        room_name = f"turns-{uuid.uuid4().hex[:10]}"
        await create_room_and_dispatch(self._settings, room_name)

        @self.room.on("track_subscribed")
        def _on_track(
            track: rtc.Track, _pub: rtc.RemoteTrackPublication, participant: rtc.RemoteParticipant
        ) -> None:
            if (
                track.kind == rtc.TrackKind.KIND_AUDIO
                and participant.kind == rtc.ParticipantKind.PARTICIPANT_KIND_AGENT
            ):
                self._spawn(self._listen(track))

        self.room.register_text_stream_handler(
            TRANSCRIPTION_TOPIC, lambda reader, _identity: self._spawn(self._read_segment(reader))
        )
        await self.room.connect(
            self._settings.livekit_url, caller_token(self._settings, room_name, "bench-caller")
        )
        track = rtc.LocalAudioTrack.create_audio_track("microphone", self.mic.source)
        publication = await self.room.local_participant.publish_track(
            track, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
        )
        self._mic_sid = publication.sid
        self.mic.start()

    async def say(self, samples: np.ndarray) -> tuple[float, float]:
        """Speak now; returns when the first and the last sample left the microphone."""
        last = await self.mic.speak(samples)
        assert self.mic.first_speech_sample_at is not None
        return self.mic.first_speech_sample_at, last

    async def wait_onset_after(self, instant: float, timeout: float) -> float | None:
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if (onset := self.timeline.first_onset_after(instant)) is not None:
                return onset
            await asyncio.sleep(0.01)
        return None

    async def wait_quiet(self, quiet_s: float, timeout: float) -> None:
        """Until the agent has made no sound for `quiet_s`."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            last = self.timeline.last_audible_end()
            if last is None or time.perf_counter() - last >= quiet_s:
                return
            await asyncio.sleep(0.02)

    def agent_segments_opened(self, start: float, end: float) -> list[Segment]:
        return [s for s in self.segments.values() if not s.heard_from_caller and start <= s.opened_at <= end]

    def heard_from_caller_since(self, instant: float) -> str:
        segments = sorted(
            (s for s in self.segments.values() if s.heard_from_caller and s.final and s.opened_at >= instant),
            key=lambda s: s.opened_at,
        )
        return " ".join(s.text for s in segments)

    async def aclose(self) -> None:
        await self.mic.aclose()
        await self.room.disconnect()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
