"""Keypad entry on phone calls: 0 for a person, digits as a spoken number, 1/2 as yes/no."""

from __future__ import annotations

import asyncio

from agent.telephony.dtmf import KeypadEntry, entry_as_words, is_yes_no_question


def test_digits_read_as_a_caller_would_say_them() -> None:
    assert entry_as_words("60614", "What's your zip code?") == "six zero six one four"


def test_one_and_two_answer_a_yes_no_question() -> None:
    question = "I have Tuesday at 9 AM. Shall I book it?"
    assert is_yes_no_question(question)
    assert entry_as_words("1", question) == "yes"
    assert entry_as_words("2", question) == "no"
    assert entry_as_words("1", "What's your phone number?") == "one"


async def _pressed(
    keys: str, *, expecting_number: bool = False, pause_s: float = 0.05, wait_s: float | None = None
) -> list[str]:
    """Press `keys`, then wait `wait_s` (default: three pauses, so a pause-ended entry has surely ended)."""
    seen: list[str] = []
    keypad = KeypadEntry(
        on_entry=lambda digits: seen.append(digits),
        on_person=lambda: seen.append("person"),
        expecting_number=lambda: expecting_number,
        pause_s=pause_s,
    )
    for key in keys:
        keypad.press(key)
    await asyncio.sleep(pause_s * 3 if wait_s is None else wait_s)
    return seen


async def test_zero_first_asks_for_a_person() -> None:
    assert await _pressed("0") == ["person"]


async def test_zero_inside_a_number_or_when_a_number_was_asked_for_is_a_digit() -> None:
    assert await _pressed("60614#") == ["60614"]
    assert await _pressed("02134", expecting_number=True) == ["02134"]


async def test_a_pause_ends_the_entry_and_hash_ends_it_at_once() -> None:
    assert await _pressed("123") == ["123"]
    # With a 10 s pause the entry can only have ended within 50 ms because of the #: waiting
    # out the pause itself (30 s) would prove nothing more.
    assert await _pressed("12#", pause_s=10, wait_s=0.05) == ["12"]


def test_star_and_unknown_keys_are_ignored() -> None:
    assert entry_as_words("*", "") == ""
