"""`voice-agent traces review`: percentiles by hand on a fixed span file, and bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from agent.telemetry.budgets import load_budgets
from agent.telemetry.review import review
from agent.telemetry.span_files import read_span_files

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SPANS, COLLECTOR = FIXTURES / "spans.jsonl", FIXTURES / "collector.json"


def run_review(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "agent.cli", "traces", "review", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_percentiles_match_a_hand_computation() -> None:
    report = review(read_span_files([SPANS, COLLECTOR]).spans, load_budgets())
    # round trips are 600, 620, ..., 980 ms (20 turns). Nearest rank: p50 = 10th, p95 = 19th, p99 = 20th.
    round_trip = report["hops"]["voice.hop.round_trip"]
    assert (round_trip["count"], round_trip["p50_ms"], round_trip["p95_ms"], round_trip["p99_ms"]) == (
        20,
        780.0,
        960.0,
        980.0,
    )
    assert round_trip["breach_rate"] == 0.0 and not round_trip["p95_breached"]
    # the LLM hop is judged on ttft_ms (100..1000), not the span's length; 7 of 10 exceed 300 ms
    llm = report["hops"]["voice.hop.llm"]
    assert (llm["p50_ms"], llm["p95_ms"], llm["breach_rate"], llm["p95_breached"]) == (
        500.0,
        1000.0,
        0.7,
        True,
    )
    assert llm["worst"][0] == {"latency_ms": 1000.0, "call_id": "CALL-1", "turn": 9}
    # the collector's OTLP JSON counts too: ttfb 50, 60, 70
    tts = report["hops"]["voice.hop.tts"]
    assert (tts["count"], tts["p50_ms"], tts["p95_ms"]) == (3, 60.0, 70.0)
    assert report["calls"]["CALL-2"]["outcome"] == "transferred"
    assert report["calls"]["CALL-1"]["worst_hop"]["hop"] == "voice.hop.llm"
    assert report["breached"] == ["voice.hop.llm"]
    # LiveKit's loop monitor saw CALL-1's event loop blocked twice; the worst names its first sample
    assert report["calls"]["CALL-1"]["loop_stalls"] == {
        "count": 2,
        "worst_ms": 360.0,
        "worst_at": "dateparser/date.py:242",
    }
    assert report["calls"]["CALL-2"]["loop_stalls"]["count"] == 0


def test_check_fails_on_a_breach_and_passes_without_one(tmp_path: Path) -> None:
    assert run_review(str(SPANS), "--check").returncode == 1
    generous = tmp_path / "budgets.toml"
    generous.write_text('[budgets]\n"voice.hop.llm" = 2000\n"voice.hop.round_trip" = 1000\n')
    assert run_review(str(SPANS), "--check", "--budgets", str(generous)).returncode == 0


def test_json_and_html_outputs(tmp_path: Path) -> None:
    chart = tmp_path / "review.html"
    result = run_review(str(SPANS), "--json", "--html", str(chart))
    assert result.returncode == 0
    assert json.loads(result.stdout)["hops"]["voice.hop.round_trip"]["p95_ms"] == 960.0
    page = chart.read_text()
    assert page.count("<svg") == 2 and "voice.hop.llm" in page


def test_bad_files_get_one_line_each_and_good_lines_still_count(tmp_path: Path) -> None:
    mixed = tmp_path / "mixed.jsonl"
    good = SPANS.read_text().splitlines()[:3]
    mixed.write_text(
        "\n".join(
            [
                good[0],
                "{not json",
                '{"hello": "world"}',
                good[1],
                good[2],
                '{"name": "x", "trace_id": "t", "span_id": "s"}',
            ]
        )
        + "\n"
    )
    result = run_review(str(mixed), str(tmp_path / "missing.jsonl"))
    problems = result.stderr.strip().splitlines()
    assert result.returncode == 0, result.stderr
    assert f"{mixed}:2: not JSON" in problems[0]
    assert f"{mixed}:3: not a span" in problems[1]
    assert f"{mixed}:6: span is missing or has a bad field" in problems[2]
    assert f"{tmp_path / 'missing.jsonl'}: no such file" in problems[3]
    assert "Traceback" not in result.stderr
    assert "voice.hop.round_trip" in result.stdout  # the good lines were reviewed


def test_nothing_to_review_is_exit_2(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    result = run_review(str(empty))
    assert result.returncode == 2 and "no spans to review" in result.stderr
