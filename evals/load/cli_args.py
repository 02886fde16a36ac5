"""`voice-agent bench load`'s arguments, registered from here so agent/cli.py stays thin."""

from __future__ import annotations

import argparse
from pathlib import Path

from evals.bench_common import BenchInputError
from evals.load.providers import PROVIDER_MODES
from evals.load.script import SCRIPT
from evals.load.sweep import DEFAULT_LEVELS, parse_levels


def _levels(text: str) -> list[int]:
    try:
        return parse_levels(text)
    except BenchInputError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--levels: ")) from None


def _turns(text: str) -> int:
    try:
        turns = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= turns <= len(SCRIPT):
        raise argparse.ArgumentTypeError(f"must be between 1 and {len(SCRIPT)} (got {turns})")
    return turns


def add_load_parser(bench_kinds: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    load = bench_kinds.add_parser(
        "load", help="concurrency sweep of one worker through a real LiveKit server, until p95 > 1 s"
    )
    load.add_argument("--json", action="store_true", help="JSON output (the default; kept for clarity)")
    load.add_argument(
        "--providers",
        choices=PROVIDER_MODES,
        default="offline",
        help="offline stack, or cloud plugins on stand-ins",
    )
    load.add_argument(
        "--levels",
        type=_levels,
        default=list(DEFAULT_LEVELS),
        help="concurrent calls per level, increasing, comma-separated (default: 1,2,4,8,16,32,64)",
    )
    load.add_argument("--turns", type=_turns, default=3, help="lines each caller says after the greeting")
    load.add_argument(
        "--executor", choices=["process", "thread"], default="process", help="the worker's job executor"
    )
    load.add_argument(
        "--all-levels",
        action="store_true",
        help="run every level even past the 1 s p95 limit (memory and CPU curves); capacity is still reported",
    )
    load.add_argument(
        "--results-dir",
        type=Path,
        default=None,
        help="where load-PROVIDERS[-thread].json and .png go (default: evals/results)",
    )
