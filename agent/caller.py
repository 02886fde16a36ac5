"""A caller over WebRTC: joins a room, dispatches the agent, speaks, listens and measures.

Latency is measured at the caller's ear: from the last sample of our speech leaving the
microphone track to the first audible sample of the agent's reply arriving (energy onset),
not from framework events.
"""

from __future__ import annotations

import asyncio
import json
import logging
import statistics
import sys
import time
import uuid
from argparse import Namespace
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import aiohttp
import numpy as np
from livekit import api, rtc

from agent.audio import AudioInputError, first_audible_sample, read_wav, resample
from agent.config import Settings
from agent.livekit_api import caller_token, create_room_and_dispatch

SAMPLE_RATE = 48000
FRAME_MS = 10
SAMPLES_PER_FRAME = SAMPLE_RATE * FRAME_MS // 1000
AUDIBLE_DBFS = -45.0
REPLY_DONE_SILENCE_S = 1.2
"""Quiet after agent audio that ends a reply; longer than the pauses between TTS sentences."""
CALLER_WORDS_PER_MINUTE = 150
"""A little slower than the agent: synthetic callers should be easy to understand."""
TRANSCRIPTION_TOPIC = "lk.transcription"
TRANSCRIBED_TRACK_ATTR = "lk.transcribed_track_id"
FINAL_ATTR = "lk.transcription_final"
SEGMENT_ATTR = "lk.segment_id"


class CallError(Exception):
    """The call could not be placed; the message is one line."""


@dataclass
class Utterance:
    label: str
    samples: np.ndarray  # int16 mono at SAMPLE_RATE


@dataclass
class TurnReport:
    said: str
    agent_heard: str = ""
    agent_said: str = ""
    round_trip_ms: float | None = None
    answered: bool = False
    speech_ended_at: float | None = None
    """Unix time our last speech sample left: lines the turn up with the agent's spans."""
    reply_heard_at: float | None = None
    """Unix time the reply's first audible sample arrived."""


@dataclass
class CallReport:
    room: str
    greeting_text: str = ""
    greeting_ms: float | None = None
    greeted_by: str = ""
    """Identity of the participant first heard: the agent, or the waiting line when every agent was busy."""
    turns: list[TurnReport] = field(default_factory=list)

    @property
    def answered_all(self) -> bool:
        return self.greeting_ms is not None and all(turn.answered for turn in self.turns)

    def round_trip_summary(self) -> dict[str, float | int | None]:
        values = sorted(t.round_trip_ms for t in self.turns if t.round_trip_ms is not None)
        if not values:
            return {"count": 0, "median_ms": None, "p95_ms": None}
        p95_index = max(0, int(np.ceil(0.95 * len(values))) - 1)
        return {
            "count": len(values),
            "median_ms": round(statistics.median(values), 1),
            "p95_ms": round(values[p95_index], 1),
        }

    def to_json(self) -> dict[str, object]:
        return {
            "room": self.room,
            "greeting": {"text": self.greeting_text, "ms": self.greeting_ms, "by": self.greeted_by},
            "turns": [asdict(turn) for turn in self.turns],
            "round_trip": self.round_trip_summary(),
            "answered_all": self.answered_all,
        }


def synthesize_utterance(text: str) -> Utterance:
    from agent.providers.offline.espeak import EspeakEngine

    engine = EspeakEngine.shared()
    samples = engine.synthesize(text, words_per_minute=CALLER_WORDS_PER_MINUTE)
    return Utterance(label=text, samples=resample(samples, engine.sample_rate, SAMPLE_RATE))


