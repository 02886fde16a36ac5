"""Shared pieces of the benchmarks: percentiles, clip discovery, and a clear error type."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path


class BenchInputError(ValueError):
    """The benchmark's input is missing or malformed; one line."""


def percentile(values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least `fraction` of values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return round(ordered[rank - 1], 1)


def summary_ms(values: list[float]) -> dict[str, float | int | None]:
    return {"count": len(values), "p50_ms": percentile(values, 0.5), "p95_ms": percentile(values, 0.95)}


@dataclass(frozen=True)
class Clip:
    name: str
    wav: Path
    text: str
    speech_start_s: float | None
    speech_end_s: float | None
    condition: str | None = None
    """How the clip was recorded (the generator writes e.g. "8k-noisy"); WER is also reported per condition."""


def find_clips(directory: Path) -> list[Clip]:
    import json

    if not directory.is_dir():
        raise BenchInputError(f"not a directory: {directory}")
    clips = []
    for wav in sorted(directory.glob("*.wav")):
        transcript = wav.with_suffix(".txt")
        if not transcript.is_file():
            raise BenchInputError(f"{wav.name} has no transcript {transcript.name}")
        timing_file = wav.with_suffix(".json")
        try:
            timing = json.loads(timing_file.read_text()) if timing_file.is_file() else {}
        except json.JSONDecodeError as error:
            raise BenchInputError(f"{timing_file}: not valid JSON (line {error.lineno})") from None
        if not isinstance(timing, dict):
            raise BenchInputError(f"{timing_file}: expected an object with speech_start_s and speech_end_s")
        for key in ("speech_start_s", "speech_end_s"):
            if key in timing and not isinstance(timing[key], int | float):
                raise BenchInputError(f"{timing_file}: {key} must be a number of seconds")
        clips.append(
            Clip(
                wav.stem,
                wav,
                transcript.read_text().strip(),
                timing.get("speech_start_s"),
                timing.get("speech_end_s"),
                timing.get("condition"),
            )
        )
    if not clips:
        raise BenchInputError(f"no NAME.wav + NAME.txt pairs in {directory}")
    return clips
