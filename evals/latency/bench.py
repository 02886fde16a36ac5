"""`voice-agent bench latency`: the production path timed at a WebRTC caller's ear.

A real LiveKit server and one worker (evals/live_stack.py), the worker's Deepgram and OpenAI plugins
pointed at the loopback stand-ins at a latency profile (evals/standins), and one caller at a time
speaking script.py's six lines. Per turn, timed from the caller's last audible spoken sample: the
first audible reply, and the first word of the actual answer (Whisper word timestamps on the audio
the caller received, fillers skipped); per call, the greeting from connect; per turn, the worker's
hop spans. JSON and a PNG go under evals/results/.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from agent.caller import Utterance
from agent.config import Settings
from agent.livekit_server import REPO_ROOT
from evals.latency.answer_words import Word
from evals.latency.call import HeardCall, place_latency_call
from evals.latency.chart import write_chart
from evals.latency.cli_args import LatencyOptions, options_from_args
from evals.latency.hops import LineTimes, hops_for_lines, read_call_spans
from evals.latency.received_audio import Clip
from evals.latency.report import ms_between, summarize, targets_met, turn_row
from evals.latency.script import LINES, caller_lines
from evals.latency.whisper_words import ClipWords
from evals.live_stack import local_stack

RESULTS_DIR = REPO_ROOT / "evals" / "results"
WORKER_ENV = {
    # calls come one at a time: one warm job process, so no second one loads models mid-call
    "WORKER_NUM_IDLE_PROCESSES": "1",
    # a scripted caller is not what the escalation policy is for
    "FAILED_TURNS_TO_TRANSFER": "10",
    # what the agent heard, on each voice.turn span: tells a misheard line from a slow one
    "TRACE_TRANSCRIPTS": "full",
}
SNAP_LIMIT_S = 0.5
"""How far past Whisper's end of a word its first sound may be found and still be that word's."""
WARM_PROCESS_LINE = "process initialized"
WARM_TIMEOUT_S = 120.0


class _DropHangUpNoise(logging.Filter):
    """The native SDK logs an ERROR when a data channel closes during our own hang-up."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "closed unexpectedly" not in record.getMessage()


def _seeded_data_dir() -> str:
    """The business store seeded before the worker starts: the script's caller (Dana Whitfield) must
    be found, and a job process seeding on its first call would time itself."""
    from tools.seed import seed
    from tools.sqlite_store import SQLiteBackend

    data_dir = Path(tempfile.mkdtemp(prefix="voice-agent-latency-"))
    seed(SQLiteBackend(data_dir / "store.db"), progress=lambda _message: None)
    return str(data_dir)


@contextlib.contextmanager
def _provider_env(options: LatencyOptions) -> Iterator[dict[str, str]]:
    """The stand-ins' keys and base URLs for the worker (nothing for the offline stack)."""
    if options.providers == "offline":
        yield {}
        return
    from evals.standins import launch

    # the STT double cannot recognise speech: it answers each utterance with the script's next line
    with launch(profile=options.profile, script=list(LINES), stderr=subprocess.DEVNULL) as standins:
        yield dict(standins.env)


def _wait_for_warm_processes(log_path: Path, count: int) -> bool:
    """Until the worker's log shows `count` job processes initialized: a call must not start while
    its process still loads the models, or the greeting times the loading."""
    deadline = time.monotonic() + WARM_TIMEOUT_S
    while time.monotonic() < deadline:
        text = log_path.read_text(errors="replace") if log_path.exists() else ""
        if text.count(WARM_PROCESS_LINE) >= count:
            return True
        time.sleep(0.25)
    return False


def _word_heard_at(clip: Clip | None, word: Word) -> float | None:
    """When the caller heard the word's first sound (perf_counter), Whisper's start snapped forward
    to the first audible window: its timestamps run early across a preceding silence."""
    if clip is None:
        return None
    start = clip.sound_from(word.start_s)
    # sound only well after the word's end: Whisper placed the word badly, keep its own start
    misplaced = start is None or start > word.end_s + SNAP_LIMIT_S
    return clip.heard_at(word.start_s if misplaced else start)


def _rows(
    index: int, call: HeardCall, clip_words: ClipWords, spans_path: Path
) -> tuple[list[dict[str, Any]], float | None]:
    """The call's turn rows and greeting; blocking (Whisper, the span file), so run between calls."""
    spans = read_call_spans(spans_path, call.room)
    lines = [
        LineTimes(t.speech_started_at + call.unix_offset, t.speech_ended_at + call.unix_offset)
        for t in call.turns
    ]
    hops = hops_for_lines(spans, lines) if spans else [None] * len(lines)
    rows = []
    for number, (turn, turn_hops) in enumerate(zip(call.turns, hops, strict=True), start=1):
        words = clip_words.words(turn.clip) if turn.clip is not None else []
        heard_at = {i: _word_heard_at(turn.clip, word) for i, word in enumerate(words)}
        rows.append(
            turn_row(
                call=index + 1,
                turn=number,
                said=turn.said,
                speech_ended_at=turn.speech_ended_at,
                first_audible_at=turn.first_audible_at,
                spoken_over_at=turn.spoken_over_at,
                words=words,
                word_heard_at=heard_at,
                hops=turn_hops,
            )
        )
    return rows, ms_between(call.connected_at, call.greeting_at)


