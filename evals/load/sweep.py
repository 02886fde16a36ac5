"""The sweep's arithmetic: which levels to run, what a level's figures are, and when to stop."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Literal

from evals.bench_common import BenchInputError, percentile

DEFAULT_LEVELS = (1, 2, 4, 8, 16, 32, 64)
MAX_LEVEL = 256
"""WORKER_MAX_CALLS' own upper bound."""
ROUND_TRIP_LIMIT_MS = 1000.0
"""The sweep stops after the first level whose p95 round trip at the caller's ear passes this."""
UNSERVED_LIMIT = 0.25
"""... or where more than this share of the calls was refused or lost: a bigger level only loses more."""

Outcome = Literal["answered", "refused", "lost"]


def parse_levels(text: str) -> list[int]:
    """Parse "1,2,4" into [1, 2, 4]: positive, strictly increasing, at most MAX_LEVEL."""
    parts = [part.strip() for part in text.split(",")]
    if not text.strip() or any(not part for part in parts):
        raise BenchInputError(f"--levels: expected numbers separated by commas, e.g. 1,2,4 (got {text!r})")
    try:
        levels = [int(part) for part in parts]
    except ValueError:
        raise BenchInputError(f"--levels: not a whole number in {text!r}") from None
    if any(level < 1 or level > MAX_LEVEL for level in levels):
        raise BenchInputError(f"--levels: each level must be between 1 and {MAX_LEVEL} (got {text!r})")
    if any(later <= earlier for earlier, later in itertools.pairwise(levels)):
        raise BenchInputError(f"--levels: levels must increase (got {text!r})")
    return levels


def distribution_ms(values: list[float]) -> dict[str, float | int | None]:
    """Count, nearest-rank p50 and p95, and max, in milliseconds."""
    return {
        "count": len(values),
        "p50_ms": percentile(values, 0.50),
        "p95_ms": percentile(values, 0.95),
        "max_ms": round(max(values), 1) if values else None,
    }


@dataclass
class CallResult:
    """What one scripted caller measured."""

    outcome: Outcome
    greeting_ms: float | None = None
    round_trips_ms: list[float] = field(default_factory=list)
    turns_answered: int = 0
    overlapped_turns: int = 0
    """Answered turns with the agent already talking as the line ended: counted, never timed."""
    detail: str = ""
    """Why a call was refused or lost, in a few words."""


def outcome_counts(calls: list[CallResult]) -> dict[str, int]:
    return {kind: sum(call.outcome == kind for call in calls) for kind in ("answered", "refused", "lost")}


def level_figures(calls: list[CallResult]) -> dict[str, object]:
    """The caller-side figures of one level: round trips over every answered turn, greetings, outcomes."""
    round_trips = [ms for call in calls for ms in call.round_trips_ms]
    greetings = [call.greeting_ms for call in calls if call.greeting_ms is not None]
    return {
        "calls": len(calls),
        **outcome_counts(calls),
        "round_trip": distribution_ms(round_trips),
        "overlapped_turns": sum(call.overlapped_turns for call in calls),
        "greeting": distribution_ms(greetings),
    }


def stop_reason(figures: dict[str, object]) -> str | None:
    """Why the sweep ends after this level, or None to go on to the next one."""
    round_trip = figures["round_trip"]
    assert isinstance(round_trip, dict)
    p95 = round_trip["p95_ms"]
    if p95 is not None and p95 > ROUND_TRIP_LIMIT_MS:
        return f"p95 round trip {p95:.0f} ms is over {ROUND_TRIP_LIMIT_MS:.0f} ms"
    if p95 is None:
        return "no turn was answered"
    calls = int(figures["calls"])  # type: ignore[call-overload]
    unserved = int(figures["refused"]) + int(figures["lost"])  # type: ignore[call-overload]
    if calls and unserved / calls > UNSERVED_LIMIT:
        return f"{unserved} of {calls} calls were refused or lost"
    return None
