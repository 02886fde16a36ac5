"""Caller audio on a timeline: a tap on the session's audio input that dates every 10 ms of sound
by when it arrived, so speech onset and end are placed on audio frames, not on callbacks."""

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
SEARCH_BACK_S = 1.0
"""How far before the VAD's own estimate the acoustic end may lie (its silence wait is 0.3 s,
plus the probability smoothing's lag)."""


@dataclass(frozen=True)
class _Window:
    ended_at: float
    """Wall-clock instant the window's last sample arrived."""
    loud: bool


class MediaClock:
    """Level history of the caller's audio, 10 ms windows, dated from frame arrival.

    A frame arrives whole: its sample k of n is dated (n - k) samples before the arrival instant.
    """

    def __init__(self) -> None:
        self._windows: deque[_Window] = deque(maxlen=int(HISTORY_S / WINDOW_S))

    def observe(self, frame: rtc.AudioFrame, arrived_at: float | None = None) -> None:
        arrived_at = time.time() if arrived_at is None else arrived_at
        samples = np.frombuffer(frame.data, dtype=np.int16)
        if frame.num_channels > 1:
            samples = samples[:: frame.num_channels]
        size = max(1, int(frame.sample_rate * WINDOW_S))
        count = math.ceil(samples.size / size)
        for index in range(count):
            window = samples[index * size : (index + 1) * size].astype(np.float64)
            rms = math.sqrt(float(np.mean(window * window))) if window.size else 0.0
            level = 20 * math.log10(rms / 32768) if rms > 0 else -120.0
            remaining = samples.size - min(samples.size, (index + 1) * size)
            self._windows.append(_Window(arrived_at - remaining / frame.sample_rate, level >= SPEECH_DBFS))

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
