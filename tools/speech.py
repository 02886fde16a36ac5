"""Phrases tool results for speech: dates said naturally, never ids read digit by digit."""

from __future__ import annotations

import datetime as dt


def _ordinal(n: int) -> str:
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def clock(moment: dt.datetime) -> str:
    hour = moment.hour % 12 or 12
    minutes = f":{moment.minute:02d}" if moment.minute else ""
    return f"{hour}{minutes} {'AM' if moment.hour < 12 else 'PM'}"


def when(moment: dt.datetime, *, today: dt.date | None = None) -> str:
    """ "tomorrow at 9 AM", "Friday the 27th at 1 PM"."""
    today = today or dt.date.today()
    delta = (moment.date() - today).days
    if delta == 0:
        day = "today"
    elif delta == 1:
        day = "tomorrow"
    elif 1 < delta < 7:
        day = f"{moment:%A} the {_ordinal(moment.day)}"
    else:
        day = f"{moment:%A}, {moment:%B} {_ordinal(moment.day)}"
    return f"{day} at {clock(moment)}"


def listing(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f", or {items[-1]}"
