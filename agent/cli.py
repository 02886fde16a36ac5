"""The `voice-agent` command line: dev, worker, call, operator, sip, callbacks, bench, traces and data."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import NoReturn

from agent.config import ConfigError, Settings, load_settings
from evals.latency.cli_args import add_latency_parser
from evals.load.cli_args import add_load_parser

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


def _identity(text: str) -> str:
    from agent.escalation.roster import parse_roster

    if ":" in text or "," in text:
        raise argparse.ArgumentTypeError(f"an identity has no ':' or ',': {text!r}")
    try:
        parse_roster(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: an identity is 1-64 letters, digits or _.@-") from None
    return text


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="voice-agent", description="Voice agent for phone and web calls, on LiveKit.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    dev = commands.add_parser("dev", help="run the local stack: LiveKit server and worker")
    dev.add_argument("--no-setup", action="store_true", help="do not run `make setup` first")
    dev.add_argument(
        "--sip",
        action="store_true",
        help="also run Redis and livekit-sip, provision the trunk, print the SIP URI",
    )

    web_help = "run the token service alone: call page, operator console, POST /api/token (docs/web.md)"
    commands.add_parser("web", help=web_help, description=web_help)

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
    operator = commands.add_parser(
        "operator", help="sign in as a person on duty: take transferred calls (docs/operator-protocol.md)"
    )
    operator.add_argument("--identity", required=True, type=_identity, help="your identity (the roster's)")
    operator.add_argument("--name", default="", help="the name the caller hears (default: the identity)")
    operator.add_argument("--tier", choices=["first", "supervisor"], default="first", help="your tier")
    operator.add_argument(
        "--decision",
        choices=["accept", "decline", "ignore"],
        default="accept",
        help="what to do with an offer: accept, decline, or let it ring out",
    )
    operator.add_argument(
        "--say", action="append", default=[], metavar="TEXT", help="speak TEXT once connected (repeatable)"
    )
    operator.add_argument("--once", action="store_true", help="exit after one transfer ends")
    operator.add_argument("--json", action="store_true", help="print one JSON report at exit")
    operator.add_argument("--url", help="LiveKit URL (default: LIVEKIT_URL)")

    sip = commands.add_parser("sip", help="telephony through livekit-sip (docs/sip.md)")
    sip_actions = sip.add_subparsers(dest="sip", required=True, parser_class=_Parser)
    sip_setup = sip_actions.add_parser(
        "setup", help="create or update the inbound trunk, dispatch rule and outbound trunk (idempotent)"
    )
    sip_setup.add_argument("--dry-run", action="store_true", help="show what would change; change nothing")
    sip_setup.add_argument("--json", action="store_true", help="print the changes as JSON")
    sip_setup.add_argument("--url", help="LiveKit URL (default: LIVEKIT_URL)")

    callbacks = commands.add_parser("callbacks", help="the scheduled callbacks, for the back office")
    callbacks.add_argument("--json", action="store_true", help="print JSON")

    traces = commands.add_parser("traces", help="operator tools for span files")
    trace_actions = traces.add_subparsers(dest="traces", required=True, parser_class=_Parser)
    review = trace_actions.add_parser("review", help="per-hop latency percentiles against budgets")
    review.add_argument(
        "paths",
        type=Path,
        nargs="+",
        metavar="PATH",
        help="JSON-lines span files (ours or an OTel Collector's)",
    )
    review.add_argument("--check", action="store_true", help="exit 1 when any hop's p95 is over budget")
    review.add_argument("--json", action="store_true", help="print the review as JSON")
    review.add_argument(
        "--html", type=Path, metavar="FILE", help="also write a chart of each hop against its budget"
    )
    review.add_argument(
        "--budgets", type=Path, metavar="FILE", help="budget file (default: agent/telemetry/budgets.toml)"
    )

    data = commands.add_parser("data", help="the embedded business store")
    data_actions = data.add_subparsers(dest="data", required=True, parser_class=_Parser)
    data_seed = data_actions.add_parser("seed", help="load the demo front-desk data into the SQLite store")
    data_seed.add_argument("--reset", action="store_true", help="delete everything in the store first")

    bench = commands.add_parser("bench", help="benchmarks; JSON on stdout, progress on stderr")
    bench_kinds = bench.add_subparsers(dest="bench", required=True, parser_class=_Parser)
    bench_stt = bench_kinds.add_parser(
        "stt", help="WER, first-partial and final latency over NAME.wav + NAME.txt"
    )
    bench_stt.add_argument("directory", type=Path)
    bench_tts = bench_kinds.add_parser("tts", help="time to first audio and real-time factor")
    bench_tts.add_argument(
        "texts", type=Path, nargs="?", help="a text file or a directory of them (one text a line)"
    )
    bench_dialog = bench_kinds.add_parser("dialog", help="tool choice and argument accuracy over scenarios")
    bench_dialog.add_argument(
        "scenarios", type=Path, nargs="?", help="scenario YAML (default: evals/scenarios/dialog.yaml)"
    )
    bench_testset = bench_kinds.add_parser("testset", help="generate the speech test set")
    bench_testset.add_argument("directory", type=Path)
    bench_testset.add_argument("--limit", type=int, default=None, help="at most this many clips")
    add_load_parser(bench_kinds)
    add_latency_parser(bench_kinds)
    bench_turns = bench_kinds.add_parser(
        "turns", help="turn taking at a WebRTC caller's ear: end of turn, barge-in, backchannels"
    )
    bench_turns.add_argument("--calls", type=int, default=9, help="calls to place (4 events each)")
    bench_turns.add_argument("--seed", type=int, default=7, help="orders the events")
    bench_turns.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a worker setting, e.g. ENDPOINTING_MIN_DELAY_S=0.2",
    )
    bench_turns.add_argument("--out", type=Path, default=None, help="results folder (default: evals/results)")
    for sub in (bench_stt, bench_tts, bench_dialog, bench_turns):
        sub.add_argument("--json", action="store_true", help="JSON output (the default; kept for clarity)")
    return parser


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _run_bench(args: argparse.Namespace) -> int:
    import json

    from evals.bench_common import BenchInputError

    try:
        if args.bench == "testset":
            from evals.testset import generate

            count = generate(args.directory, limit=args.limit, progress=_progress)
            print(json.dumps({"testset": str(args.directory), "clips": count}))
            return 0
        if args.bench == "stt":
            from evals.bench_common import find_clips

            find_clips(args.directory)  # bad input is one line at once, not after the ~2 s STT import
            from evals.bench_stt import run as run_stt

            result = run_stt(args.directory, progress=_progress)
        elif args.bench == "load":
            from evals.bench_load import run_command as run_load

            result = run_load(args, progress=_progress)
        elif args.bench == "latency":
            from evals.latency.bench import run_command as run_latency

            result = run_latency(args, progress=_progress)
        elif args.bench == "turns":
            from evals.bench_turns import run_command as run_turns

            result = run_turns(args, progress=_progress)
        elif args.bench == "dialog":
            from evals.bench_dialog import run as run_dialog

            result = run_dialog(args.scenarios, progress=_progress)
        else:
            from evals.bench_tts import run as run_tts

            result = run_tts(args.texts, progress=_progress)
    except BenchInputError as exc:
        _fail(str(exc))
    print(json.dumps(result, indent=2))
    return 0


def _run_review(args: argparse.Namespace) -> int:
    import json

    from agent.telemetry.budgets import DEFAULT_BUDGETS, BudgetFileError, load_budgets
    from agent.telemetry.review import render_html, render_text, review
    from agent.telemetry.span_files import read_span_files

    try:
        budgets = load_budgets(args.budgets or DEFAULT_BUDGETS)
    except BudgetFileError as exc:
        _fail(str(exc))
    read = read_span_files(args.paths)
    for problem in read.problems:
        print(f"traces review: {problem}", file=sys.stderr)
    if not read.spans:
        _fail("no spans to review")
    report = review(read.spans, budgets)
    print(json.dumps(report, indent=2) if args.json else render_text(report))
    if args.html:
        args.html.write_text(render_html(report))
        print(f"traces review: chart written to {args.html}", file=sys.stderr)
    return 1 if args.check and report["breached"] else 0


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    if args.command == "worker":
        settings = _settings()  # a bad setting is one line at once, not after the ~2 s worker import
        from agent.run_worker import run_worker

        run_worker(settings, dev_mode=args.mode == "dev")
    elif args.command == "dev":
        from agent.dev import run_dev

        raise SystemExit(run_dev(_settings(), run_setup=not args.no_setup, sip=args.sip))
    elif args.command == "sip":
        from agent.telephony.setup_command import run_sip_setup

        overrides = {"livekit_url": args.url} if args.url else {}
        raise SystemExit(run_sip_setup(_settings(**overrides), dry_run=args.dry_run, as_json=args.json))
    elif args.command == "web":
        from web.server import run_web

        raise SystemExit(run_web(_settings()))
    elif args.command == "operator":
        from agent.operator import OperatorError, OperatorOptions, run_operator_command

        overrides = {"livekit_url": args.url} if args.url else {}
        options = OperatorOptions(
            identity=args.identity,
            tier=args.tier,
            decision=args.decision,
            say=[text for text in args.say if text.strip()],
            once=args.once,
            name=args.name,
        )
        try:
            raise SystemExit(run_operator_command(_settings(**overrides), options, as_json=args.json))
        except OperatorError as exc:
            _fail(str(exc))
    elif args.command == "callbacks":
        from agent.escalation.callbacks import print_callbacks

        raise SystemExit(print_callbacks(_settings(), as_json=args.json))
    elif args.command == "traces":
        raise SystemExit(_run_review(args))
    elif args.command == "data":
        from tools.seed import seed
        from tools.sqlite_store import SQLiteBackend

        settings = _settings()
        counts = seed(SQLiteBackend(settings.store_path), reset=args.reset, progress=_progress)
        print(f"store {settings.store_path}: {counts['customers']} customers, {counts['slots']} slots")
    elif args.command == "bench":
        raise SystemExit(_run_bench(args))
    elif args.command == "call":
        from agent.caller import CallError, run_call_command

        overrides = {"livekit_url": args.url} if args.url else {}
        try:
            raise SystemExit(run_call_command(_settings(**overrides), args))
        except CallError as exc:
            _fail(str(exc))


if __name__ == "__main__":
    main()
