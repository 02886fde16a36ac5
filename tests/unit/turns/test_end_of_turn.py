"""The words' verdict on the end of a caller's turn."""

import pytest

from agent.turns.end_of_turn import Verdict, judge


@pytest.mark.parametrize(
    "transcript",
    [
        "I need a plumber tomorrow morning.",
        "What are your opening hours?",
        "My zip code is 60614.",
        "My phone number is 312-555-0199.",
        "It's three one two five five five zero one nine nine.",
    ],
)
def test_finished_sentences_and_whole_numbers(transcript: str) -> None:
    assert judge(transcript) is Verdict.FINISHED


@pytest.mark.parametrize(
    "transcript",
    [
        "I need a plumber for",
        "I need a plumber for.",
        "I want to book a repair and",
        "I need, um...",
        "I need, um",
        "My phone number is 312.",
        "My phone number is three one two,",
        "My phone number is free one, two.",
        "My zip code is 60.",
        "It's the",
    ],
)
def test_dangling_words_fillers_and_partial_numbers_are_unfinished(transcript: str) -> None:
    assert judge(transcript) is Verdict.UNFINISHED


def test_a_bare_yes_finishes_a_yes_no_question_only() -> None:
    assert judge("yes", agent_last_said="I found Tuesday at nine. Shall I go ahead?") is Verdict.FINISHED
    assert judge("yes") is Verdict.UNDECIDED
    assert judge("yes", agent_last_said="Which day suits you?") is Verdict.UNDECIDED


def test_no_words_is_undecided() -> None:
    assert judge("") is Verdict.UNDECIDED
    assert judge("[coughs]") is Verdict.UNDECIDED


def test_floor_taking_words_wait_for_the_request_unless_they_answer_a_question() -> None:
    assert judge("Sorry, stop.") is Verdict.UNFINISHED
    assert judge("Sorry, stop.", agent_last_said="Can I have your zip code?") is Verdict.UNFINISHED
    assert judge("Wait, wait.") is Verdict.UNFINISHED
    assert judge("No.", agent_last_said="Shall I book it?") is Verdict.FINISHED


def test_five_digits_of_a_phone_number_are_not_a_zip_code() -> None:
    # "three" heard as "free": the first two groups add up to five digits
    assert judge("My phone number is free one, two. 4-0-7.") is Verdict.UNFINISHED
    assert judge("My zip code is six zero. 6-1-4.") is Verdict.FINISHED
    assert judge("My phone number is 312 407 2681.") is Verdict.FINISHED


@pytest.mark.parametrize(
    "transcript",
    ["I would rather have it at 2.", "Can you come at 10?", "I would like it at three.", "Come by 10:30."],
)
def test_an_hour_after_a_time_preposition_is_a_time_said_whole(transcript: str) -> None:
    """Whisper read "I would rather have it at noon." as "... at 2.": a phone number's first
    digit to the digit-group rule, so the finished sentence waited the 1.6 s maximum (issue 21)."""
    assert judge(transcript) is Verdict.FINISHED


@pytest.mark.parametrize("transcript", ["Call me at 312.", "My phone number is 3-1-2.", "It's at 5 5 5"])
def test_digit_groups_after_at_are_still_a_number_in_progress(transcript: str) -> None:
    assert judge(transcript) is Verdict.UNFINISHED
