"""`python -m evals.standins serve ...`: run the provider test doubles on one loopback port."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from evals.standins.faults import FaultError, parse_fault
from evals.standins.loopback import NotLoopback, check_loopback
from evals.standins.profiles import DEFAULT_PROFILE, ProfileError, load_drip, load_profile, profile_names
from evals.standins.script import Script, ScriptError, read_script

if TYPE_CHECKING:
    from evals.standins.state import StandInState

PROG = "python -m evals.standins"


class _OneLineParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(prog=PROG, description="Provider stand-ins (test doubles) on loopback.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_OneLineParser)
    run = commands.add_parser(
        "serve",
        help="serve the Deepgram, OpenAI chat and OpenAI speech test doubles on one port",
        description="Prints one JSON line on stdout when ready: {url, env}. Logs go to stderr.",
    )
    run.add_argument(
        "--profile", default=DEFAULT_PROFILE, help=f"latency profile ({', '.join(profile_names())})"
    )
    run.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="HOP:KIND",
        help="inject a fault: hop stt|llm|tts, kind hang|5xx|disconnect|slow-drip|none (repeatable)",
    )
    run.add_argument("--script", type=Path, help="what callers say: one utterance per line, or a JSON list")
    run.add_argument("--seed", type=int, default=0, help="seed of the latency sampling (default 0)")
    run.add_argument("--host", default="127.0.0.1", help="loopback address (default 127.0.0.1)")
    run.add_argument("--port", type=int, default=0, help="port; 0 picks a free one (default)")
    return parser


def _state_from(args: argparse.Namespace) -> StandInState:
    # imported here: bad arguments get their one line without loading LiveKit first
    from evals.standins.state import StandInState

    state = StandInState(profile=load_profile(args.profile), drip=load_drip(), seed=args.seed)
    for text in args.fault:
        hop, kind = parse_fault(text)
        state.faults.set(hop, kind)
    if args.script is not None:
        state.script = Script(read_script(args.script))
    if not 0 <= args.port <= 65535:
        raise ValueError(f"--port must be between 0 and 65535 (got {args.port})")
    check_loopback(args.host)
    return state


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        state = _state_from(args)
    except (ProfileError, FaultError, ScriptError, NotLoopback, ValueError) as exc:
        sys.stderr.write(f"{PROG}: error: {exc}\n")
        return 2
    level = logging.DEBUG if os.environ.get("STANDINS_DEBUG") else logging.INFO
    logging.basicConfig(level=level, stream=sys.stderr, format="standins (test double): %(message)s")
    from evals.standins.server import serve

    try:
        asyncio.run(serve(state, args.host, args.port))
    except KeyboardInterrupt:
        return 130
    except OSError as exc:
        sys.stderr.write(f"{PROG}: error: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}\n")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
