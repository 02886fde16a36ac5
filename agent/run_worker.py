"""Runs the worker under LiveKit's own CLI loop, which owns signals, drain and shutdown."""

from __future__ import annotations

import logging
import sys

from livekit.agents.cli import cli as livekit_cli
from livekit.agents.cli import proto
from livekit.agents.cli.cli import _run_worker

from agent.config import Settings
from agent.telemetry.logs import install_worker_formatter
from agent.telemetry.redaction import Redactor, set_redactor
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


def _structlog_after_livekit(dev_mode: bool) -> None:
    """`_run_worker` sets up LiveKit's log handler itself; ours then renders every record with
    structlog (JSON, or console in dev), job processes' forwarded records included."""
    livekit_setup = livekit_cli.setup_logging

    def setup_logging(log_level: str, devmode: bool, console: bool, compact: bool = False) -> None:
        livekit_setup(log_level, devmode, console, compact)
        install_worker_formatter(dev=dev_mode)

    livekit_cli.setup_logging = setup_logging  # type: ignore[assignment]


def run_worker(settings: Settings, *, dev_mode: bool) -> None:
    set_redactor(Redactor(enabled=settings.redact_pii))
    _structlog_after_livekit(dev_mode)
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
