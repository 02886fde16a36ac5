"""Per-turn rows and their summary: pure functions of what was measured, no I/O."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from evals.bench_common import percentile
from evals.latency.answer_words import Word, find_answer

TARGETS: dict[str, list[tuple[str, str, float]]] = {
    "zero": [
        ("first_audible_ms", "max_ms", 600.0),
        ("answer_word_ms", "max_ms", 800.0),
        ("greeting_ms", "max_ms", 600.0),
    ],
    "cloud-p50": [
        ("first_audible_ms", "max_ms", 1000.0),
        ("answer_word_ms", "max_ms", 1500.0),
        ("greeting_ms", "max_ms", 1000.0),
    ],
    "cloud": [("first_audible_ms", "p95_ms", 1000.0), ("answer_word_ms", "p95_ms", 2000.0)],
}
"""Issue 21's targets as (metric, figure, limit): "every turn" is the maximum. cloud-p95 and the
offline stack have none."""

TURN_METRICS = ("first_audible_ms", "answer_word_ms")
HOP_METRICS = ("end_of_turn_ms", "stt_final_ms", "llm_ttft_ms", "tts_ttfb_ms", "round_trip_ms")


def ms_between(start: float | None, end: float | None) -> float | None:
    """Milliseconds from `start` to `end` (seconds), or None when either is unknown."""
    if start is None or end is None:
        return None
    return round((end - start) * 1000, 1)


def turn_row(
    *,
    call: int,
    turn: int,
    said: str,
    speech_ended_at: float,
    first_audible_at: float | None,
    spoken_over_at: float | None = None,
    words: list[Word],
    word_heard_at: Mapping[int, float | None],
    hops: dict[str, object] | None,
) -> dict[str, Any]:
    """One caller line's row. `words` are Whisper's on the received clip; `word_heard_at[i]` is when
    the caller heard the first sample of `words[i]` (perf_counter, like `speech_ended_at`)."""
    answer = find_answer(words)
    answer_at = None
    if answer.first_word is not None:
        index = next(i for i, word in enumerate(words) if word is answer.first_word)
        answer_at = word_heard_at.get(index)
        if answer_at is not None and first_audible_at is not None:
            answer_at = max(answer_at, first_audible_at)  # no word is heard before the first sound
    return {
        "call": call,
        "turn": turn,
        "said": said,
        "first_audible_ms": ms_between(speech_ended_at, first_audible_at),
        "answer_word_ms": ms_between(speech_ended_at, answer_at),
        "answer_word": answer.first_word.text if answer.first_word else None,
        "fillers_before_answer": answer.skipped,
        # the agent was audible before the line ended (negative: ms before its end); the times
        # above then date only what followed the line, the rest of an early reply
        "agent_spoke_during_line_ms": ms_between(speech_ended_at, spoken_over_at),
        "heard": " ".join(word.text for word in words),
        # nothing audible, or nothing Whisper could read as words
        "no_answer": first_audible_at is None or not words,
        # the agent said a filler or acknowledgement and then nothing more before the caller spoke again
        "filler_without_answer": bool(words) and answer.first_word is None,
        "hops": hops,
    }


def stats(values: Iterable[float | None]) -> dict[str, float | int | None]:
    present = [v for v in values if v is not None]
    return {
        "count": len(present),
        "p50_ms": percentile(present, 0.5),
        "p95_ms": percentile(present, 0.95),
        "max_ms": round(max(present), 1) if present else None,
    }


def summarize(turns: list[dict[str, Any]], greetings_ms: list[float | None]) -> dict[str, Any]:
    """p50/p95/max per metric, plus the counts of turns that failed the caller."""
    metrics: dict[str, Any] = {name: stats(t[name] for t in turns) for name in TURN_METRICS}
    metrics["greeting_ms"] = stats(greetings_ms)
    hop_rows = [t["hops"] for t in turns if t.get("hops")]
    hops = {name: stats(h.get(name) for h in hop_rows) for name in HOP_METRICS}
    return {
        **metrics,
        "hops": hops,
        "calls": len(greetings_ms),
        "turns": len(turns),
        "turns_with_spans": len(hop_rows),
        "no_answer": sum(bool(t["no_answer"]) for t in turns),
        "filler_without_answer": sum(bool(t["filler_without_answer"]) for t in turns),
        "greetings_missed": sum(g is None for g in greetings_ms),
        "agent_spoke_during_line": sum(t.get("agent_spoke_during_line_ms") is not None for t in turns),
    }


def targets_met(profile: str, summary: Mapping[str, Any]) -> dict[str, bool] | None:
    """Each target of `profile` against the summary (None for a profile without targets). A metric
    missing on some turn or call fails its target, and any unanswered or filler-only turn fails
    `every_turn_answered`."""
    targets = TARGETS.get(profile)
    if targets is None:
        return None
    met: dict[str, bool] = {}
    for metric, figure, limit in targets:
        section = summary.get(metric) or {}
        value = section.get(figure)
        expected = summary["calls"] if metric == "greeting_ms" else summary["turns"]
        complete = section.get("count") == expected and expected > 0
        met[f"{metric.removesuffix('_ms')}_{figure}"] = complete and value is not None and value <= limit
    met["every_turn_answered"] = summary["no_answer"] == 0 and summary["filler_without_answer"] == 0
    return met
