"""Slot extraction from one caller utterance: dates and times, phones, names, zips, ids, yes/no."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import phonenumbers
from dateparser.search import search_dates

_NUMBER_WORDS = {
    "zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3", "four": "4",
    "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
}  # fmt: skip
_DIGIT_RUN = re.compile(r"\b(?:(?:zero|oh|one|two|three|four|five|six|seven|eight|nine)[\s,-]*){3,}\b", re.I)
_SPACED_DIGITS = re.compile(r"(?<![\w-])\d(?:[\s,.-]*\d){6,14}(?![\w-])")
_SPACED_ZIP = re.compile(r"(?<![\d-])\d(?:[\s,]\d){4}(?![\d-])")
_ZIP = re.compile(r"(?<![\d-])\d{5}(?![\d-])")
_EXPLICIT_ID = re.compile(r"\b([a-z]{1,3}-\d{3,8})\b", re.I)
_SPOKEN_ID = re.compile(r"\b(job|appointment|apt|ticket|order)[\s#-]*(?:number\s*)?(\d{3,8})\b", re.I)
_ID_PREFIX = {"job": "J", "order": "J", "appointment": "APT", "apt": "APT", "ticket": "TK"}
"""How the store spells ids: J-3002, APT-1042, TK-2001."""
_NAME = re.compile(
    r"\b(?i:my name is|my name's|name's|this is|i am|i'm|name is|it's|under)\s+"
    r"([A-Z][a-z'-]+(?:\s+[A-Z][a-z'-]+)?)",
)
_LEADING_NAME = re.compile(r"^\s*([A-Z][a-z'-]+\s+[A-Z][a-z'-]+)\s*(?:,|$|\bhere\b|\bthis is\b)")
_TIME = re.compile(r"\b(?:at|around|about|by)\s+(\d{1,2})(?::(\d{2}))?\s*(a\.?m\.?|p\.?m\.?)?", re.I)
_DATE_WORDS = re.compile(
    r"\b(today|tonight|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"next|this|january|february|march|april|may|june|july|august|september|october|november|"
    r"december|in \w+ days?|week)\b",
    re.I,
)
_NOT_NAMES = {"Calling", "Looking", "Having", "Not", "Sure", "Fine", "Good", "Sorry", "Just", "Here", "Still"}
_YES = re.compile(
    r"\b(yes|yeah|yep|yup|sure|correct|right|please do|go ahead|sounds good|ok|okay|that works|perfect)\b",
    re.I,
)
_NO = re.compile(r"\b(no|nope|nah|don't|do not|not really|wrong|another|different|other)\b", re.I)


@dataclass
class Slots:
    date: dt.date | None = None
    time: dt.time | None = None
    time_of_day: str | None = None
    phone: str | None = None
    name: str | None = None
    zip_code: str | None = None
    reference: str | None = None
    yes: bool = False
    no: bool = False
    extra: dict[str, str] = field(default_factory=dict)


def digits_from_words(text: str) -> str:
    """Spoken digit runs as digits: "three one two" -> "312 "."""

    def _join(match: re.Match[str]) -> str:
        words = re.findall(r"[a-z]+", match.group(0).lower())
        return "".join(_NUMBER_WORDS[w] for w in words) + " "

    return _DIGIT_RUN.sub(_join, text)


def _phone(text: str) -> tuple[str | None, str]:
    compact = _SPACED_DIGITS.sub(lambda m: re.sub(r"[\s,.-]", "", m.group(0)), text)
    for match in phonenumbers.PhoneNumberMatcher(compact, "US", leniency=phonenumbers.Leniency.POSSIBLE):
        number = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
        return number, compact[: match.start] + " " + compact[match.end :]
    return None, compact


def _time_of_day(text: str, hour: int | None) -> str | None:
    lowered = text.lower()
    for word in ("morning", "afternoon", "evening"):
        if word in lowered:
            return word
    if "tonight" in lowered:
        return "evening"
    if hour is None:
        return None
    return "morning" if hour < 12 else "afternoon" if hour < 17 else "evening"


def _clock(text: str) -> dt.time | None:
    match = _TIME.search(text)
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    meridiem = (match.group(3) or "").lower().replace(".", "")
    if hour > 23 or minute > 59:
        return None
    if meridiem == "pm" and hour < 12:
        hour += 12
    elif not meridiem and 1 <= hour <= 6:
        hour += 12  # "at 3" on a business line means the afternoon
    return dt.time(hour % 24, minute)


def _date(text: str, now: dt.datetime) -> dt.date | None:
    if not _DATE_WORDS.search(text):
        return None
    found = search_dates(
        text,
        languages=["en"],
        settings={"PREFER_DATES_FROM": "future", "RELATIVE_BASE": now, "RETURN_AS_TIMEZONE_AWARE": False},
    )
    for phrase, value in found or []:
        if _DATE_WORDS.search(phrase):
            return value.date()
    return None


def extract_slots(text: str, *, now: dt.datetime) -> Slots:
    slots = Slots()
    normalised = digits_from_words(text)
    slots.phone, rest = _phone(normalised)
    if explicit := _EXPLICIT_ID.search(rest):
        slots.reference = explicit.group(1).upper()
        rest = rest.replace(explicit.group(0), " ")
    elif spoken := _SPOKEN_ID.search(rest):
        slots.reference = f"{_ID_PREFIX[spoken.group(1).lower()]}-{spoken.group(2)}"
        rest = rest.replace(spoken.group(0), " ")
    rest = _SPACED_ZIP.sub(lambda m: re.sub(r"[\s,]", "", m.group(0)), rest)
    if zip_match := _ZIP.search(rest):
        slots.zip_code = zip_match.group(0)
        rest = rest.replace(zip_match.group(0), " ")
    name = _NAME.search(text) or _LEADING_NAME.search(text)
    if name and name.group(1).split()[0] not in _NOT_NAMES:
        slots.name = name.group(1)
    slots.time = _clock(rest)
    slots.date = _date(rest, now)
    slots.time_of_day = _time_of_day(rest, slots.time.hour if slots.time else None)
    slots.yes = bool(_YES.search(text))
    slots.no = bool(_NO.search(text)) and not slots.yes
    return slots


def warm_up() -> None:
    """Build the parsers' lazy tables now. dateparser compiles its English patterns on first use:
    ~350 ms, which otherwise holds a call's event loop the first time its caller names a day."""
    extract_slots("Jane Doe, tomorrow morning at 9, 555 123 4567, zip 60614.", now=dt.datetime(2026, 1, 5, 9))
