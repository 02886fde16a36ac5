"""The roster and business hours settings: parsed, or refused in one clear line."""

from __future__ import annotations

import datetime as dt

import pytest

from agent.config import ConfigError, load_settings
from agent.escalation.hours import BusinessHours
from agent.escalation.roster import RosterEntry, parse_roster
from agent.escalation.voicemail import digit_by_digit, spoken_window


def test_roster_in_offer_order() -> None:
    assert parse_roster(" alice:first, bob , carol:Supervisor") == [
        RosterEntry("alice", "first"),
        RosterEntry("bob", "first"),
        RosterEntry("carol", "supervisor"),
    ]


@pytest.mark.parametrize("bad", ["alice:boss", "al ice:first", "a:first,a:supervisor"])
def test_bad_roster_is_one_line(bad: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(env_file=None, operator_roster=bad)
    assert str(caught.value).startswith("config error: OPERATOR_ROSTER:") and "\n" not in str(caught.value)


def test_business_hours() -> None:
    hours = BusinessHours.parse("mon-fri 08:00-18:00; sat 09:00-13:00")
    assert hours.is_open(dt.datetime(2026, 12, 2, 9, 0))  # a Wednesday
    assert not hours.is_open(dt.datetime(2026, 12, 2, 18, 0))
    assert not hours.is_open(dt.datetime(2026, 12, 6, 10, 0))  # a Sunday
    # Saturday afternoon: the next window is Monday morning
    assert hours.next_window(dt.datetime(2026, 12, 5, 14, 0)) == (
        dt.datetime(2026, 12, 7, 8, 0),
        dt.datetime(2026, 12, 7, 10, 0),
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("business_hours", "weekdays 9-5"),
        ("business_hours", "mon 18:00-08:00"),
        ("business_timezone", "Mars/Base"),
    ],
)
def test_bad_hours_or_zone_is_one_line(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(env_file=None, **{name: value})
    assert str(caught.value).startswith(f"config error: {name.upper()}:")


def test_numbers_are_read_back_in_groups_digit_by_digit() -> None:
    assert digit_by_digit("+13125550198") == "3 1 2, 5 5 5, 0 1 9 8"


def test_spoken_window() -> None:
    now = dt.datetime(2026, 12, 2, 15, 0)
    assert spoken_window(dt.datetime(2026, 12, 3, 8), dt.datetime(2026, 12, 3, 12), now) == (
        "between 8 and 12 tomorrow"
    )
