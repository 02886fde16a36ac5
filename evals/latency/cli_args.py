"""`voice-agent bench latency`'s arguments, registered from here so agent/cli.py stays thin."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from evals.bench_common import BenchInputError

Providers = Literal["standins", "offline"]
PROVIDERS: tuple[Providers, ...] = ("standins", "offline")
DEFAULT_PROFILE = "cloud-p50"
MAX_CALLS = 50
"""Each call takes ~1 min; more than this is a typo, not a benchmark."""


@dataclass(frozen=True)
class LatencyOptions:
    providers: Providers
    profile: str
    """The stand-ins' latency profile, or "offline" for the embedded stack."""
    calls: int
    out_dir: Path | None


def _known_profiles() -> list[str]:
    from evals.standins.profiles import ProfileError, profile_names

    try:
        return profile_names()
    except ProfileError as exc:
        raise BenchInputError(str(exc)) from None


def check_options(
    providers: str, profile: str | None, calls: int, out_dir: Path | None, *, known: list[str] | None = None
) -> LatencyOptions:
    """The options, or a one-line BenchInputError naming what is wrong. `known`: the profile names
    (default: evals/standins/profiles.toml's)."""
    if providers not in PROVIDERS:
        raise BenchInputError(f"--providers must be one of {', '.join(PROVIDERS)} (got {providers!r})")
    if providers == "offline":
        if profile is not None:
            raise BenchInputError("--profile applies to --providers standins only")
        resolved = "offline"
    else:
        resolved = profile or DEFAULT_PROFILE
        names = known if known is not None else _known_profiles()
        if resolved not in names:
            raise BenchInputError(f"unknown --profile {resolved!r} (known: {', '.join(names)})")
    if not 1 <= calls <= MAX_CALLS:
        raise BenchInputError(f"--calls must be between 1 and {MAX_CALLS} (got {calls})")
    if out_dir is not None and out_dir.exists() and not out_dir.is_dir():
        raise BenchInputError(f"--out is not a directory: {out_dir}")
    return LatencyOptions(providers, resolved, calls, out_dir)  # type: ignore[arg-type]


def options_from_args(args: argparse.Namespace) -> LatencyOptions:
    return check_options(args.providers, args.profile, args.calls, args.out)


def add_latency_parser(bench_kinds: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    latency = bench_kinds.add_parser(
        "latency",
        help="the production path at a WebRTC caller's ear: first audible, first word of the answer, hops",
    )
    latency.add_argument("--json", action="store_true", help="JSON output (the default; kept for clarity)")
    latency.add_argument(
        "--providers",
        default="standins",
        help="standins: the cloud plugins on the loopback stand-ins; offline: the embedded stack",
    )
    latency.add_argument(
        "--profile",
        default=None,
        help=f"the stand-ins' latency profile: zero, cloud-p50, cloud, cloud-p95 (default {DEFAULT_PROFILE})",
    )
    latency.add_argument("--calls", type=int, default=3, help="calls to place, six caller lines each")
    latency.add_argument("--out", type=Path, default=None, help="results folder (default: evals/results)")
