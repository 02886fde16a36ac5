"""A WebRTC caller for multi-party tests: it logs the level of every frame it hears, per
participant, and the agent's transcripts, so each step is checked by audio at the ear."""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from dataclasses import dataclass, field

import numpy as np
from livekit import rtc

from agent.caller import FINAL_ATTR, SAMPLE_RATE, TRANSCRIBED_TRACK_ATTR, TRANSCRIPTION_TOPIC, Microphone
from agent.caller import synthesize_utterance as synthesize
from agent.config import Settings
from agent.livekit_api import caller_token, create_room_and_dispatch

AUDIBLE_DBFS = -45.0


@dataclass
class HeardFrame:
    at: float
    """Unix time the frame arrived."""
    identity: str
    kind: int
    dbfs: float


@dataclass
class ListeningCaller:
    settings: Settings
    room_name: str = field(default_factory=lambda: f"call-{uuid.uuid4().hex[:10]}")
    frames: list[HeardFrame] = field(default_factory=list)
    agent_said: list[tuple[float, str]] = field(default_factory=list)
    agent_heard: list[str] = field(default_factory=list)
    room: rtc.Room = field(default_factory=rtc.Room)
    _mic: Microphone | None = None
    _mic_sid: str = ""
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def start(self) -> None:
        await create_room_and_dispatch(self.settings, self.room_name)
        room = self.room

        @room.on("track_subscribed")
        def _track(track: rtc.Track, _pub: rtc.RemoteTrackPublication, who: rtc.RemoteParticipant) -> None:
            if track.kind == rtc.TrackKind.KIND_AUDIO:
                stream = rtc.AudioStream(track, sample_rate=SAMPLE_RATE, num_channels=1)
                self._tasks.append(asyncio.create_task(self._listen(stream, who.identity, who.kind)))

        def _text(reader: rtc.TextStreamReader, _identity: str) -> None:
            async def _read() -> None:
                text = await reader.read_all()
                attributes = dict(reader.info.attributes or {})
                # the agent's own speech, not its transcript of ours
                if (
                    attributes.get(FINAL_ATTR) == "true"
                    and attributes.get(TRANSCRIBED_TRACK_ATTR) != self._mic_sid
                ):
                    self.agent_said.append((time.time(), text.strip()))

            self._tasks.append(asyncio.create_task(_read()))

        room.register_text_stream_handler(TRANSCRIPTION_TOPIC, _text)
        await room.connect(
            self.settings.livekit_url, caller_token(self.settings, self.room_name, "caller-test")
        )
        self._mic = Microphone()
        track = rtc.LocalAudioTrack.create_audio_track("microphone", self._mic.source)
        self._mic_sid = (
            await room.local_participant.publish_track(
                track, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
            )
        ).sid
        self._mic.start()

    async def _listen(self, stream: rtc.AudioStream, identity: str, kind: int) -> None:
        async for event in stream:
            samples = np.frombuffer(event.frame.data, dtype=np.int16).astype(np.float64)
            rms = float(np.sqrt(np.mean(samples**2))) if samples.size else 0.0
            dbfs = 20 * np.log10(max(rms, 1e-9) / 32768)
            self.frames.append(HeardFrame(time.time(), identity, kind, dbfs))

    async def say(self, text: str) -> float:
        """Speaks, and returns the unix time the last sample left the microphone."""
        assert self._mic is not None
        ended_perf = await self._mic.speak(synthesize(text).samples)
        return time.time() - (time.perf_counter() - ended_perf)

    async def reply_to(self, text: str, timeout: float = 20.0, quiet: float = 1.5) -> str:
        """Says `text` and returns the agent's reply: every sentence it says after our speech
        ends, until it has said nothing more for `quiet` seconds (a reply may be several segments)."""
        await self.say(text)
        before = len(self.agent_said)  # segments of earlier prompts may still arrive during our speech
        deadline = time.monotonic() + timeout
        last_count, last_change = before, time.monotonic()
        while time.monotonic() < deadline:
            if len(self.agent_said) != last_count:
                last_count, last_change = len(self.agent_said), time.monotonic()
            elif last_count > before and time.monotonic() - last_change >= quiet:
                break
            await asyncio.sleep(0.05)
        assert len(self.agent_said) > before, f"no reply to {text!r}"
        return " ".join(said for _, said in self.agent_said[before:])

    def said_text(self) -> str:
        return " ".join(text for _, text in self.agent_said)

    async def wait_for_text(self, fragment: str, timeout: float, *, nth: int = 1) -> float:
        """Unix time the agent's `nth` segment with `fragment` arrived (a final segment arrives
        as its speech ends)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [at for at, text in self.agent_said if fragment.lower() in text.lower()]
            if len(found) >= nth:
                return found[nth - 1]
            await asyncio.sleep(0.05)
        raise AssertionError(f"the agent never said {fragment!r}; it said: {self.said_text()!r}")

    def first_audible(
        self, *, after: float, identity: str | None = None, agent: bool | None = None
    ) -> float | None:
        for frame in self.frames:
            if frame.at < after or frame.dbfs < AUDIBLE_DBFS:
                continue
            if identity is not None and frame.identity != identity:
                continue
            is_agent = frame.kind == rtc.ParticipantKind.PARTICIPANT_KIND_AGENT
            if agent is not None and is_agent != agent:
                continue
            return frame.at
        return None

    async def wait_audible(
        self, *, after: float, timeout: float, identity: str | None = None, agent: bool | None = None
    ) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.first_audible(after=after, identity=identity, agent=agent)
            if found is not None:
                return found
            await asyncio.sleep(0.05)
        raise AssertionError(
            f"nothing audible from {identity or ('the agent' if agent else 'anyone')} in {timeout} s"
        )

    def longest_silence(self, start: float, end: float) -> float:
        """Longest stretch with nothing audible from anyone, between two unix times."""
        audible = sorted(f.at for f in self.frames if start <= f.at <= end and f.dbfs >= AUDIBLE_DBFS)
        points = [start, *audible, end]
        return max(b - a for a, b in itertools.pairwise(points))

    async def hang_up(self) -> None:
        if self._mic is not None:
            await self._mic.aclose()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.room.disconnect()
