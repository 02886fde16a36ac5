"""`voice-agent bench load`: a concurrency sweep of one worker, through a real LiveKit server.

Each level starts a worker sized for it (WORKER_MAX_CALLS = level, one warm executor per call),
waits until it is warm and idle, then places that many scripted calls from this one process and
measures them at the caller's ear. The sweep stops at the first level past the round-trip limit.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import psutil

from agent.livekit_server import REPO_ROOT, ServerSetupError, free_ports, start_server, wait_until_ready
from evals.bench_common import BenchInputError
from evals.load.chart import write_chart
from evals.load.level import Bench, measure_bare_worker, run_level
from evals.load.mic_ticker import frames_of
from evals.load.providers import STANDINS_PROFILE, ProviderMode, provider_env
from evals.load.script import SCRIPT
from evals.load.scripted_call import Line
from evals.load.sweep import DEFAULT_LEVELS, ROUND_TRIP_LIMIT_MS, stop_reason
from evals.load.worker_under_test import WorkerStartError

RESULTS_DIR = REPO_ROOT / "evals" / "results"
MEMORY_HEADROOM_MB = 3000
"""Left free for everything else on the machine; a level that would eat into it is not run."""
FIRST_GUESS_PER_CALL_MB = {"process": 600.0, "thread": 250.0}
"""Memory a call needs before one was measured; after a level, its measured figure is used."""

Executor = Literal["process", "thread"]


class LoadRunError(RuntimeError):
    """The sweep could not run (no server, a worker that never started); one line."""


@dataclass(frozen=True)
class LoadOptions:
    providers: ProviderMode = "offline"
    levels: list[int] = field(default_factory=lambda: list(DEFAULT_LEVELS))
    turns: int = 3
    executor: Executor = "process"
    timeout_s: float = 20.0
    results_dir: Path = RESULTS_DIR
    all_levels: bool = False
    """Run every level even past the limit: memory and CPU curves, not a capacity verdict."""


def check_turns(turns: int) -> int:
    if not 1 <= turns <= len(SCRIPT):
        raise BenchInputError(f"--turns must be between 1 and {len(SCRIPT)} (got {turns})")
    return turns


def _lines(turns: int) -> list[Line]:
    from agent.caller import synthesize_utterance

    # synthesized once, and every caller shares the same frames
    return [Line(text, frames_of(synthesize_utterance(text).samples)) for text in SCRIPT[:turns]]


def _memory_shortfall(level: int, per_call_mb: float) -> str | None:
    available_mb = psutil.virtual_memory().available / 2**20
    needed_mb = level * per_call_mb + MEMORY_HEADROOM_MB
    if needed_mb > available_mb:
        return f"level {level} needs ~{needed_mb:.0f} MB with headroom; {available_mb:.0f} MB is available"
    return None


def _sweep(bench: Bench, options: LoadOptions) -> tuple[list[dict[str, Any]], str | None, dict[str, float]]:
    """Run the levels in order; returns their figures, why the sweep ended early, and the bare worker."""
    bench.progress("bench load: measuring the bare worker (no job executor)")
    bare = measure_bare_worker(bench)
    per_call_mb = FIRST_GUESS_PER_CALL_MB[options.executor]
    levels: list[dict[str, Any]] = []
    for level in options.levels:
        too_big = _memory_shortfall(level, per_call_mb)
        if too_big:
            return levels, f"not run: {too_big}", bare
        bench.progress(f"bench load: level {level}: starting a worker for {level} calls")
        figures = run_level(bench, level, bare)
        levels.append(figures)
        round_trip, greeting = figures["round_trip"], figures["greeting"]
        bench.progress(
            f"bench load: level {level}: {figures['answered']} answered, {figures['refused']} refused, "
            f"{figures['lost']} lost; round trip p50 {round_trip['p50_ms']} p95 {round_trip['p95_ms']} "
            f"max {round_trip['max_ms']} ms; greeting p50 {greeting['p50_ms']} ms; "
            f"worker CPU {figures['worker']['cpu_percent']}%, {figures['worker']['rss_per_call_mb']} MB/call; "
            f"generator CPU {figures['generator']['cpu_percent']}%"
        )
        measured_mb = figures["worker"]["pss_per_call_mb"]
        if measured_mb is not None:
            per_call_mb = max(per_call_mb, float(measured_mb) * 1.2)
        reason = stop_reason(figures)
        figures["past_limit"] = reason
        if reason and not options.all_levels:
            return levels, f"level {level}: {reason}", bare
    return levels, None, bare


def _seeded_data_dir(scratch: Path) -> Path:
    """The business store seeded once, so the warm job processes never race to seed it."""
    from tools.seed import seed
    from tools.sqlite_store import SQLiteBackend

    data_dir = scratch / "data"
    data_dir.mkdir()
    seed(SQLiteBackend(data_dir / "store.db"), progress=lambda _message: None)
    return data_dir


def run(options: LoadOptions, *, progress: Callable[[str], None]) -> dict[str, Any]:
    check_turns(options.turns)
    lines = _lines(options.turns)
    scratch = Path(tempfile.mkdtemp(prefix="voice-agent-load-"))
    ports = free_ports()
    try:
        server = start_server(ports, output=subprocess.DEVNULL)
    except ServerSetupError as exc:
        raise LoadRunError(str(exc)) from None
    try:
        wait_until_ready(ports, server)
        with provider_env(options.providers, [line.text for line in lines]) as env:
            worker_env = {
                **env,
                "LIVEKIT_URL": ports.url,
                "DATA_DIR": str(_seeded_data_dir(scratch)),
                "WORKER_JOB_EXECUTOR": options.executor,
                # a misheard line must not send a scripted caller to a person: the call would leave the agent
                "FAILED_TURNS_TO_TRANSFER": "10",
            }
            bench = Bench(ports.url, worker_env, lines, scratch, options.timeout_s, progress)
            try:
                levels, stopped, bare = _sweep(bench, options)
            except WorkerStartError as exc:
                raise LoadRunError(str(exc)) from None
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(10)
        if not any(scratch.glob("worker-*.log")):
            shutil.rmtree(scratch, ignore_errors=True)
    return _report(options, lines, levels, stopped, bare)


def _report(
    options: LoadOptions,
    lines: list[Line],
    levels: list[dict[str, Any]],
    stopped: str | None,
    bare: dict[str, float],
) -> dict[str, Any]:
    # capacity: the levels below the first one past the limit, and only those that served every call
    within: list[int] = []
    for level in levels:
        if level.get("past_limit"):
            break
        if level["answered"] == level["calls"]:
            within.append(level["level"])
    # the default executor's sweep is `load-PROVIDERS`; the thread executor's sits beside it
    name = f"load-{options.providers}" + ("-thread" if options.executor == "thread" else "")
    report: dict[str, Any] = {
        "benchmark": "load",
        "providers": options.providers,
        "executor": options.executor,
        "standins_profile": STANDINS_PROFILE if options.providers == "standins" else None,
        "turns": options.turns,
        "script": [line.text for line in lines],
        "levels_requested": options.levels,
        "all_levels": options.all_levels,
        "round_trip_limit_ms": ROUND_TRIP_LIMIT_MS,
        "machine": {"cpus": psutil.cpu_count(), "memory_mb": round(psutil.virtual_memory().total / 2**20)},
        "bare_worker": bare,
        "levels": levels,
        "capacity_calls": max(within) if within else 0,
        "stopped": stopped,
        "results": {
            "json": str(options.results_dir / f"{name}.json"),
            "chart": str(options.results_dir / f"{name}.png"),
        },
    }
    options.results_dir.mkdir(parents=True, exist_ok=True)
    (options.results_dir / f"{name}.json").write_text(json.dumps(report, indent=2) + "\n")
    write_chart(report, options.results_dir / f"{name}.png")
    return report


class _DropHangUpNoise(logging.Filter):
    """The native SDK logs an ERROR when a data channel closes during our own hang-up, once per call."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "closed unexpectedly" not in record.getMessage()


def run_command(args: argparse.Namespace, *, progress: Callable[[str], None]) -> dict[str, Any]:
    """`voice-agent bench load`: the sweep from parsed arguments; a failed run ends in one line, exit 1."""
    logging.getLogger("livekit").addFilter(_DropHangUpNoise())
    options = LoadOptions(
        providers=args.providers,
        levels=args.levels,
        turns=args.turns,
        executor=args.executor,
        results_dir=args.results_dir or RESULTS_DIR,
        all_levels=args.all_levels,
    )
    try:
        return run(options, progress=progress)
    except (LoadRunError, ServerSetupError) as exc:
        print(f"voice-agent: bench load: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
