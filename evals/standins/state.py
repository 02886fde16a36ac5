"""What the three stand-ins share: profile, seeded RNG, fault board, script, and counters a test reads."""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field

from evals.standins.faults import HOPS, FaultBoard
from evals.standins.profiles import DripSettings, LatencyProfile, Span
from evals.standins.script import Script

RECENT_REPLIES = 20


@dataclass
class HopStats:
    requests: int = 0
    """Connections (STT) or requests (LLM, TTS) received."""
    faulted: int = 0
    """Of those, how many met an injected fault."""
    completed: int = 0
    """Finals sent (STT), replies finished (LLM), syntheses finished (TTS)."""
    finalized: int = 0
    """Of the STT's finals, how many a Finalize brought (the agent ended the turn, not the quiet)."""


@dataclass
class StandInState:
    profile: LatencyProfile
    drip: DripSettings = field(default_factory=DripSettings)
    faults: FaultBoard = field(default_factory=FaultBoard)
    script: Script = field(default_factory=Script)
    seed: int = 0
    stats: dict[str, HopStats] = field(default_factory=lambda: {hop: HopStats() for hop in HOPS})
    recent_replies: deque[str] = field(default_factory=lambda: deque(maxlen=RECENT_REPLIES))
    """Texts the LLM double answered, newest last: tests check what the caller heard against them."""
    recent_tool_calls: deque[str] = field(default_factory=lambda: deque(maxlen=RECENT_REPLIES))
    """Names of the tools the LLM double called, newest last."""
    recent_transcripts: deque[str] = field(default_factory=lambda: deque(maxlen=RECENT_REPLIES))
    """Final transcripts the STT double sent, newest last."""

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def delay_s(self, span: Span) -> float:
        return span.sample(self.rng) / 1000.0

    def snapshot(self) -> dict[str, object]:
        return {
            "profile": self.profile.name,
            "faults": dict(self.faults.faults),
            "script": list(self.script.lines),
            "stats": {hop: vars(stats).copy() for hop, stats in self.stats.items()},
            "recent_replies": list(self.recent_replies),
            "recent_tool_calls": list(self.recent_tool_calls),
            "recent_transcripts": list(self.recent_transcripts),
        }
