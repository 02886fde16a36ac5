"""Faults on the wire, per hop, switchable while the stand-ins run: the one shared fault board."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

Hop = Literal["stt", "llm", "tts"]
FaultKind = Literal["none", "hang", "5xx", "disconnect", "slow-drip"]
HOPS: tuple[str, ...] = get_args(Hop)
FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)


class FaultError(ValueError):
    """A malformed HOP:KIND; the message is one line."""


def parse_fault(text: str) -> tuple[Hop, FaultKind]:
    """Read "llm:hang" (or "tts:none" to clear one)."""
    hop, sep, kind = text.strip().lower().partition(":")
    if not sep:
        raise FaultError(f"fault {text!r} must look like HOP:KIND, e.g. llm:hang")
    return check_fault(hop, kind)


def check_fault(hop: str, kind: str) -> tuple[Hop, FaultKind]:
    if hop not in HOPS:
        raise FaultError(f"unknown hop {hop!r} (known: {', '.join(HOPS)})")
    if kind not in FAULT_KINDS:
        raise FaultError(f"unknown fault {kind!r} (known: {', '.join(FAULT_KINDS)})")
    return hop, kind  # type: ignore[return-value]


@dataclass
class FaultBoard:
    """The current fault of each hop. A request or connection reads it once, when it starts."""

    faults: dict[str, str] = field(default_factory=lambda: dict.fromkeys(HOPS, "none"))

    def set(self, hop: str, kind: str) -> None:
        hop, kind = check_fault(hop, kind)
        self.faults[hop] = kind

    def get(self, hop: Hop) -> FaultKind:
        return self.faults[hop]  # type: ignore[return-value]
