"""A level's callers, all in this one process: started a little apart, sharing one ear hub and one ticker."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

import psutil

from agent.config import Settings
from evals.bench_common import percentile
from evals.load.ear_hub import EarHub
from evals.load.mic_ticker import MicTicker
from evals.load.scripted_call import Crowd, Line, place_scripted_call
from evals.load.sweep import CallResult


@dataclass(frozen=True)
class CrowdRun:
    calls: list[CallResult]
    started_at: float
    """time.monotonic() when the first call was placed; the worker's samples use the same clock."""
    ended_at: float
    generator_cpu_percent: float
    """This process's CPU (every thread, the native WebRTC ones too) over the run, of one core."""
    machine_cpu_percent: float
    """Every process on the machine over the run (other users included), of one core."""
    tick_late_p95_ms: float | None
    tick_late_max_ms: float | None


def _machine_busy_seconds() -> float:
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


async def run_crowd(
    settings: Settings,
    lines: list[Line],
    *,
    calls: int,
    stagger_s: float,
    timeout_s: float,
    progress: Callable[[str], None],
) -> CrowdRun:
    me = psutil.Process()
    cpu_before = sum(me.cpu_times()[:2])
    machine_before = _machine_busy_seconds()
    started_at = time.monotonic()
    crowd = Crowd(settings, EarHub(), MicTicker(), timeout_s)

    async def _one(index: int) -> CallResult:
        await asyncio.sleep(index * stagger_s)
        try:
            result = await place_scripted_call(crowd, lines)
        except Exception as exc:  # one caller's failure is a lost call, not the end of the level
            result = CallResult("lost", detail=f"{type(exc).__name__}: {exc}")
        rounds = ", ".join(f"{ms:.0f}" for ms in result.round_trips_ms)
        greeting = f"{result.greeting_ms:.0f} ms" if result.greeting_ms is not None else "none"
        progress(
            f"bench load: {calls} calls: call {index + 1} {result.outcome}; greeting {greeting}; "
            f"round trips [{rounds}] ms{'; ' + result.detail if result.detail else ''}"
        )
        return result

    try:
        results = list(await asyncio.gather(*(_one(index) for index in range(calls))))
    finally:
        await crowd.ticker.aclose()
        await crowd.hub.aclose()
    ended_at = time.monotonic()
    late = crowd.ticker.late_ms
    return CrowdRun(
        calls=results,
        started_at=started_at,
        ended_at=ended_at,
        generator_cpu_percent=round(
            100 * (sum(me.cpu_times()[:2]) - cpu_before) / (ended_at - started_at), 1
        ),
        machine_cpu_percent=round(
            100 * (_machine_busy_seconds() - machine_before) / (ended_at - started_at), 1
        ),
        tick_late_p95_ms=percentile(late, 0.95),
        tick_late_max_ms=round(max(late), 1) if late else None,
    )