class _Microphone:
    """Streams 10 ms frames in real time, speech when queued and silence otherwise, as a real mic does.

    Continuous silence matters: the agent's VAD only sees the end of speech if audio keeps coming.
    """

    def __init__(self) -> None:
        self.source = rtc.AudioSource(SAMPLE_RATE, 1, queue_size_ms=FRAME_MS * 2)
        self._pending: list[np.ndarray] = []
        self._speech_done = asyncio.Event()
        self._speech_starting = False
        self.first_speech_sample_at: float | None = None
        """When the first sample of the latest speech left, as a perf_counter time."""
        self.last_speech_sample_at: float | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._pump())

    async def speak(self, samples: np.ndarray) -> float:
        """Queue speech and return when its last sample left, as a perf_counter time."""
        self._speech_done.clear()
        self._speech_starting = True
        padded = np.concatenate([samples, np.zeros((-samples.size) % SAMPLES_PER_FRAME, np.int16)])
        self._pending = list(padded.reshape(-1, SAMPLES_PER_FRAME))
        await self._speech_done.wait()
        assert self.last_speech_sample_at is not None
        return self.last_speech_sample_at

    async def _pump(self) -> None:
        silence = np.zeros(SAMPLES_PER_FRAME, np.int16)
        next_at = time.perf_counter()
        while True:
            speaking = bool(self._pending)
            chunk = self._pending.pop(0) if speaking else silence
            frame = rtc.AudioFrame(chunk.tobytes(), SAMPLE_RATE, 1, SAMPLES_PER_FRAME)
            await self.source.capture_frame(frame)
            if speaking and self._speech_starting:
                self._speech_starting = False
                self.first_speech_sample_at = (
                    time.perf_counter() + self.source.queued_duration - FRAME_MS / 1000
                )
            if speaking and not self._pending:
                # the last sample is sent when the source's queue drains, not when it was queued
                self.last_speech_sample_at = time.perf_counter() + self.source.queued_duration
                self._speech_done.set()
            next_at += FRAME_MS / 1000
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))

    async def aclose(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.source.aclose()


class _AgentEar:
    """Listens to the agent's audio track and timestamps audible onsets."""

    def __init__(self) -> None:
        self.onsets: list[float] = []
        self.speakers: list[str] = []
        """Who each onset came from (participant identity), in step with `onsets`."""
        self.last_audible_at: float | None = None
        self._tasks: list[asyncio.Task[None]] = []

    def attach(self, track: rtc.Track, identity: str = "") -> None:
        stream = rtc.AudioStream(track, sample_rate=SAMPLE_RATE, num_channels=1)
        self._tasks.append(asyncio.create_task(self._listen(stream, identity)))

    async def _listen(self, stream: rtc.AudioStream, identity: str = "") -> None:
        async for event in stream:
            arrived_at = time.perf_counter()
            samples = np.frombuffer(event.frame.data, dtype=np.int16)
            onset = first_audible_sample(samples, SAMPLE_RATE, threshold_dbfs=AUDIBLE_DBFS)
            if onset is None:
                continue
            # The frame arrived whole: its sample `onset` was heard (len - onset) samples earlier.
            heard_at = arrived_at - (samples.size - onset) / SAMPLE_RATE
            if self.last_audible_at is None or heard_at - self.last_audible_at > REPLY_DONE_SILENCE_S:
                self.onsets.append(heard_at)
                self.speakers.append(identity)
            self.last_audible_at = arrived_at

    def first_onset_after(self, instant: float) -> float | None:
        return next((t for t in self.onsets if t >= instant), None)

    async def wait_for_onset_after(self, instant: float, timeout: float) -> float | None:
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            # an onset may also be a continuation that started just before `instant`
            onset = self.first_onset_after(instant)
            if onset is None and self.last_audible_at is not None and self.last_audible_at > instant:
                onset = instant
            if onset is not None:
                return onset
            await asyncio.sleep(0.005)
        return None

    async def wait_until_quiet(self, timeout: float) -> None:
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            last = self.last_audible_at
            if last is not None and time.perf_counter() - last >= REPLY_DONE_SILENCE_S:
                return
            await asyncio.sleep(0.02)

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


@dataclass
class _Transcripts:
    """Final transcription segments the agent publishes: its own speech and what it heard from us."""

    agent_said: dict[str, tuple[float, str]] = field(default_factory=dict)
    agent_heard: dict[str, tuple[float, str]] = field(default_factory=dict)
    mic_track_sid: str = ""

    def record(self, attributes: dict[str, str], text: str) -> None:
        if attributes.get(FINAL_ATTR) != "true" or not text.strip():
            return
        heard_from_us = attributes.get(TRANSCRIBED_TRACK_ATTR) == self.mic_track_sid
        target = self.agent_heard if heard_from_us else self.agent_said
        # a segment may be re-sent as it firms up; the last final version wins
        segment_id = attributes.get(SEGMENT_ATTR) or uuid.uuid4().hex
        first_seen = target.get(segment_id, (time.perf_counter(), ""))[0]
        target[segment_id] = (first_seen, text.strip())

    def since(self, instant: float, *, heard: bool) -> str:
        items = (self.agent_heard if heard else self.agent_said).values()
        return " ".join(text for at, text in sorted(items) if at >= instant).strip()


async def _dispatch_agent(settings: Settings, room_name: str) -> None:
    try:
        await create_room_and_dispatch(settings, room_name)
    except api.TwirpError as exc:
        if exc.status in (401, 403):
            raise CallError(
                "LiveKit rejected the API key or secret (LIVEKIT_API_KEY / LIVEKIT_API_SECRET)"
            ) from None
        raise CallError(f"LiveKit refused the dispatch: {exc.message}") from None
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        raise CallError(
            f"cannot reach the LiveKit server at {settings.livekit_url}: {exc or type(exc).__name__}"
        ) from None


async def place_call(
    settings: Settings,
    utterances: list[Utterance],
    *,
    room_name: str | None = None,
    timeout: float = 20.0,
    dispatch: bool = True,
    on_reply_started: Callable[[int], None] | None = None,
) -> CallReport:
    """Call the agent, speak each utterance after the previous reply, and report what was heard."""
    room_name = room_name or f"call-{uuid.uuid4().hex[:10]}"
    report = CallReport(room=room_name)
    if dispatch:
        await _dispatch_agent(settings, room_name)

    room = rtc.Room()
    ear = _AgentEar()
    transcripts = _Transcripts()
    mic = _Microphone()
    reader_tasks: set[asyncio.Task[None]] = set()

    @room.on("track_subscribed")
    def _on_track(
        track: rtc.Track, _pub: rtc.RemoteTrackPublication, participant: rtc.RemoteParticipant
    ) -> None:
        if (
            track.kind == rtc.TrackKind.KIND_AUDIO
            and participant.kind == rtc.ParticipantKind.PARTICIPANT_KIND_AGENT
        ):
            ear.attach(track, participant.identity)

    async def _read_segment(reader: rtc.TextStreamReader) -> None:
        text = await reader.read_all()
        transcripts.record(dict(reader.info.attributes or {}), text)

    def _on_transcription(reader: rtc.TextStreamReader, _identity: str) -> None:
        task = asyncio.create_task(_read_segment(reader))
        reader_tasks.add(task)
        task.add_done_callback(reader_tasks.discard)

    room.register_text_stream_handler(TRANSCRIPTION_TOPIC, _on_transcription)
    try:
        try:
            await room.connect(
                settings.livekit_url, caller_token(settings, room_name, f"caller-{uuid.uuid4().hex[:6]}")
            )
        except rtc.ConnectError as exc:
            raise CallError(f"cannot join room {room_name} at {settings.livekit_url}: {exc}") from None
        joined_at = time.perf_counter()
        unix_offset = time.time() - joined_at  # measured on perf_counter, reported as unix time
        track = rtc.LocalAudioTrack.create_audio_track("microphone", mic.source)
        publication = await room.local_participant.publish_track(
            track, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
        )
        transcripts.mic_track_sid = publication.sid
        mic.start()

        greeting_at = await ear.wait_for_onset_after(joined_at, timeout)
        if greeting_at is None:
            return report
        report.greeting_ms = round((greeting_at - joined_at) * 1000, 1)
        if greeting_at in ear.onsets:
            report.greeted_by = ear.speakers[ear.onsets.index(greeting_at)]
        await ear.wait_until_quiet(timeout)
        await asyncio.sleep(0.3)  # let the greeting's final transcript segment arrive
        report.greeting_text = transcripts.since(joined_at, heard=False)

        for utterance in utterances:
            turn = TurnReport(said=utterance.label)
            report.turns.append(turn)
            started_at = time.perf_counter()
            speech_end = await mic.speak(utterance.samples)
            onset = await ear.wait_for_onset_after(speech_end, timeout)
            if onset is None:
                break
            turn.answered = True
            if on_reply_started is not None:
                on_reply_started(len(report.turns) - 1)
            turn.round_trip_ms = round((onset - speech_end) * 1000, 1)
            turn.speech_ended_at = round(speech_end + unix_offset, 4)
            turn.reply_heard_at = round(onset + unix_offset, 4)
            await ear.wait_until_quiet(timeout)
            await asyncio.sleep(0.3)
            turn.agent_said = transcripts.since(started_at, heard=False)
            turn.agent_heard = transcripts.since(started_at, heard=True)
        return report
    finally:
        await mic.aclose()
        await ear.aclose()
        await room.disconnect()
        for task in list(reader_tasks):
            task.cancel()


def _load_utterances(args: Namespace) -> list[Utterance]:
    utterances = [synthesize_utterance(text) for text in args.say if text.strip()]
    if any(not text.strip() for text in args.say):
        raise CallError("--say needs non-empty text")
    for path in args.wav:
        try:
            audio = read_wav(Path(path), target_rate=SAMPLE_RATE)
        except AudioInputError as exc:
            raise CallError(str(exc)) from None
        utterances.append(Utterance(label=str(path), samples=audio.samples))
    return utterances


def _print_human(report: CallReport) -> None:
    if report.greeting_ms is None:
        print("the agent never greeted")
        return
    print(f"greeting after {report.greeting_ms:.0f} ms: {report.greeting_text}")
    for turn in report.turns:
        print(f"you: {turn.said}")
        if not turn.answered:
            print("agent: (no answer)")
            continue
        if turn.agent_heard:
            print(f"  (agent heard: {turn.agent_heard})")
        print(f"agent after {turn.round_trip_ms:.0f} ms: {turn.agent_said}")
    summary = report.round_trip_summary()
    if summary["count"]:
        print(
            f"round trip over {summary['count']} turns: "
            f"median {summary['median_ms']} ms, p95 {summary['p95_ms']} ms"
        )


class _DropDisconnectNoise(logging.Filter):
    """The native SDK logs an ERROR when a data channel closes during our own hang-up."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "closed unexpectedly" not in record.getMessage()


def run_call_command(settings: Settings, args: Namespace) -> int:
    logging.basicConfig(level=logging.WARNING, format="voice-agent call: %(name)s: %(message)s")
    logging.getLogger("livekit").addFilter(_DropDisconnectNoise())
    utterances = _load_utterances(args)
    report = asyncio.run(
        place_call(
            settings, utterances, room_name=args.room, timeout=args.timeout, dispatch=not args.no_dispatch
        )
    )
    if args.json:
        json.dump(report.to_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        _print_human(report)
    return 0 if report.answered_all else 1


Microphone = _Microphone
"""A real-time microphone track source (also the operator client's)."""
Ear = _AgentEar
"""Timestamps audible onsets on one audio track (also the operator client's)."""
