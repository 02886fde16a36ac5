"""Keypad presses on a phone call: 0 asks for a person; other digits answer the agent's last question."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field

logger = logging.getLogger("voice_agent.telephony")

PERSON_DIGIT = "0"
"""As on most phone menus: 0 reaches a person."""
END_OF_ENTRY = "#"
ENTRY_PAUSE_S = 2.0
"""A caller keying a number pauses under this between digits; a longer pause ends the entry."""

_DIGIT_WORDS = dict(
    zip(
        "0123456789",
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"],
        strict=True,
    )
)
_YES_NO_QUESTION = re.compile(
    r"\b(is that (right|correct)|correct\?|shall i|should i|do you want|would you like|can i|"
    r"is this|did i get that right|okay\?|confirm)\b",
    re.I,
)


def is_yes_no_question(agent_text: str) -> bool:
    return agent_text.strip().endswith("?") and bool(_YES_NO_QUESTION.search(agent_text))


def entry_as_words(digits: str, last_agent_text: str) -> str:
    """What the caller meant by keying `digits`, in words the dialog understands as if spoken.

    After a yes/no question a single 1 or 2 is the answer (press 1 for yes, 2 for no); anything
    else is a number, read digit by digit as a caller would say it."""
    if is_yes_no_question(last_agent_text) and digits in {"1", "2"}:
        return "yes" if digits == "1" else "no"
    return " ".join(_DIGIT_WORDS[d] for d in digits if d in _DIGIT_WORDS)


@dataclass
class KeypadEntry:
    """Collects digits until # or a pause, then hands the whole entry on (once)."""

    on_entry: Callable[[str], None]
    on_person: Callable[[], None]
    expecting_number: Callable[[], bool] = lambda: False
    """True while the agent's last question asks for a number: then 0 is a digit, not the operator key."""
    pause_s: float = ENTRY_PAUSE_S
    digits: str = ""
    _timer: asyncio.TimerHandle | None = field(default=None, repr=False)

    def press(self, digit: str) -> None:
        if digit == PERSON_DIGIT and not self.digits and not self.expecting_number():
            # 0 first is the operator key, unless the agent asked for a number (zip codes start with 0)
            self._cancel_timer()
            self.on_person()
            return
        if digit == END_OF_ENTRY:
            self.flush()
            return
        if digit.isdigit():
            self.digits += digit
            self._cancel_timer()
            self._timer = asyncio.get_running_loop().call_later(self.pause_s, self.flush)

    def flush(self) -> None:
        self._cancel_timer()
        digits, self.digits = self.digits, ""
        if digits:
            self.on_entry(digits)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
