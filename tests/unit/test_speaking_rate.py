"""The batched speaking-rate estimate gives LiveKit's numbers (agent/speaking_rate.py)."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from livekit.agents.voice.transcription._speaking_rate import (
    SpeakingRateStream,
    _SpeakingRateDetectionOptions,
)

from agent import worker
from agent.speaking_rate import LIVEKIT_SPECTRAL_FLUX, spectral_flux, use_batched_speaking_rate


def _stream() -> SpeakingRateStream:
    # without __init__: it starts a task, and only the arithmetic is under test here
    stream = SpeakingRateStream.__new__(SpeakingRateStream)
    stream._opts = _SpeakingRateDetectionOptions(window_duration=1.0, step_size=0.1, sample_rate=None)
    return stream


def _voiced(rate: int, seconds: float) -> np.ndarray:
    """A pitch glide with syllable-like bursts and a little noise, as float32 in [-1, 1]."""
    t = np.arange(int(rate * seconds)) / rate
    bursts = 0.5 * (1 + np.sin(2 * np.pi * 4 * t))
    tone = np.sin(2 * np.pi * (120 + 80 * t) * t) + 0.3 * np.sin(2 * np.pi * 900 * t)
    noise = np.random.default_rng(rate).normal(0, 0.02, t.size)
    return (0.3 * bursts * tone + noise).astype(np.float32)


@pytest.mark.parametrize("rate", [8000, 16000, 22050, 24000, 44100, 48000])
@pytest.mark.parametrize("seconds", [1.0, 0.3, 0.04])
def test_the_same_flux_as_livekit_s_loop(rate: int, seconds: float) -> None:
    audio = _voiced(rate, seconds)
    expected = LIVEKIT_SPECTRAL_FLUX(_stream(), audio, rate)
    assert spectral_flux(audio, rate) == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_too_short_for_two_frames_is_no_rate() -> None:
    assert spectral_flux(np.zeros(100, np.float32), 16000) == 0.0
    assert spectral_flux(np.ones(500, np.float32), 16000) == 0.0  # one 25 ms frame only


def test_installed_it_serves_livekit_s_rate_estimate() -> None:
    # the method replaced is the one the rate estimate calls, with these arguments
    assert "self._spectral_flux(audio, sample_rate)" in inspect.getsource(
        SpeakingRateStream._compute_speaking_rate
    )
    audio = _voiced(24000, 1.0)
    before = _stream()._compute_speaking_rate(audio, 24000)
    use_batched_speaking_rate()
    try:
        assert SpeakingRateStream._spectral_flux is not LIVEKIT_SPECTRAL_FLUX
        assert _stream()._compute_speaking_rate(audio, 24000) == pytest.approx(before, rel=1e-12)
    finally:
        SpeakingRateStream._spectral_flux = LIVEKIT_SPECTRAL_FLUX  # type: ignore[method-assign]


def test_every_job_process_installs_it_before_its_call() -> None:
    # a pin, not a timing: the loop stall it removes (103-121 ms a greeting) is too close to
    # LiveKit's 100 ms warn line to be a reliable integration check
    assert "use_batched_speaking_rate()" in inspect.getsource(worker.prewarm)
