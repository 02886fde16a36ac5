"""Starts `voice-agent worker start` as a child process, for the benchmarks and the integration tests."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping

from agent.livekit_server import REPO_ROOT

PROVIDER_ENV_PREFIXES = ("LIVEKIT_", "OPENAI_", "DEEPGRAM_")
"""Left out of the child's environment: a developer's own keys or server must not leak into a run
that is meant to measure (or test) the settings it passes explicitly."""


def worker_environment(overrides: Mapping[str, str]) -> dict[str, str]:
    """This process's environment without provider settings, then the worker's test-safe defaults,
    then `overrides` (which win)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(PROVIDER_ENV_PREFIXES)}
    # no fixed HTTP port: several workers run side by side; unbuffered, so log lines arrive as written
    env.update(WORKER_HTTP_PORT="0", PYTHONUNBUFFERED="1")
    env.update(overrides)
    return env


def spawn_worker(overrides: Mapping[str, str]) -> subprocess.Popen[str]:
    """`voice-agent worker start` in its own process group (so a kill takes its job processes
    too), stdout and stderr merged into one text pipe the caller must keep reading."""
    return subprocess.Popen(
        [sys.executable, "-m", "agent.cli", "worker", "start"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=worker_environment(overrides),
        cwd=REPO_ROOT,
        start_new_session=True,
    )
