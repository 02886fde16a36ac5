"""The `voice-agent` command line: dev, worker and call."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import NoReturn

from agent.config import ConfigError, Settings, load_settings

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad argument in one line instead of usage plus error."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


def _fail(message: str) -> NoReturn:
    print(f"voice-agent: {message}", file=sys.stderr)
    raise SystemExit(EXIT_USAGE)


def _settings(**overrides: object) -> Settings:
    try:
        return load_settings(**overrides)
    except ConfigError as exc:
        _fail(str(exc))


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0: {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="voice-agent", description="Voice agent for phone and web calls, on LiveKit.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    dev = commands.add_parser("dev", help="run the local stack: LiveKit server and worker")
    dev.add_argument("--no-setup", action="store_true", help="do not run `make setup` first")

    worker = commands.add_parser("worker", help="run the worker alone")
    worker.add_argument(
        "mode",
        nargs="?",
        choices=["start", "dev"],
        default="start",
        help="start: production (drains on SIGTERM); dev: development logging, no drain",
    )

    call = commands.add_parser("call", help="call the agent over WebRTC and measure what you hear")
    call.add_argument("--say", action="append", default=[], metavar="TEXT", help="speak TEXT (repeatable)")
    call.add_argument(
        "--wav", action="append", default=[], type=Path, metavar="FILE", help="play a WAV file (repeatable)"
    )
    call.add_argument("--room", help="room name (default: a new random room)")
    call.add_argument("--url", help="LiveKit URL (default: LIVEKIT_URL)")
    call.add_argument("--timeout", type=_positive_float, default=20.0, help="seconds to wait for each reply")
    call.add_argument("--json", action="store_true", help="print one JSON document")
    call.add_argument(
        "--no-dispatch", action="store_true", help="do not dispatch the agent (it is already there)"
    )
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    if args.command == "worker":
        from agent.run_worker import run_worker

        run_worker(_settings(), dev_mode=args.mode == "dev")
    elif args.command == "dev":
        from agent.dev import run_dev

        raise SystemExit(run_dev(_settings(), run_setup=not args.no_setup))
    elif args.command == "call":
        from agent.caller import CallError, run_call_command

        overrides = {"livekit_url": args.url} if args.url else {}
        try:
            raise SystemExit(run_call_command(_settings(**overrides), args))
        except CallError as exc:
            _fail(str(exc))


if __name__ == "__main__":
    main()
