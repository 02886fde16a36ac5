"""What the test phones say and hear: eSpeak speech at 8 kHz, and Whisper's reading of a recording."""

from __future__ import annotations

import functools
import statistics

import numpy as np

from agent.audio import resample
from tests.e2e.sip.rtp import SAMPLE_RATE

WORDS_PER_MINUTE = 150


def speech(text: str) -> np.ndarray:
    """Synthesized speech as a phone sends it: 8 kHz, int16."""
    from agent.providers.offline.espeak import EspeakEngine

    engine = EspeakEngine.shared()
    samples = engine.synthesize(text, words_per_minute=WORDS_PER_MINUTE)
    return resample(samples, engine.sample_rate, SAMPLE_RATE)


@functools.cache
def _whisper() -> object:
    from agent.providers.offline.whisper_stt import load_whisper_model

    return load_whisper_model()


def transcribe(samples: np.ndarray) -> str:
    """What Whisper hears in 8 kHz telephone audio."""
    if samples.size == 0:
        return ""
    audio = resample(samples, SAMPLE_RATE, 16000).astype(np.float32) / 32768.0
    segments, _info = _whisper().transcribe(audio, language="en", beam_size=1)  # type: ignore[attr-defined]
    return " ".join(segment.text.strip() for segment in segments)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def summary(values_ms: list[float]) -> dict[str, float]:
    return {
        "turns": len(values_ms),
        "median_ms": round(statistics.median(values_ms), 1),
        "p95_ms": round(percentile(values_ms, 0.95), 1),
        "max_ms": round(max(values_ms), 1),
    }
