"""The agent's audio as the caller received it, each frame stamped on arrival, cut into timed clips."""

from __future__ import annotations

import asyncio
import bisect
import time
from dataclasses import dataclass, field

import numpy as np
from livekit import rtc

from agent.audio import first_audible_sample
from agent.caller import AUDIBLE_DBFS

RECORD_RATE = 16000
"""Whisper's own rate: the native side resamples, so no second resampling here."""


@dataclass(frozen=True)
class Clip:
    """A stretch of received audio and, for each frame in it, when its first sample was heard."""

    samples: np.ndarray  # int16 mono at RECORD_RATE
    frame_offsets: list[int]
    """Index in `samples` where each frame starts."""
    frame_heard_at: list[float]
    """perf_counter time each frame's first sample was heard, in step with `frame_offsets`."""
    rate: int = RECORD_RATE

    def heard_at(self, seconds_into_clip: float) -> float | None:
        """When the sample `seconds_into_clip` in was heard; frames may have gaps between them, so
        each is dated on its own arrival rather than on the clip's start plus an offset."""
        if not self.frame_offsets:
            return None
        index = min(max(0, round(seconds_into_clip * self.rate)), max(0, self.samples.size - 1))
        frame = bisect.bisect_right(self.frame_offsets, index) - 1
        return self.frame_heard_at[frame] + (index - self.frame_offsets[frame]) / self.rate

    def sound_from(self, seconds_into_clip: float, threshold_dbfs: float = AUDIBLE_DBFS) -> float | None:
        """Seconds into the clip of the first audible window at or after `seconds_into_clip`.

        Whisper's word timestamps run early across silence (a first word after a pause is often
        dated at the pause's start, even at 0.0 for a clip that opens quiet); a word begins with
        sound, so its start is moved forward to the first audible window.
        """
        start = max(0, round(seconds_into_clip * self.rate))
        onset = first_audible_sample(self.samples[start:], self.rate, threshold_dbfs=threshold_dbfs)
        return None if onset is None else (start + onset) / self.rate


@dataclass
class ReceivedAudio:
    """Every frame of one track, in arrival order, with its arrival time."""

    rate: int = RECORD_RATE
    frames: list[tuple[float, np.ndarray]] = field(default_factory=list)
    threshold_dbfs: float = AUDIBLE_DBFS
    last_audible_at: float | None = None
    """Arrival time of the latest frame with an audible window: how long the agent has been quiet."""

    def add(self, arrived_at: float, samples: np.ndarray) -> None:
        self.frames.append((arrived_at, samples))
        if first_audible_sample(samples, self.rate, threshold_dbfs=self.threshold_dbfs) is not None:
            self.last_audible_at = arrived_at

    def first_audible_after(self, instant: float) -> float | None:
        """When the first audible sample at or after `instant` was heard (perf_counter), or None.

        Searched on the stored frames rather than on onsets, so a reply that starts while the
        agent is still audible from before is dated by its own first audible window after `instant`.
        """
        # frames are stored in arrival order: start at the first that arrived at or after `instant`
        start = bisect.bisect_left(self.frames, instant, key=lambda frame: frame[0])
        for arrived_at, samples in self.frames[start:]:
            first_heard = arrived_at - samples.size / self.rate
            # skip the part of a straddling frame heard before `instant`
            skip = max(0, int(np.ceil((instant - first_heard) * self.rate)))
            onset = first_audible_sample(samples[skip:], self.rate, threshold_dbfs=self.threshold_dbfs)
            if onset is not None:
                return first_heard + (skip + onset) / self.rate
        return None

    def clip(self, start: float, end: float) -> Clip:
        """The frames heard (at least partly) between `start` and `end`, perf_counter times."""
        chosen: list[np.ndarray] = []
        offsets: list[int] = []
        heard: list[float] = []
        size = 0
        for arrived_at, samples in self.frames:
            # a frame arrives whole as its last sample does: its first was heard one frame earlier
            first_heard = arrived_at - samples.size / self.rate
            if arrived_at <= start or first_heard >= end:  # nothing of it heard inside the window
                continue
            chosen.append(samples)
            offsets.append(size)
            heard.append(first_heard)
            size += samples.size
        audio = np.concatenate(chosen) if chosen else np.zeros(0, np.int16)
        return Clip(audio, offsets, heard, self.rate)


class Recorder:
    """Keeps what one remote audio track delivers, from subscription to hang-up."""

    def __init__(self) -> None:
        self.audio = ReceivedAudio()
        self._tasks: list[asyncio.Task[None]] = []

    def attach(self, track: rtc.Track) -> None:
        stream = rtc.AudioStream(track, sample_rate=RECORD_RATE, num_channels=1)
        self._tasks.append(asyncio.create_task(self._record(stream)))

    async def _record(self, stream: rtc.AudioStream) -> None:
        async for event in stream:
            arrived_at = time.perf_counter()
            # copied: the frame's buffer belongs to the native side
            self.audio.add(arrived_at, np.frombuffer(event.frame.data, dtype=np.int16).copy())

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
