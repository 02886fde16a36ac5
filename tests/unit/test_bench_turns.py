"""The turn-taking benchmark's arithmetic: silences at the ear, false stops, the summary."""

import numpy as np

from evals.bench_turns import summarize
from evals.turn_caller import Timeline
from evals.turn_episodes import EventResult, TurnResult, is_truncated
from evals.turn_stimuli import Stimulus


def test_gaps_are_silences_of_a_quarter_second_or_more() -> None:
    timeline = Timeline(audible_frames=[(0.0, 0.01), (0.01, 0.02), (0.1, 0.11), (0.6, 0.61)])
    assert timeline.gaps(0.0, 0.61) == [(0.11, 0.6)]
    assert timeline.gaps(0.0, 1.0)[-1] == (0.61, 1.0)


def test_a_false_stop_is_a_restart_an_abandoned_reply_or_a_long_silence() -> None:
    assert EventResult("backchannel", "uh-huh", restarted=True).false_stop
    assert EventResult("backchannel", "uh-huh", abandoned=True).false_stop
    assert EventResult("backchannel", "uh-huh", longest_silence_ms=600.0).false_stop
    assert not EventResult("backchannel", "uh-huh", longest_silence_ms=420.0).false_stop


def test_summary_percentiles_and_targets() -> None:
    turns = [TurnResult("complete", f"t{i}", answered=True, round_trip_ms=500.0 + i) for i in range(20)]
    turns.append(TurnResult("slow", "s", answered=True, early_answer=True))
    events = [EventResult("interruption", "i", cutoff_ms=200.0, answered=True) for _ in range(10)]
    events += [EventResult("backchannel", "b", longest_silence_ms=300.0) for _ in range(20)]
    summary = summarize(turns, events)
    assert summary["round_trip"]["p95_ms"] == 518.0  # type: ignore[index]
    assert summary["targets_met"] == {  # type: ignore[comparison-overlap]
        "round_trip_p95_ms": True,
        "cutoff_p95_ms": True,
        "false_stop_rate": True,
        "lost_or_truncated_rate": True,
        "slow_early_answers": False,
    }


def test_truncated_means_words_missing_not_words_misheard() -> None:
    request = Stimulus(
        "interruption",
        "Sorry, stop. I need a plumber tomorrow morning.",
        np.zeros(1, np.int16),
        ("plumber", "tomorrow"),
    )
    assert not is_truncated("Sorry, stop. I need a plumber tomorrow morning.", request)
    assert not is_truncated("Sorry, stop. I need a plummer tomorrow morning.", request)
    assert is_truncated("Sorry, stop.", request)
    assert is_truncated("Sorry, stop. I need a", request)
