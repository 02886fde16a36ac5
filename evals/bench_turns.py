"""`voice-agent bench turns`: turn taking measured at a WebRTC caller's ear, through a real server.

Reports the end-of-turn round trip on complete turns, early answers on slow-speaker turns, the
barge-in cutoff, false stops on backchannels and noises, and interruptions whose request was lost
or truncated; writes JSON and a PNG chart under evals/results/.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from agent.config import Settings
from evals.bench_common import percentile
from evals.live_stack import local_stack
from evals.turn_caller import TurnCaller
from evals.turn_episodes import (
    REPLY_DONE_QUIET_S,
    REPLY_TIMEOUT_S,
    EventResult,
    TurnResult,
    speak_over_reply,
    take_turn,
)
from evals.turn_stimuli import Stimulus, build_stimuli
from evals.turn_timeline import attach_timelines

RESULTS_DIR = Path(__file__).resolve().parent / "results"
TARGETS = {
    "round_trip_p95_ms": 700.0,
    "cutoff_p95_ms": 250.0,
    "false_stop_rate": 0.05,
    "lost_or_truncated_rate": 0.0,
    "slow_early_answers": 0,
}
WORKER_ENV = {
    "WORKER_NUM_IDLE_PROCESSES": "1",
    # a scripted caller repeats itself; the escalation path is not what this measures
    "FAILED_TURNS_TO_TRANSFER": "10",
    # the state log (agent/turns/state_log.py) shows where barge-in time goes
    "LOG_LEVEL": "DEBUG",
}
INTERRUPTION_REPEATS = 2
SOUND_REPEATS = 2
NOISE_REPEATS = 4


def _events(stimuli: dict[str, list[Stimulus]], rng: random.Random) -> list[Stimulus]:
    events = stimuli["interruption"] * INTERRUPTION_REPEATS
    events += stimuli["backchannel"] * SOUND_REPEATS + stimuli["noise"] * NOISE_REPEATS
    rng.shuffle(events)
    return events


async def _one_call(
    settings: Settings, index: int, turns: list[Stimulus], events: list[Stimulus], slow: Stimulus
) -> tuple[list[TurnResult], list[EventResult]]:
    """Greeting (+ event), turn (+ event), turn (+ event), slow turn, turn (+ event)."""
    caller = TurnCaller(settings)
    turn_results: list[TurnResult] = []
    event_results: list[EventResult] = []
    try:
        await caller.connect()
        joined = time.perf_counter()
        onset = await caller.wait_onset_after(joined, 20.0)
        plan: list[Stimulus | None] = [None, turns[0], turns[1], slow, turns[2]]
        pending = list(events)
        for step in plan:
            result = None
            if step is not None:
                result, onset = await take_turn(caller, step)
                turn_results.append(result)
            if onset is not None and pending and step is not slow:
                event_results.append(await speak_over_reply(caller, pending.pop(0), onset))
            await caller.wait_quiet(REPLY_DONE_QUIET_S, REPLY_TIMEOUT_S)
            if result is not None:
                result.agent_heard = caller.heard_from_caller_since(result.spoken_at - 0.2)
    finally:
        await caller.aclose()
    return turn_results, event_results


def _rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 3) if denominator else None


def summarize(turns: list[TurnResult], events: list[EventResult]) -> dict[str, object]:
    complete = [t for t in turns if t.kind == "complete"]
    round_trips = [t.round_trip_ms for t in complete if t.round_trip_ms is not None]
    slow = [t for t in turns if t.kind == "slow"]
    interruptions = [e for e in events if e.kind == "interruption" and not e.skipped]
    cutoffs = [e.cutoff_ms for e in interruptions if e.cutoff_ms is not None]
    sounds = [e for e in events if e.kind in {"backchannel", "noise"} and not e.skipped]
    lost = [e for e in interruptions if not e.answered or e.truncated]

    summary = {
        "round_trip": {
            "count": len(round_trips),
            "p50_ms": percentile(round_trips, 0.5),
            "p95_ms": percentile(round_trips, 0.95),
            "unanswered": sum(not t.answered for t in complete),
            "early_answers": sum(t.early_answer for t in complete),
        },
        "slow_speaker": {"count": len(slow), "early_answers": sum(t.early_answer for t in slow)},
        "cutoff": {
            "count": len(interruptions),
            "p50_ms": percentile(cutoffs, 0.5),
            "p95_ms": percentile(cutoffs, 0.95) if len(cutoffs) == len(interruptions) else None,
            "never_stopped": len(interruptions) - len(cutoffs),
            "resumed_over_caller": sum(e.resumed_over_caller for e in interruptions),
        },
        "backchannels": {
            "count": len(sounds),
            "false_stops": sum(e.false_stop for e in sounds),
            "false_stop_rate": _rate(sum(e.false_stop for e in sounds), len(sounds)),
            "longest_silence_p95_ms": percentile([e.longest_silence_ms for e in sounds], 0.95),
            "resumed_after_sound_ended_p50_ms": percentile(
                [e.resumed_after_ms for e in sounds if e.resumed_after_ms is not None], 0.5
            ),
            "resumed_after_sound_ended_p95_ms": percentile(
                [e.resumed_after_ms for e in sounds if e.resumed_after_ms is not None], 0.95
            ),
            "restarted": sum(e.restarted for e in sounds),
            "abandoned": sum(e.abandoned for e in sounds),
        },
        "interruptions_lost_or_truncated": {
            "count": len(interruptions),
            "lost": sum(not e.answered for e in interruptions),
            "truncated": sum(e.truncated for e in interruptions),
            "rate": _rate(len(lost), len(interruptions)),
        },
        "skipped_events": sum(bool(e.skipped) for e in events),
    }
    summary["targets_met"] = _targets_met(summary)
    return summary


def _targets_met(summary: dict[str, object]) -> dict[str, bool]:
    def get(section: str, key: str) -> object:
        return summary[section][key]  # type: ignore[index]

    round_trip, cutoff = get("round_trip", "p95_ms"), get("cutoff", "p95_ms")
    false_stops = get("backchannels", "false_stop_rate")
    return {
        "round_trip_p95_ms": round_trip is not None and round_trip <= TARGETS["round_trip_p95_ms"],  # type: ignore[operator]
        "cutoff_p95_ms": cutoff is not None and cutoff <= TARGETS["cutoff_p95_ms"],  # type: ignore[operator]
        "false_stop_rate": false_stops is not None and false_stops <= TARGETS["false_stop_rate"],  # type: ignore[operator]
        "lost_or_truncated_rate": get("interruptions_lost_or_truncated", "rate") == 0.0,
        "slow_early_answers": get("slow_speaker", "early_answers") == 0,
    }


def _span_hops(path: Path) -> dict[str, dict[str, float | int | None]]:
    from agent.telemetry.span_files import read_span_files

    spans = read_span_files([path]).spans if path.exists() else []
    hops: dict[str, list[float]] = {}
    for span in spans:
        if span.name in {"voice.hop.end_of_turn", "voice.hop.stt_final", "voice.hop.round_trip"}:
            hops.setdefault(span.name, []).append(span.duration_ms)
    return {
        name: {"count": len(values), "p50_ms": percentile(values, 0.5), "p95_ms": percentile(values, 0.95)}
        for name, values in sorted(hops.items())
    }


async def _run_calls(
    settings: Settings, calls: int, seed: int, progress: Callable[[str], None]
) -> tuple[list[TurnResult], list[EventResult]]:
    rng = random.Random(seed)
    stimuli = build_stimuli(seed)
    events = _events(stimuli, rng)
    per_call = -(-len(events) // calls)
    turns: list[TurnResult] = []
    heard: list[EventResult] = []
    complete = stimuli["complete"]
    for index in range(calls):
        call_turns = [complete[(index + k) % len(complete)] for k in range(3)]
        slow = stimuli["slow"][index % len(stimuli["slow"])]
        call_events = events[index * per_call : (index + 1) * per_call]
        turn_results, event_results = await _one_call(settings, index, call_turns, call_events, slow)
        turns += turn_results
        heard += event_results
        progress(
            f"bench turns: call {index + 1}/{calls}: "
            + ", ".join(
                f"{t.kind} {t.round_trip_ms if not t.early_answer else 'EARLY'}" for t in turn_results
            )
            + " | "
            + ", ".join(
                f"{e.kind} {e.label!r}: "
                + (
                    e.skipped
                    or (
                        f"cutoff {e.cutoff_ms}"
                        if e.kind == "interruption"
                        else f"silence {e.longest_silence_ms}"
                    )
                )
                + (" FALSE STOP" if e.kind != "interruption" and e.false_stop else "")
                + (
                    " LOST/TRUNCATED"
                    if e.kind == "interruption" and not e.skipped and (e.truncated or not e.answered)
                    else ""
                )
                for e in event_results
            )
        )
    return turns, heard


def _chart(result: dict[str, object], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    turns = result["turns"]
    events = result["events"]
    round_trips = [
        t["round_trip_ms"] for t in turns if t["kind"] == "complete" and t["round_trip_ms"] is not None
    ]  # type: ignore[index,union-attr]
    cutoffs = [e["cutoff_ms"] for e in events if e["kind"] == "interruption" and e["cutoff_ms"] is not None]  # type: ignore[index,union-attr]
    silences = [
        e["longest_silence_ms"] for e in events if e["kind"] in {"backchannel", "noise"} and not e["skipped"]
    ]  # type: ignore[index,union-attr]
    figure, axes = plt.subplots(1, 3, figsize=(13, 4))
    for axis, values, target, title in (
        (axes[0], round_trips, TARGETS["round_trip_p95_ms"], "end-of-turn round trip (ms)"),
        (axes[1], cutoffs, TARGETS["cutoff_p95_ms"], "barge-in cutoff (ms)"),
        (axes[2], silences, 600.0, "longest silence after a backchannel (ms)"),
    ):
        axis.hist(values, bins=15, color="#4a7ab5")
        axis.axvline(target, color="#c0392b", linestyle="--", label=f"target {target:.0f}")
        axis.set_title(f"{title}, n={len(values)}")
        axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def run(
    *,
    calls: int = 9,
    seed: int = 7,
    env: dict[str, str] | None = None,
    out_dir: Path = RESULTS_DIR,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, object]:
    """Start a server and a worker, place `calls` calls, and return (and write) the results."""
    logging.getLogger("livekit").setLevel(logging.ERROR)
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    traces = out_dir / f"turns-{stamp}-spans.jsonl"
    worker_env = {**WORKER_ENV, "TRACES_PATH": str(traces), **(env or {})}
    started = time.monotonic()
    log_path = out_dir / f"turns-{stamp}-worker.log"
    with local_stack(worker_env, log_path=log_path) as settings:
        progress(f"bench turns: server and worker up after {time.monotonic() - started:.0f} s")
        turns, events = asyncio.run(_run_calls(settings, calls, seed, progress))
    event_rows = [e.to_json() for e in events]
    result: dict[str, object] = {
        "summary": summarize(turns, events),
        "targets": TARGETS,
        "span_hops": _span_hops(traces),
        "barge_in_worker_medians": attach_timelines(event_rows, log_path),
        "settings": worker_env,
        "turns": [{k: v for k, v in asdict(t).items() if k != "spoken_at"} for t in turns],
        "events": event_rows,
    }
    json_path = out_dir / f"turns-{stamp}.json"
    json_path.write_text(json.dumps(result, indent=2))
    chart_path = out_dir / f"turns-{stamp}.png"
    _chart(result, chart_path)
    result["files"] = {
        "json": str(json_path),
        "chart": str(chart_path),
        "spans": str(traces),
        "worker_log": str(log_path),
    }
    return result


def run_command(args: object, *, progress: Callable[[str], None]) -> dict[str, object]:
    """`voice-agent bench turns`: checks the arguments (one-line BenchInputError), then runs."""
    from evals.bench_common import BenchInputError

    calls = getattr(args, "calls", 9)
    if calls < 1:
        raise BenchInputError("--calls must be at least 1")
    env: dict[str, str] = {}
    for item in getattr(args, "set", []):
        name, sep, value = item.partition("=")
        if not sep or not name.isupper():
            raise BenchInputError(f"--set needs NAME=VALUE with an upper-case setting name (got {item!r})")
        env[name] = value
    out = getattr(args, "out", None) or RESULTS_DIR
    return run(calls=calls, seed=getattr(args, "seed", 7), env=env, out_dir=out, progress=progress)
