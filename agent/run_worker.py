"""Runs the worker under LiveKit's own CLI loop, which owns signals, drain and shutdown."""

from __future__ import annotations

import logging
import sys

from livekit.agents.cli import proto
from livekit.agents.cli.cli import _run_worker

from agent.config import Settings
from agent.worker import build_server

EXIT_GAVE_UP = 1


class _OneLineConnectionFailure(logging.Filter):
    """Giving up on the server is an expected outcome, not a crash: log it without a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, RuntimeError) and "failed to connect to livekit" in str(error):
            record.msg, record.args = f"giving up: {error}", ()
            record.exc_info = None
            record.exc_text = None
        return True


def run_worker(settings: Settings, *, dev_mode: bool) -> None:
    server = build_server(settings)
    logging.getLogger("livekit.agents").addFilter(_OneLineConnectionFailure())
    # `_run_worker` is what `python -m livekit.agents start` calls; reusing it keeps
    # LiveKit's start/dev semantics (SIGTERM drains in start mode) instead of re-implementing them.
    _run_worker(
        server,
        proto.CliArgs(
            log_level=settings.log_level,
            log_format="colored" if dev_mode else "json",
            dev=dev_mode,
        ),
    )
    if server._connection_failed:
        print(
            f"voice-agent: cannot connect to the LiveKit server at {settings.livekit_url} "
            f"after {settings.worker_max_retry} retries",
            file=sys.stderr,
        )
        raise SystemExit(EXIT_GAVE_UP)
