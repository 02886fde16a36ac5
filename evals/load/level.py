"""One level of the sweep: a fresh worker sized for it, warm and idle, then that many calls at once."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.config import load_settings
from evals.load.crowd import run_crowd
from evals.load.process_tree import TreeSampler
from evals.load.scripted_call import Line
from evals.load.sweep import level_figures
from evals.load.worker_spans import span_figures, wait_for_calls
from evals.load.worker_under_test import WorkerUnderTest, start_worker

QUIET_CPU_PERCENT = 25.0
"""The worker counts as idle once its tree's CPU stays under this (of one core) for QUIET_FOR_S."""
QUIET_FOR_S = 2.0
FAILOVER_LOG = "switching to next"
"""What LiveKit's FallbackAdapter logs when it leaves a provider for the next in the chain."""
LOOP_STALL_LOG = "event loop blocked"
STAGGER_S = 0.075
"""Calls of a level start this far apart: a burst, as real callers make one, not one instant."""


@dataclass(frozen=True)
class Bench:
    """What every level shares: the server, the worker's fixed settings, the script, the scratch dir."""

    livekit_url: str
    worker_env: dict[str, str]
    lines: list[Line]
    scratch: Path
    timeout_s: float
    progress: Callable[[str], None]


def wait_until_idle(worker: WorkerUnderTest, sampler: TreeSampler, timeout: float) -> float:
    """Block until no call is active and the tree is quiet; returns the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        quiet = sampler.quiet_cpu_percent(QUIET_FOR_S)
        if quiet is not None and quiet < QUIET_CPU_PERCENT and worker.active_calls() == 0:
            break
        time.sleep(0.25)
    return round(time.monotonic() - started, 1)


def measure_bare_worker(bench: Bench) -> dict[str, float]:
    """The worker's memory with no job executor at all: what per-call memory is counted above."""
    worker = start_worker(
        {**bench.worker_env, "AGENT_NAME": f"load-bare-{uuid.uuid4().hex[:6]}", "WORKER_MAX_CALLS": "1"}
        | {"WORKER_NUM_IDLE_PROCESSES": "0"}
    )
    try:
        worker.wait_for_log("registered worker", 120)
        sampler = TreeSampler(worker.process.pid)
        wait_until_idle(worker, sampler, 30)
        sample = sampler.latest()
        sampler.stop()
        return {"rss_mb": round(sample.rss_bytes / 2**20, 1), "pss_mb": round(sample.pss_bytes / 2**20, 1)}
    finally:
        worker.stop()


def run_level(bench: Bench, calls: int, bare: dict[str, float]) -> dict[str, Any]:
    traces = bench.scratch / f"spans-{calls}.jsonl"
    agent_name = f"load-{calls}-{uuid.uuid4().hex[:6]}"
    env = {
        **bench.worker_env,
        "AGENT_NAME": agent_name,
        "TRACES_PATH": str(traces),
        "WORKER_MAX_CALLS": str(calls),
        # one warm executor per call: the level measures calls, not cold model loads
        "WORKER_NUM_IDLE_PROCESSES": str(calls),
    }
    started = time.monotonic()
    worker = start_worker(env)
    sampler: TreeSampler | None = None
    try:
        worker.wait_for_log("registered worker", 120)
        sampler = TreeSampler(worker.process.pid)
        worker.wait_until_warm(calls, timeout=60 + 15 * calls)
        wait_until_idle(worker, sampler, 60)
        warm_up_s = round(time.monotonic() - started, 1)
        idle = sampler.latest()
        bench.progress(
            f"bench load: level {calls}: worker warm and idle after {warm_up_s} s, "
            f"tree RSS {idle.rss_bytes / 2**20:.0f} MB; calling"
        )
        load_average = round(os.getloadavg()[0], 2)  # other users of the machine show up here
        settings = load_settings(env_file=None, livekit_url=bench.livekit_url, agent_name=agent_name)
        crowd = asyncio.run(
            run_crowd(
                settings,
                bench.lines,
                calls=calls,
                stagger_s=STAGGER_S,
                timeout_s=bench.timeout_s,
                progress=bench.progress,
            )
        )
        usage = sampler.usage(crowd.started_at, crowd.ended_at)
        figures = level_figures(crowd.calls)
        reached_agent = sum(call.outcome != "refused" for call in crowd.calls)
        spans = wait_for_calls(traces, reached_agent, timeout=30)
    finally:
        if sampler is not None:
            sampler.stop()
        worker.stop()
    if figures["lost"] or figures["refused"] or worker.count("Traceback"):
        # kept for a post-mortem: the bench leaves the scratch folder in place when a log is in it
        worker.write_log(bench.scratch / f"worker-{calls}.log")
        bench.progress(f"bench load: level {calls}: worker log kept in {bench.scratch}/worker-{calls}.log")
    served = int(figures["answered"]) + int(figures["lost"])  # type: ignore[call-overload]
    return {
        "level": calls,
        **figures,
        **span_figures(spans),
        "worker": {
            "cpu_percent": usage.cpu_percent,
            "peak_cpu_percent": usage.peak_cpu_percent,
            "idle_rss_mb": round(idle.rss_bytes / 2**20, 1),
            "peak_rss_mb": usage.peak_rss_mb,
            "peak_pss_mb": usage.peak_pss_mb,
            # a level where no call reached the agent has no per-call figure
            "rss_per_call_mb": round((usage.peak_rss_mb - bare["rss_mb"]) / served, 1) if served else None,
            "pss_per_call_mb": round((usage.peak_pss_mb - bare["pss_mb"]) / served, 1) if served else None,
            "peak_processes": usage.peak_processes,
            "warm_up_s": warm_up_s,
        },
        "generator": {
            "cpu_percent": crowd.generator_cpu_percent,
            "tick_late_p95_ms": crowd.tick_late_p95_ms,
            "tick_late_max_ms": crowd.tick_late_max_ms,
        },
        # the worker, this generator, the server and anything else on the box (other users too)
        "machine_cpu_percent": crowd.machine_cpu_percent,
        "load_average_1m_at_start": load_average,
        "failures": sorted({call.detail for call in crowd.calls if call.detail}),
        # a provider the worker gave up on mid-call: the level then measured part of the offline chain
        "provider_failovers": worker.count(FAILOVER_LOG),
        # LiveKit's loop monitor: a job's event loop that ran no timer for over 100 ms (audio waited)
        "worker_loop_stalls": worker.count(LOOP_STALL_LOG),
        # tracebacks print one line each: any count here means look at the kept log
        "worker_error_lines": worker.count('"level": "error"') + worker.count("Traceback"),
    }
