"""Caller audio on a timeline: a tap on the session's audio input that dates every 10 ms of sound
on the stream's own sample count, so speech onset and end are placed on audio frames, not on
whenever the pipeline got round to pulling them."""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass

import numpy as np
from livekit import rtc
from livekit.agents.voice.io import AudioInput

WINDOW_S = 0.01
HISTORY_S = 30.0
SPEECH_DBFS = -40.0
"""A window this loud is voice: quiet room noise and codec comfort noise sit far below."""
ANCHOR_WINDOW_S = 2.0
"""How long the earliest-seen arrival anchors the sample count to the wall clock: longer than any
scheduling stall, short enough to follow the stream after lost frames."""
MAX_LATENESS_S = 0.25
"""A frame later than this against the anchor is not jitter: the stream paused or lost audio, so
the timeline restarts from it."""
SEARCH_BACK_S = 1.0
"""How far before the VAD's own estimate the acoustic end may lie (its silence wait is 0.3 s,
plus the probability smoothing's lag)."""


@dataclass(frozen=True)
class _Window:
    ended_at: float
    """Wall-clock instant the window's last sample arrived."""
    loud: bool


class MediaClock:
    """Level history of the caller's audio, 10 ms windows, dated on the stream's sample count.

    The receiver's jitter buffer hands out audio at the wall clock's pace, so sample n of the stream
    was received at anchor + n / rate. The anchor is the earliest such instant any frame of the
    last `ANCHOR_WINDOW_S` showed: a frame the pipeline pulled late, behind a busy event loop, is
    still dated when it came in, not when it was seen.
    """

    def __init__(self) -> None:
        self._windows: deque[_Window] = deque(maxlen=int(HISTORY_S / WINDOW_S))
        self._received_s = 0.0
        # (arrival, anchor candidate), candidates increasing: a sliding-window minimum
        self._anchors: deque[tuple[float, float]] = deque()

    def _received_at(self, frame: rtc.AudioFrame, arrived_at: float) -> float:
        """When the frame's last sample was received, on the stream's timeline."""
        self._received_s += frame.duration
        candidate = arrived_at - self._received_s
        if self._anchors and candidate - self._anchors[0][1] > MAX_LATENESS_S:
            self._anchors.clear()
        while self._anchors and self._anchors[-1][1] >= candidate:
            self._anchors.pop()
        self._anchors.append((arrived_at, candidate))
        while self._anchors[0][0] < arrived_at - ANCHOR_WINDOW_S:
            self._anchors.popleft()
        return self._anchors[0][1] + self._received_s

    def observe(self, frame: rtc.AudioFrame, arrived_at: float | None = None) -> None:
        arrived_at = self._received_at(frame, time.time() if arrived_at is None else arrived_at)
        samples = np.frombuffer(frame.data, dtype=np.int16)
        if frame.num_channels > 1:
            samples = samples[:: frame.num_channels]
        size = max(1, int(frame.sample_rate * WINDOW_S))
        count = math.ceil(samples.size / size)
        if count == 0:
            return
        # every window's energy in one numpy pass: a per-window loop cost ~5% of a stand-in call's CPU
        padded = np.zeros(count * size, np.float64)
        padded[: samples.size] = samples
        sizes = np.full(count, size)
        sizes[-1] = samples.size - (count - 1) * size
        mean_square = np.square(padded).reshape(count, size).sum(axis=1) / sizes
        loud = mean_square >= (32768 * 10 ** (SPEECH_DBFS / 20)) ** 2
        for index in range(count):
            remaining = samples.size - min(samples.size, (index + 1) * size)
            self._windows.append(_Window(arrived_at - remaining / frame.sample_rate, bool(loud[index])))

    def speech_end(self, vad_estimate: float) -> float | None:
        """End of the last loud window at or before the VAD's estimate (searched back SEARCH_BACK_S)."""
        for window in reversed(self._windows):
            if window.ended_at > vad_estimate + WINDOW_S:
                continue
            if window.ended_at < vad_estimate - SEARCH_BACK_S:
                return None
            if window.loud:
                return window.ended_at
        return None

    def speech_onset(self, vad_estimate: float) -> float | None:
        """Start of the first loud window of the run around the VAD's onset estimate."""
        onset: float | None = None
        for window in reversed(self._windows):
            if window.ended_at > vad_estimate + 0.3:
                continue
            if window.ended_at < vad_estimate - SEARCH_BACK_S:
                break
            if window.loud:
                onset = window.ended_at - WINDOW_S
            elif onset is not None and window.ended_at < vad_estimate:
                break
        return onset


class TimedAudioInput(AudioInput):
    """Passes the caller's frames through unchanged, dating each on the way."""

    def __init__(self, source: AudioInput, clock: MediaClock) -> None:
        super().__init__(label="MediaClock", source=source)
        self._clock = clock

    async def __anext__(self) -> rtc.AudioFrame:
        frame = await super().__anext__()
        self._clock.observe(frame)
        return frame
