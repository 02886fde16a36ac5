"""The greeting waits for the caller to be listening, but never for long and never without a room."""

from __future__ import annotations

import asyncio
from typing import Any

from agent.front_desk import until_caller_listens


class RoomIOStub:
    def __init__(self, subscribed: asyncio.Future[None] | None) -> None:
        self.subscribed_fut = subscribed


class SessionStub:
    def __init__(self, room_io: RoomIOStub | None) -> None:
        self._room_io = room_io

    @property
    def room_io(self) -> RoomIOStub:
        if self._room_io is None:
            raise RuntimeError("Cannot access room_io: the AgentSession was not started with a room.")
        return self._room_io


async def test_waits_until_the_caller_subscribes() -> None:
    subscribed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    waiting = asyncio.create_task(until_caller_listens(SessionStub(RoomIOStub(subscribed)), timeout=5))  # type: ignore[arg-type]
    await asyncio.sleep(0.05)
    assert not waiting.done()
    subscribed.set_result(None)
    await asyncio.wait_for(waiting, 1)


async def test_gives_up_after_its_timeout_and_leaves_the_room_future_alone() -> None:
    subscribed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    await asyncio.wait_for(until_caller_listens(SessionStub(RoomIOStub(subscribed)), timeout=0.05), 1)  # type: ignore[arg-type]
    assert not subscribed.cancelled()


async def test_a_session_without_a_room_or_audio_output_does_not_wait() -> None:
    session: Any
    for session in (SessionStub(None), SessionStub(RoomIOStub(None))):
        await asyncio.wait_for(until_caller_listens(session, timeout=5), 1)