def _progress_line(index: int, calls: int, greeting_ms: float | None, rows: list[dict[str, Any]]) -> str:
    def turn(row: dict[str, Any]) -> str:
        if row["no_answer"]:
            return "NO ANSWER"
        text = f"{row['first_audible_ms']}/{row['answer_word_ms']}"
        return text + (" FILLER ONLY" if row["filler_without_answer"] else "")

    return (
        f"bench latency: call {index + 1}/{calls}: greeting {greeting_ms} ms; "
        f"first audible/answer word ms: {', '.join(turn(r) for r in rows)}"
    )


async def _run_calls(
    settings: Settings,
    lines: list[Utterance],
    options: LatencyOptions,
    log_path: Path,
    spans_path: Path,
    clip_words: ClipWords,
    progress: Callable[[str], None],
) -> tuple[list[dict[str, Any]], list[float | None]]:
    turns: list[dict[str, Any]] = []
    greetings: list[float | None] = []
    for index in range(options.calls):
        # each call takes the warm process and the worker starts the next one: wait for it
        if not await asyncio.to_thread(_wait_for_warm_processes, log_path, index + 1):
            progress(f"bench latency: call {index + 1}: no warm job process after {WARM_TIMEOUT_S:.0f} s")
        call = await place_latency_call(settings, lines)
        rows, greeting_ms = await asyncio.to_thread(_rows, index, call, clip_words, spans_path)
        turns += rows
        greetings.append(greeting_ms)
        progress(_progress_line(index, options.calls, greeting_ms, rows))
    return turns, greetings


def run(options: LatencyOptions, *, progress: Callable[[str], None]) -> dict[str, Any]:
    """Start the stand-ins, a server and a worker, place the calls; return (and write) the results."""
    logging.getLogger("livekit").addFilter(_DropHangUpNoise())
    out_dir = options.out_dir or RESULTS_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    name = f"latency-{options.profile}"
    spans_path = out_dir / f"{name}-spans.jsonl"
    spans_path.unlink(missing_ok=True)  # the exporter appends: old calls' spans would mix in
    log_path = out_dir / f"{name}-worker.log"
    progress("bench latency: synthesizing the caller's lines and loading Whisper")
    lines = caller_lines()
    clip_words = ClipWords()
    started = time.monotonic()
    with _provider_env(options) as provider_env:
        worker_env = {**WORKER_ENV, **provider_env, "TRACES_PATH": str(spans_path)}
        worker_env["DATA_DIR"] = _seeded_data_dir()
        with local_stack(worker_env, log_path=log_path) as settings:
            progress(
                f"bench latency: {options.providers} ({options.profile}), server and worker up "
                f"after {time.monotonic() - started:.0f} s"
            )
            turns, greetings = asyncio.run(
                _run_calls(settings, lines, options, log_path, spans_path, clip_words, progress)
            )
    summary = summarize(turns, greetings)
    result: dict[str, Any] = {
        "benchmark": "latency",
        "providers": options.providers,
        "profile": options.profile,
        "calls": options.calls,
        "script": list(LINES),
        "summary": summary,
        "targets_met": targets_met(options.profile, summary),
        "greetings_ms": greetings,
        "turns": turns,
        "settings": {k: v for k, v in worker_env.items() if "KEY" not in k and "SECRET" not in k},
    }
    json_path = out_dir / f"{name}.json"
    chart_path = out_dir / f"{name}.png"
    result["files"] = {
        "json": str(json_path),
        "chart": str(chart_path),
        "spans": str(spans_path),
        "worker_log": str(log_path),
    }
    json_path.write_text(json.dumps(result, indent=2) + "\n")
    write_chart(result, chart_path)
    return result


def run_command(args: object, *, progress: Callable[[str], None]) -> dict[str, Any]:
    """`voice-agent bench latency`: checks the arguments (one-line BenchInputError), then runs."""
    import argparse

    from agent.livekit_server import ServerSetupError
    from evals.standins import StandInError

    assert isinstance(args, argparse.Namespace)
    options = options_from_args(args)
    try:
        return run(options, progress=progress)
    except (ServerSetupError, StandInError, RuntimeError) as exc:
        # a server that would not start, stand-ins that did not, a worker that never registered
        print(f"voice-agent: bench latency: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
