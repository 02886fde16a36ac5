"""The script of what callers say: utterance texts the STT double hands out in order, per connection."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_SCRIPT = ("Hello there.", "I need a plumber for a leaking pipe.", "Thank you, goodbye.")


class ScriptError(ValueError):
    """An unreadable or empty script file; the message is one line."""


def read_script(path: Path) -> list[str]:
    """A JSON list of strings, or plain text with one utterance per line (blank lines and # skipped)."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise ScriptError(f"cannot read script {path}: {exc.strerror or exc}") from None
    if text.lstrip().startswith("["):
        try:
            lines = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ScriptError(f"script {path} is not valid JSON: {exc.msg} (line {exc.lineno})") from None
        if not isinstance(lines, list) or not all(isinstance(line, str) for line in lines):
            raise ScriptError(f"script {path} must be a JSON list of strings")
    else:
        lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return check_script(lines)


def check_script(lines: list[str]) -> list[str]:
    cleaned = [" ".join(line.split()) for line in lines if line.strip()]
    if not cleaned:
        raise ScriptError("the script has no utterances")
    return cleaned


@dataclass
class Script:
    """Shared by every connection; each connection walks it with its own cursor, wrapping at the end."""

    lines: list[str] = field(default_factory=lambda: list(DEFAULT_SCRIPT))

    def cursor(self) -> ScriptCursor:
        return ScriptCursor(self)


@dataclass
class ScriptCursor:
    script: Script
    position: int = 0

    def next_text(self) -> str:
        # read the script now, not at connect time: a test may replace it between calls
        lines = self.script.lines
        text = lines[self.position % len(lines)]
        self.position += 1
        return text
