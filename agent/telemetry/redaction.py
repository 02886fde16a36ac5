"""Masks PII in free text: emails, phone numbers, card numbers (digits or spoken) and known names."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# a run of digits, allowing the separators people and STT put between groups
DIGIT_RUN = re.compile(r"(?<![\w])\+?\d(?:[\s().,\-/]{0,3}\d){6,}(?![\w])")
DIGIT_WORDS = {
    "zero": "0",
    "oh": "0",
    "o": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "for": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "ate": "8",
    "nine": "9",
}
# seven or more spoken digits in a row ("five five five, one two three four"): STT often
# writes numbers as words, and a number said that way is just as much PII
_WORD = r"(?:{}|\d)".format("|".join(sorted(DIGIT_WORDS, key=len, reverse=True)))
SPOKEN_DIGITS = re.compile(rf"\b{_WORD}(?:[\s,.\-]+{_WORD}){{6,}}\b", re.IGNORECASE)

CARD = "[card]"
PHONE = "[phone]"
NUMBER = "[number]"
EMAIL_MASK = "[email]"
NAME = "[name]"
NAMES_REFRESH_S = 60.0
"""A callable source of names (the store) is read at most this often: redaction runs on every log line."""


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _mask_digits(digits: str) -> str:
    """Which kind of number this is; every run of 7+ digits is masked, the label only helps reading."""
    if 13 <= len(digits) <= 19 and luhn_valid(digits):
        return CARD
    if 7 <= len(digits) <= 15:
        return PHONE
    return NUMBER


def _spoken_to_digits(text: str) -> str:
    return "".join(DIGIT_WORDS.get(token.lower(), token) for token in re.findall(r"[A-Za-z]+|\d", text))


class Redactor:
    """Callable text → text. `known_names` is a set of names or a callable returning one (read lazily,
    so names added to the store after start-up are masked too)."""

    def __init__(
        self, known_names: Iterable[str] | Callable[[], Iterable[str]] = (), *, enabled: bool = True
    ) -> None:
        self.enabled = enabled
        self._names_source = known_names if callable(known_names) else frozenset(known_names)
        self._names_pattern: re.Pattern[str] | None = None
        self._names_seen: frozenset[str] = frozenset()
        self._names_read_at = -NAMES_REFRESH_S

    def with_enabled(self, enabled: bool) -> Redactor:
        return Redactor(self._names_source, enabled=enabled)

    def _names(self) -> re.Pattern[str] | None:
        source = self._names_source
        if callable(source):
            if time.monotonic() - self._names_read_at < NAMES_REFRESH_S:
                return self._names_pattern
            self._names_read_at = time.monotonic()
            try:
                raw = list(source())
            except Exception:
                return self._names_pattern  # a busy store keeps the names we had
        else:
            raw = list(source)
        names = frozenset(n.strip() for n in raw if n and len(n.strip()) >= 2)
        if names != self._names_seen:
            self._names_seen = names
            alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
            self._names_pattern = re.compile(rf"\b(?:{alternatives})\b", re.IGNORECASE) if names else None
        return self._names_pattern

    def __call__(self, text: str) -> str:
        if not self.enabled or not text:
            return text
        text = EMAIL.sub(EMAIL_MASK, text)
        text = DIGIT_RUN.sub(lambda m: _mask_digits(re.sub(r"\D", "", m.group())), text)
        text = SPOKEN_DIGITS.sub(lambda m: _mask_digits(_spoken_to_digits(m.group())), text)
        names = self._names()
        if names is not None:
            text = names.sub(NAME, text)
        return text

    def value(self, value: object) -> object:
        """Redacts strings, and strings inside lists/tuples (span attribute values); the rest as is."""
        if isinstance(value, str):
            return self(value)
        if isinstance(value, list | tuple):
            return type(value)(self(v) if isinstance(v, str) else v for v in value)
        return value


_NO_REDACTION = Redactor(enabled=False)
_active: Redactor = _NO_REDACTION


def set_redactor(redactor: Redactor) -> None:
    """The process-wide redactor that logs and span processors use."""
    global _active
    _active = redactor


def active_redactor() -> Redactor:
    return _active
