"""The caller's audio is dated on the stream's own timeline, not on when the pipeline pulled it."""

from __future__ import annotations

import numpy as np
import pytest
from livekit import rtc

from agent.telemetry.media_clock import ANCHOR_WINDOW_S, MediaClock

T0 = 1_800_000_000.0
RATE = 16000
FRAME_S = 0.01


def frame(loud: bool) -> rtc.AudioFrame:
    samples = np.full(int(RATE * FRAME_S), 8000 if loud else 0, np.int16)
    return rtc.AudioFrame(samples.tobytes(), RATE, 1, samples.size)


def feed(clock: MediaClock, loud: list[bool], arrivals: list[float]) -> None:
    for is_loud, arrived_at in zip(loud, arrivals, strict=True):
        clock.observe(frame(is_loud), arrived_at=arrived_at)


def test_speech_pulled_late_behind_a_busy_loop_is_dated_when_it_came_in() -> None:
    clock = MediaClock()
    # 1 s of steady silence, then 0.5 s of speech and silence again; the last 12 frames of the
    # speech sat 120 ms in a queue and came out in one burst with the silence after them
    loud = [False] * 100 + [True] * 50 + [False] * 50
    arrivals = [T0 + FRAME_S * (i + 1) for i in range(len(loud))]
    for i in range(138, 151):
        arrivals[i] = arrivals[150]
    feed(clock, loud, arrivals)
    assert clock.speech_end(T0 + 1.8) == pytest.approx(T0 + 1.5, abs=1e-6)
    assert clock.speech_onset(T0 + 1.05) == pytest.approx(T0 + 1.0, abs=1e-6)


def test_a_gap_in_the_stream_restarts_the_timeline() -> None:
    """After a pause (the input detached, frames lost) sample counts no longer map to the old clock."""
    clock = MediaClock()
    feed(clock, [False] * 50, [T0 + FRAME_S * (i + 1) for i in range(50)])
    resumed = T0 + 0.5 + ANCHOR_WINDOW_S / 4  # well inside the window the old anchor covers
    loud = [True] * 30 + [False] * 30
    feed(clock, loud, [resumed + FRAME_S * (i + 1) for i in range(60)])
    assert clock.speech_onset(resumed + 0.05) == pytest.approx(resumed, abs=1e-6)
    assert clock.speech_end(resumed + 0.5) == pytest.approx(resumed + 0.3, abs=1e-6)
