"""Runs the worker under LiveKit's own CLI loop, which owns signals, drain and shutdown."""

from __future__ import annotations

from livekit.agents.cli import proto
from livekit.agents.cli.cli import _run_worker

from agent.config import Settings
from agent.worker import build_server


def run_worker(settings: Settings, *, dev_mode: bool) -> None:
    # `_run_worker` is what `python -m livekit.agents start` calls; reusing it keeps
    # LiveKit's start/dev semantics (SIGTERM drains in start mode) instead of re-implementing them.
    _run_worker(
        build_server(settings),
        proto.CliArgs(
            log_level=settings.log_level,
            log_format="colored" if dev_mode else "json",
            dev=dev_mode,
        ),
    )
