"""The roster: who may take transferred calls, in which tier, in what order."""

from __future__ import annotations

import re
from dataclasses import dataclass

TIERS = ("first", "supervisor")
_IDENTITY = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")


@dataclass(frozen=True)
class RosterEntry:
    identity: str
    tier: str


def parse_roster(text: str) -> list[RosterEntry]:
    """ "alice:first, bob:supervisor" -> entries in offer order; ValueError names the bad entry."""
    entries: list[RosterEntry] = []
    for raw in (part.strip() for part in text.split(",")):
        if not raw:
            continue
        identity, _, tier = raw.partition(":")
        identity, tier = identity.strip(), (tier.strip() or "first").lower()
        if not _IDENTITY.match(identity):
            raise ValueError(f"entry {raw!r}: an identity is 1-64 letters, digits or _.@-")
        if tier not in TIERS:
            raise ValueError(f"entry {raw!r}: the tier must be first or supervisor")
        if any(e.identity == identity for e in entries):
            raise ValueError(f"entry {raw!r}: {identity} is listed twice")
        entries.append(RosterEntry(identity, tier))
    return entries
