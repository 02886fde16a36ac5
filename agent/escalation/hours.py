"""Business hours: when people take calls, and the next time they do (for callback windows)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_PART = re.compile(
    r"^(?P<first>[a-z]{3})(?:-(?P<last>[a-z]{3}))?\s+(?P<start>\d{1,2}:\d{2})-(?P<end>\d{1,2}:\d{2})$"
)


@dataclass(frozen=True)
class OpenSpan:
    weekday: int
    start: dt.time
    end: dt.time | None
    """None: until midnight (written 24:00)."""


def _clock(text: str, *, allow_midnight_end: bool) -> dt.time | None:
    hours, minutes = (int(x) for x in text.split(":"))
    if allow_midnight_end and (hours, minutes) == (24, 0):
        return None
    if hours > 23 or minutes > 59:
        raise ValueError(f"{text} is not a time of day")
    return dt.time(hours, minutes)


def parse_hours(text: str) -> list[OpenSpan]:
    """ "mon-fri 08:00-18:00; sat 09:00-13:00" -> open spans; ValueError names the bad part."""
    spans: list[OpenSpan] = []
    for raw in (part.strip().lower() for part in text.split(";")):
        if not raw:
            continue
        match = _PART.match(raw)
        if not match or match["first"] not in _DAYS or (match["last"] and match["last"] not in _DAYS):
            raise ValueError(f"{raw!r} should look like 'mon-fri 08:00-18:00'")
        first = _DAYS.index(match["first"])
        last = _DAYS.index(match["last"]) if match["last"] else first
        start = _clock(match["start"], allow_midnight_end=False)
        end = _clock(match["end"], allow_midnight_end=True)
        assert start is not None
        if end is not None and end <= start:
            raise ValueError(f"{raw!r}: the end is not after the start")
        days = range(first, last + 1) if first <= last else [*range(first, 7), *range(0, last + 1)]
        spans.extend(OpenSpan(day, start, end) for day in days)
    if not spans:
        raise ValueError("names no open hours")
    return spans


def zone(name: str) -> dt.tzinfo | None:
    """The zone for a name; None (the host's local time) when empty."""
    if not name.strip():
        return None
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not an IANA time zone such as America/Chicago") from None


@dataclass(frozen=True)
class BusinessHours:
    spans: list[OpenSpan]
    tz: dt.tzinfo | None = None

    @classmethod
    def parse(cls, text: str, timezone: str = "") -> BusinessHours:
        return cls(parse_hours(text), zone(timezone))

    def now(self) -> dt.datetime:
        return dt.datetime.now(self.tz).replace(tzinfo=None)

    def is_open(self, at: dt.datetime | None = None) -> bool:
        at = at or self.now()
        return any(
            span.weekday == at.weekday()
            and span.start <= at.time()
            and (span.end is None or at.time() < span.end)
            for span in self.spans
        )

    def next_window(
        self, after: dt.datetime | None = None, *, hours: float = 2.0
    ) -> tuple[dt.datetime, dt.datetime]:
        """The first open stretch after `after` (at most `hours` long): a default callback window."""
        after = (after or self.now()).replace(second=0, microsecond=0)
        for offset in range(8):
            day = after.date() + dt.timedelta(days=offset)
            for span in sorted((s for s in self.spans if s.weekday == day.weekday()), key=lambda s: s.start):
                start = dt.datetime.combine(day, span.start)
                end = (
                    dt.datetime.combine(day, span.end)
                    if span.end
                    else dt.datetime.combine(day + dt.timedelta(days=1), dt.time())
                )
                start = max(start, after + dt.timedelta(minutes=30))  # time to read the message first
                if start < end:
                    return start, min(end, start + dt.timedelta(hours=hours))
        return after + dt.timedelta(days=1), after + dt.timedelta(days=1, hours=hours)
