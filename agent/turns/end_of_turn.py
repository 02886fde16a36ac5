"""What the words say about the end of a caller's turn: finished, unfinished, or no opinion."""

from __future__ import annotations

import re
from enum import Enum

from agent.turns.words import (
    DANGLING_WORDS,
    FLOOR_TAKING_TOKENS,
    NUMBER_WORDS,
    TIME_PREPOSITIONS,
    YES_NO_ANSWERS,
    YES_NO_OPENERS,
    digit_count,
    is_number,
    tokens,
)

COMPLETE_DIGIT_COUNTS = frozenset({5, 7, 10, 11})
"""A zip code, a local or full phone number, a number with the country code: said in full."""
COMPLETE_PHONE_DIGIT_COUNTS = frozenset({7, 10, 11})
"""Once the caller says it is a phone number, five digits are only part of one: an STT that
drops a digit ("three" heard as "free") must not make the first groups look like a zip code."""
PHONE_WORDS = frozenset({"phone", "cell", "mobile", "telephone"})
MAX_GROUPED_DIGITS = 11
_CLOCK_TIME = re.compile(r"(?<![\w,:-])(?:\d{1,2}(?::\d{2})?|" + "|".join(sorted(NUMBER_WORDS)) + r")[.?!]*$")
"""One hour, or hour and minutes, as the turn's last word ("3.", "10?", "10:30.", "three.");
not the last group of digits read one by one ("3-1-2.", "6, 0, 6")."""


class Verdict(Enum):
    FINISHED = "finished"
    UNFINISHED = "unfinished"
    UNDECIDED = "undecided"


def _asked_yes_no(agent_last_said: str) -> bool:
    sentences = [s for s in agent_last_said.replace("!", ".").split(".") if s.strip()]
    last = sentences[-1].strip() if sentences else ""
    first_word = tokens(last)[:1]
    return last.endswith("?") and bool(first_word) and first_word[0] in YES_NO_OPENERS


def _clock_time(text: str) -> bool:
    """A time named whole after "at", "by", "until"...: "Can you come at 10?", "at three."

    STTs write a spoken hour as a numeral (Whisper read "at noon" as "at 2."): one or two digits
    after a time preposition are a time said in full, not the first digits of a phone number."""
    lowered = text.lower().rstrip()
    match = _CLOCK_TIME.search(lowered)
    if match is None:
        return False
    before = tokens(lowered[: match.start()])
    return bool(before) and before[-1] in TIME_PREPOSITIONS


def _number_in_progress(words: list[str], text: str) -> bool:
    """Digits read in groups ("three one two ... five five five") and not yet a whole number."""
    if _clock_time(text):
        return False
    digits = digit_count(text)
    complete = COMPLETE_PHONE_DIGIT_COUNTS if PHONE_WORDS.intersection(words) else COMPLETE_DIGIT_COUNTS
    return bool(words) and is_number(words[-1]) and 0 < digits < MAX_GROUPED_DIGITS and digits not in complete


def judge(transcript: str, *, agent_last_said: str = "") -> Verdict:
    """The verdict of syntax, numbers and the expected answer on the caller's turn so far."""
    words = tokens(transcript)
    if not words:
        return Verdict.UNDECIDED
    stripped = transcript.rstrip()
    if words[-1] in DANGLING_WORDS or stripped.endswith((",", "...", "-", "—")):
        return Verdict.UNFINISHED
    if _number_in_progress(words, transcript):
        return Verdict.UNFINISHED
    if all(word in FLOOR_TAKING_TOKENS for word in words):
        # "No." or "Okay." answers a yes/no question; "Sorry, stop." answers nothing
        answers = _asked_yes_no(agent_last_said) and any(word in YES_NO_ANSWERS for word in words)
        if not answers:
            return Verdict.UNFINISHED
    if _asked_yes_no(agent_last_said) and words[0] in YES_NO_ANSWERS and len(words) <= 4:
        return Verdict.FINISHED
    if stripped.endswith((".", "?", "!")):
        return Verdict.FINISHED
    return Verdict.UNDECIDED


def judge_doubting(transcript: str, *, unsure_words: int, agent_last_said: str = "") -> Verdict:
    """`judge`, not trusting the last `unsure_words` words (the STT's guesses) to finish the turn.

    An ending the STT guessed can finish a phrase the caller left open ("I need a plumber for"
    heard as "... for it."), never open one that is finished: when the words before the guess
    are unfinished, so is the turn. Otherwise the guess stands ("I need a plumber tomorrow
    morning." with an unsure "morning." is still answered after the short wait).
    """
    verdict = judge(transcript, agent_last_said=agent_last_said)
    if verdict is Verdict.UNFINISHED or unsure_words <= 0:
        return verdict
    before_the_guess = " ".join(transcript.split()[:-unsure_words])
    if judge(before_the_guess, agent_last_said=agent_last_said) is Verdict.UNFINISHED:
        return Verdict.UNFINISHED
    return verdict
