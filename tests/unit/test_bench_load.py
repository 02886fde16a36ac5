"""The load bench's pure parts: levels, percentiles, the stop rule, the report's shape, and its arguments."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from agent.telemetry.span_files import Span
from evals.bench_common import BenchInputError
from evals.bench_load import LoadOptions, _memory_shortfall, _report, check_turns
from evals.load.ear_hub import EAR_RATE, REPLY_DONE_SILENCE_S, Ear
from evals.load.mic_ticker import FRAME_SAMPLES, Microphone, MicTicker, frames_of
from evals.load.scripted_call import Line, is_overflow
from evals.load.sweep import (
    DEFAULT_LEVELS,
    CallResult,
    distribution_ms,
    level_figures,
    parse_levels,
    stop_reason,
)
from evals.load.worker_spans import span_figures
from tests.unit.test_cli import assert_one_line_error, run_cli


def test_levels_parse_and_default_to_the_issue_s_sweep() -> None:
    assert parse_levels("1, 2,4") == [1, 2, 4]
    assert list(DEFAULT_LEVELS) == [1, 2, 4, 8, 16, 32, 64]


@pytest.mark.parametrize("text", ["", "1,,2", "a", "0,1", "4,2", "2,2", "1,300", "1.5"])
def test_bad_levels_are_one_clear_error(text: str) -> None:
    with pytest.raises(BenchInputError, match="--levels"):
        parse_levels(text)


def test_distribution_is_nearest_rank_with_max() -> None:
    values = [float(v) for v in range(1, 21)]
    assert distribution_ms(values) == {"count": 20, "p50_ms": 10.0, "p95_ms": 19.0, "max_ms": 20.0}
    assert distribution_ms([]) == {"count": 0, "p50_ms": None, "p95_ms": None, "max_ms": None}


def _calls(round_trips: list[list[float]], outcomes: list[str] | None = None) -> list[CallResult]:
    outcomes = outcomes or ["answered"] * len(round_trips)
    return [
        CallResult(outcome, greeting_ms=400.0 if trips else None, round_trips_ms=trips)  # type: ignore[arg-type]
        for trips, outcome in zip(round_trips, outcomes, strict=True)
    ]


def test_level_figures_pool_every_answered_turn_and_count_outcomes() -> None:
    figures = level_figures(_calls([[700.0, 800.0], [900.0], []], ["answered", "lost", "refused"]))
    assert figures["calls"] == 3
    assert (figures["answered"], figures["refused"], figures["lost"]) == (1, 1, 1)
    assert figures["round_trip"] == {"count": 3, "p50_ms": 800.0, "p95_ms": 900.0, "max_ms": 900.0}
    assert figures["greeting"]["count"] == 2
    assert figures["overlapped_turns"] == 0


def test_the_sweep_stops_past_one_second_at_p95() -> None:
    assert stop_reason(level_figures(_calls([[700.0] * 19 + [1000.0]]))) is None
    reason = stop_reason(level_figures(_calls([[700.0] * 18 + [1001.0, 1200.0]])))
    assert reason is not None and "p95" in reason


def test_the_sweep_stops_when_no_turn_or_too_few_calls_were_served() -> None:
    assert stop_reason(level_figures(_calls([[]], ["lost"]))) == "no turn was answered"
    mostly_lost = level_figures(_calls([[700.0], [], []], ["answered", "lost", "refused"]))
    assert "refused or lost" in (stop_reason(mostly_lost) or "")


def test_turns_are_bounded_by_the_script() -> None:
    assert check_turns(3) == 3
    with pytest.raises(BenchInputError, match="--turns"):
        check_turns(0)


def test_a_level_that_would_not_fit_in_memory_is_not_run() -> None:
    assert _memory_shortfall(1, 1.0) is None
    assert "needs" in (_memory_shortfall(256, 10**6) or "")


def test_report_shape_and_files(tmp_path: Path) -> None:
    level = {
        "level": 1,
        **level_figures(_calls([[700.0, 800.0]])),
        "mic_to_first_partial": distribution_ms([200.0]),
        "worker": {"cpu_percent": 30.0, "peak_cpu_percent": 90.0, "rss_per_call_mb": 550.0},
        "generator": {"cpu_percent": 10.0},
    }
    options = LoadOptions(levels=[1, 2], turns=2, results_dir=tmp_path)
    lines = [Line("hello", []), Line("bye", [])]
    report = _report(options, lines, [level], None, {"rss_mb": 200.0, "pss_mb": 150.0})
    assert report["benchmark"] == "load" and report["providers"] == "offline"
    assert report["executor"] == "process" and report["script"] == ["hello", "bye"]
    assert report["capacity_calls"] == 1
    assert json.loads((tmp_path / "load-offline.json").read_text()) == report
    assert (tmp_path / "load-offline.png").read_bytes().startswith(b"\x89PNG")


def test_speech_becomes_whole_ticker_frames() -> None:
    frames = frames_of(np.ones(FRAME_SAMPLES + 1, np.int16))
    assert len(frames) == 2 and all(frame.size == FRAME_SAMPLES for frame in frames)
    assert frames[1][1:].sum() == 0


def test_the_ear_dates_an_onset_inside_its_frame() -> None:
    ear = Ear()
    quiet = np.zeros(EAR_RATE // 50, np.int16)
    loud = quiet.copy()
    loud[160:] = 8000  # audible from 10 ms into a 20 ms frame
    ear.hear(quiet, arrived_at=10.0)
    ear.hear(loud, arrived_at=10.02)
    assert ear.onsets == [pytest.approx(10.01)]
    ear.hear(loud, arrived_at=10.04)  # the same reply goes on
    ear.hear(loud, arrived_at=10.04 + REPLY_DONE_SILENCE_S + 0.1)  # a new reply after a quiet gap
    assert len(ear.onsets) == 2
    assert ear.onset_after(10.5) == pytest.approx(ear.onsets[1])


def test_the_overflow_queue_is_told_from_the_agent() -> None:
    assert is_overflow(SimpleNamespace(identity="overflow-queue", name="", attributes={}))  # type: ignore[arg-type]
    assert is_overflow(SimpleNamespace(identity="agent-x", name="", attributes={"role": "Overflow"}))  # type: ignore[arg-type]
    assert not is_overflow(SimpleNamespace(identity="agent-AJ_1", name="", attributes={}))  # type: ignore[arg-type]
    # the waiting line joins with the job's agent token: its track is what tells it apart
    agent = SimpleNamespace(identity="agent-AJ_1", name="", attributes={})
    assert is_overflow(agent, "waiting-line")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--levels", "4,2"], "levels must increase"),
        (["--turns", "9"], "--turns"),
        (["--providers", "cloud"], "--providers"),
        (["--executor", "fork"], "--executor"),
    ],
)
def test_bad_arguments_are_one_line_exit_2(args: list[str], fragment: str) -> None:
    assert_one_line_error(run_cli("bench", "load", *args), fragment)


def test_capacity_is_the_last_level_before_the_limit_was_passed(tmp_path: Path) -> None:
    def level(calls: int, past_limit: str | None) -> dict[str, object]:
        return {"level": calls, **level_figures(_calls([[700.0]] * calls)), "past_limit": past_limit}

    levels = [
        level(1, None),
        level(2, None),
        level(4, "p95 round trip 1200 ms is over 1000 ms"),
        level(8, None),
    ]
    options = LoadOptions(levels=[1, 2, 4, 8], results_dir=tmp_path, all_levels=True)
    report = _report(options, [Line("hello", [])], levels, None, {"rss_mb": 1.0, "pss_mb": 1.0})
    assert report["capacity_calls"] == 2


async def test_a_hung_up_microphone_does_not_stall_the_ticker() -> None:
    ticker = MicTicker()
    gone, live = Microphone(), Microphone()
    await gone.source.aclose()  # a caller that hung up between two ticks
    ticker.add(gone)
    ticker.add(live)
    await asyncio.sleep(0.2)  # never returns if the ticker spins on the closed source
    await ticker.aclose()
    assert live.source.queued_duration > 0
    await live.source.aclose()


def test_span_figures_give_every_hop_as_review_reads_it() -> None:
    def span(name: str, ms: float, **attributes: object) -> Span:
        return Span(name, "t", name, None, 0, int(ms * 1e6), dict(attributes))

    spans = [
        span("voice.call", 5000),
        span("voice.hop.mic_to_first_partial", 200),
        span("voice.hop.round_trip", 700),
        span("voice.hop.llm", 900, ttft_ms=120.0),  # judged on its first token, not its length
    ]
    figures = span_figures(spans)
    assert figures["calls_in_spans"] == 1
    assert figures["mic_to_first_partial"]["p50_ms"] == 200.0  # type: ignore[index]
    assert figures["agent_hops"]["llm"]["p50_ms"] == 120.0  # type: ignore[index]
    assert set(figures["agent_hops"]) == {"mic_to_first_partial", "round_trip", "llm"}  # type: ignore[arg-type]
