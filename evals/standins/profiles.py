"""Latency profiles of the provider test doubles, read from profiles.toml, sampled with a seeded RNG."""

from __future__ import annotations

import random
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path

PROFILES_FILE = Path(__file__).with_name("profiles.toml")
DEFAULT_PROFILE = "zero"


class ProfileError(ValueError):
    """An unknown profile name or a malformed profile file; the message is one line."""


Z_95 = 1.6449
"""The standard normal's 95th percentile."""


@dataclass(frozen=True)
class Span:
    """A delay (or rate) given by its p50 and p95, sampled from the log-normal through both: half
    the samples fall below p50 and one in twenty beyond p95, as with a real provider's tail."""

    p50: float
    p95: float

    def sample(self, rng: random.Random) -> float:
        if self.p50 == self.p95:
            return self.p50
        if self.p50 <= 0 or self.p95 <= 0:
            # no log-normal through zero: spread evenly instead
            return rng.uniform(*sorted((self.p50, self.p95)))
        return self.p50 * (self.p95 / self.p50) ** (rng.gauss(0.0, 1.0) / Z_95)


@dataclass(frozen=True)
class LatencyProfile:
    name: str
    description: str
    stt_interim_ms: Span
    """From the audio's energy onset to the first interim result."""
    stt_interim_every_ms: float
    """Cadence of the following interim results while speech goes on."""
    stt_final_ms: Span
    """From the audio's energy end (last loud frame) to the final result."""
    stt_end_silence_ms: float
    """Quiet needed to call an utterance over; eSpeak pauses ~240 ms at a comma, so keep it above."""
    llm_first_token_ms: Span
    llm_tokens_per_s: Span
    tts_first_audio_ms: Span
    tts_realtime_factor: float
    """Audio sent this many times faster than it plays; 0 sends it as fast as it can be written."""


@dataclass(frozen=True)
class DripSettings:
    """How slow the slow-drip fault is: one unit (message, token, audio slice) per interval."""

    interval_ms: float = 1500.0
    audio_ms: float = 20.0


def _read_file(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ProfileError(f"cannot read latency profiles from {path}: {exc}") from None


def profile_names(path: Path = PROFILES_FILE) -> list[str]:
    return sorted(_read_file(path).get("profiles", {}))


def load_profile(name: str = DEFAULT_PROFILE, path: Path = PROFILES_FILE) -> LatencyProfile:
    table = _read_file(path).get("profiles", {})
    if name not in table:
        raise ProfileError(f"unknown latency profile {name!r} (known: {', '.join(sorted(table))})")
    raw = table[name]
    values: dict[str, object] = {"name": name, "description": str(raw.get("description", ""))}
    for field in fields(LatencyProfile):
        if field.name in values:
            continue
        if field.name not in raw:
            raise ProfileError(f"latency profile {name!r} lacks {field.name}")
        value = raw[field.name]
        try:
            if field.type == "Span":
                p50, p95 = (float(v) for v in value)
                if p50 < 0 or p95 < 0:
                    raise ValueError
                values[field.name] = Span(p50, p95)
            else:
                values[field.name] = float(value)
        except (TypeError, ValueError):
            raise ProfileError(f"latency profile {name!r}: {field.name} is malformed ({value!r})") from None
    profile = LatencyProfile(**values)  # type: ignore[arg-type]
    if min(profile.llm_tokens_per_s.p50, profile.llm_tokens_per_s.p95) <= 0:
        raise ProfileError(f"latency profile {name!r}: llm_tokens_per_s must be positive")
    return profile


def load_drip(path: Path = PROFILES_FILE) -> DripSettings:
    raw = _read_file(path).get("faults", {})
    return DripSettings(
        interval_ms=float(raw.get("drip_interval_ms", DripSettings.interval_ms)),
        audio_ms=float(raw.get("drip_audio_ms", DripSettings.audio_ms)),
    )
