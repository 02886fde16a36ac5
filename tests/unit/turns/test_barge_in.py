"""A reply paused by a short sound resumes quickly; by a long one, it waits for the words."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from livekit import rtc
from livekit.agents import UserStateChangedEvent

from agent.turns.barge_in import WORDS_WAIT_S, BargeInTimer


class _Session(rtc.EventEmitter[str]):
    def __init__(self) -> None:
        super().__init__()
        self.options = SimpleNamespace(interruption={"false_interruption_timeout": 0.05})


def _state(new: str, old: str = "listening") -> UserStateChangedEvent:
    return UserStateChangedEvent(old_state=old, new_state=new)  # type: ignore[arg-type]


async def test_speech_longer_than_an_acknowledgement_waits_for_words() -> None:
    session = _Session()
    BargeInTimer(session, resume_s=0.05, acknowledgement_max_s=0.05)  # type: ignore[arg-type]
    session.emit("user_state_changed", _state("speaking"))
    await asyncio.sleep(0.1)
    assert session.options.interruption["false_interruption_timeout"] == WORDS_WAIT_S
    session.emit("user_state_changed", _state("speaking"))  # the next burst starts short again
    assert session.options.interruption["false_interruption_timeout"] == 0.05


async def test_an_acknowledgement_keeps_the_quick_resume() -> None:
    session = _Session()
    BargeInTimer(session, resume_s=0.05, acknowledgement_max_s=0.2)  # type: ignore[arg-type]
    session.emit("user_state_changed", _state("speaking"))
    await asyncio.sleep(0.05)
    session.emit("user_state_changed", _state("listening", "speaking"))
    await asyncio.sleep(0.25)
    assert session.options.interruption["false_interruption_timeout"] == 0.05
