"""bench latency's rows and summary: timings from the caller's last spoken sample, flags, targets."""

from typing import Any

from evals.latency.answer_words import Word
from evals.latency.report import stats, summarize, targets_met, turn_row


def _row(
    first_audible_at: float | None, words: list[Word], heard_at: dict[int, float | None] | None = None
) -> dict[str, Any]:
    return turn_row(
        call=1,
        turn=1,
        said="Hello.",
        speech_ended_at=10.0,
        first_audible_at=first_audible_at,
        words=words,
        word_heard_at=heard_at or {i: 10.0 + w.start_s for i, w in enumerate(words)},
        hops=None,
    )


def test_a_row_times_the_reply_and_the_answer_from_the_end_of_the_line() -> None:
    words = [Word("One", 0.5, 0.7), Word("moment.", 0.7, 1.0), Word("Yes", 1.6, 1.8)]
    row = _row(10.5, words)
    assert row["first_audible_ms"] == 500.0
    assert row["answer_word_ms"] == 1600.0
    assert row["answer_word"] == "Yes"
    assert row["fillers_before_answer"] == ["One", "moment."]
    assert not row["no_answer"] and not row["filler_without_answer"]


def test_a_filler_with_nothing_after_it_is_flagged() -> None:
    row = _row(10.5, [Word("One", 0.5, 0.7), Word("moment.", 0.7, 1.0)])
    assert row["filler_without_answer"] and not row["no_answer"]
    assert row["answer_word_ms"] is None


def test_silence_or_no_words_is_no_answer() -> None:
    assert _row(None, [])["no_answer"]
    assert _row(10.4, [])["no_answer"]  # a sound, but no word in it


def test_the_answer_time_comes_from_when_its_word_was_heard() -> None:
    words = [Word("Sure,", 0.0, 0.3), Word("done", 0.2, 0.5)]
    row = _row(10.6, words, {0: 10.6, 1: 11.1})
    assert row["answer_word_ms"] == 1100.0


def test_stats_give_nearest_rank_percentiles_and_the_maximum() -> None:
    values = [float(v) for v in range(1, 21)]
    assert stats([*values, None]) == {"count": 20, "p50_ms": 10.0, "p95_ms": 19.0, "max_ms": 20.0}
    assert stats([]) == {"count": 0, "p50_ms": None, "p95_ms": None, "max_ms": None}


def _summary(first_audible: list[float], greetings: list[float | None], **flags: bool) -> dict[str, Any]:
    turns = [
        {
            "first_audible_ms": v,
            "answer_word_ms": v + 100,
            "no_answer": flags.get("no_answer", False),
            "filler_without_answer": False,
            "hops": {"end_of_turn_ms": 400.0, "llm_ttft_ms": 700.0},
        }
        for v in first_audible
    ]
    return summarize(turns, greetings)


def test_summary_counts_turns_calls_and_hops() -> None:
    summary = _summary([500.0, 700.0], [550.0, None])
    assert summary["turns"] == 2 and summary["calls"] == 2 and summary["greetings_missed"] == 1
    assert summary["answer_word_ms"]["max_ms"] == 800.0
    assert summary["hops"]["llm_ttft_ms"]["p50_ms"] == 700.0
    assert summary["hops"]["tts_ttfb_ms"]["count"] == 0


def test_targets_judge_every_turn_by_the_maximum() -> None:
    met = targets_met("zero", _summary([500.0, 590.0], [550.0]))
    assert met == {
        "first_audible_max_ms": True,
        "answer_word_max_ms": True,
        "greeting_max_ms": True,
        "every_turn_answered": True,
    }
    assert not targets_met("zero", _summary([500.0, 610.0], [550.0]))["first_audible_max_ms"]  # type: ignore[index]


def test_a_missed_greeting_or_an_unanswered_turn_fails_its_target() -> None:
    met = targets_met("cloud-p50", _summary([500.0], [None], no_answer=True))
    assert met is not None
    assert not met["greeting_max_ms"] and not met["every_turn_answered"]


def test_profiles_without_targets_report_none() -> None:
    assert targets_met("cloud-p95", _summary([500.0], [500.0])) is None
    assert targets_met("offline", _summary([500.0], [500.0])) is None


def test_the_answer_is_never_heard_before_the_first_sound() -> None:
    row = _row(10.5, [Word("Yes", 0.0, 0.3)], {0: 10.2})
    assert row["answer_word_ms"] == row["first_audible_ms"] == 500.0
