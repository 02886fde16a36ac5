"""Slot extraction on its own: the parsing the dialog engine relies on."""

import datetime as dt

import pytest

from agent.providers.offline.dialog.slots import extract_slots

NOW = dt.datetime(2026, 11, 24, 10, 0)  # a Tuesday


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("tomorrow morning", "date", dt.date(2026, 11, 25)),
        ("tomorrow morning", "time_of_day", "morning"),
        ("next Tuesday at 3", "time", dt.time(15, 0)),
        ("at 10 am on Friday", "date", dt.date(2026, 11, 27)),
        ("five five five one two three four five six seven", "phone", "+15551234567"),
        ("call me at (312) 555-0142", "phone", "+13125550142"),
        ("my zip is 6 0 6 1 4", "zip_code", "60614"),
        ("My name is Dana Whitfield", "name", "Dana Whitfield"),
        ("appointment APT-1042", "reference", "APT-1042"),
        ("yes please", "yes", True),
        ("no, another day", "no", True),
    ],
)
def test_extracts(text: str, field: str, value: object) -> None:
    assert getattr(extract_slots(text, now=NOW), field) == value


def test_numbers_in_a_phone_are_not_dates_or_zips() -> None:
    slots = extract_slots("my number is 312 555 0142", now=NOW)
    assert slots.phone == "+13125550142" and slots.date is None and slots.zip_code is None


def test_a_question_without_a_date_has_no_date() -> None:
    assert extract_slots("I need a plumber", now=NOW).date is None
