"""The stand-ins served in-process on a loopback port, with the fast profile and a short slow-drip."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import numpy as np
import pytest

from evals.standins.profiles import DripSettings, load_profile
from evals.standins.script import Script
from evals.standins.server import start
from evals.standins.state import StandInState

SCRIPT = ["hello there how are you", "I need a plumber please"]
DRIP = DripSettings(interval_ms=700, audio_ms=20)
"""Far below real time, and longer than the short watchdog allowances the tests use."""


@dataclass
class Served:
    state: StandInState
    url: str


@pytest.fixture
async def standins() -> AsyncIterator[Served]:
    state = StandInState(profile=load_profile("zero"), drip=DRIP, script=Script(list(SCRIPT)))
    running = await start(state)
    yield Served(state, running.url)
    await running.aclose()


def tone(seconds: float, sample_rate: int, *, level: float = 8000.0) -> np.ndarray:
    """A loud 300 Hz tone: the STT double only hears energy."""
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    return (np.sin(2 * np.pi * 300 * t) * level).astype(np.int16)
