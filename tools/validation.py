"""Argument validation for tools: every bad value becomes a ToolError the caller can act on."""

from __future__ import annotations

import datetime as dt
import re

import phonenumbers
from livekit.agents.llm import ToolError

MAX_TEXT = 500
MAX_DAYS_AHEAD = 60
_ID = re.compile(r"^[A-Za-z]{1,4}-?[A-Za-z0-9-]{2,24}$")
_ZIP = re.compile(r"^\d{5}$")


def phone(value: str, *, what: str = "phone number") -> str:
    try:
        number = phonenumbers.parse(value, "US")
    except phonenumbers.NumberParseException:
        raise ToolError(f"That {what} doesn't look right. Could you say it again, digit by digit?") from None
    if not phonenumbers.is_possible_number(number):
        raise ToolError(f"That {what} doesn't look right. Could you say it again, digit by digit?")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def day(value: str, *, today: dt.date | None = None, what: str = "date") -> dt.date:
    today = today or dt.date.today()
    try:
        parsed = dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        raise ToolError(f"I couldn't understand the {what} {value[:20]!r}; which day do you mean?") from None
    if parsed < today:
        raise ToolError("That day has already passed. Which upcoming day works?")
    if parsed > today + dt.timedelta(days=MAX_DAYS_AHEAD):
        raise ToolError(f"I can only book up to {MAX_DAYS_AHEAD} days ahead. Is there an earlier day?")
    return parsed


def moment(value: str, *, what: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise ToolError(f"I couldn't understand the {what} {value[:25]!r}.") from None


def choice(value: str, allowed: tuple[str, ...], *, what: str) -> str:
    normalised = value.strip().lower()
    if normalised not in allowed:
        raise ToolError(f"{what} must be one of: {', '.join(allowed)}.")
    return normalised


def text(value: str, *, what: str, max_length: int = MAX_TEXT, required: bool = True) -> str:
    cleaned = " ".join(value.split())
    if required and not cleaned:
        raise ToolError(f"I need the {what} first.")
    if len(cleaned) > max_length:
        raise ToolError(f"The {what} is too long; please keep it under {max_length} characters.")
    return cleaned


def zip_code(value: str) -> str:
    cleaned = re.sub(r"\s", "", value)
    if not _ZIP.match(cleaned):
        raise ToolError("A zip code has five digits. Could you say it again?")
    return cleaned


def reference(value: str, *, what: str) -> str:
    cleaned = value.strip().upper().replace(" ", "")
    if not _ID.match(cleaned):
        raise ToolError(f"That doesn't look like a {what}. Could you read it again?")
    return cleaned
