"""The waiting line: arrival order, room, and who may ask for an agent when."""

from __future__ import annotations

import asyncio

import pytest

from agent.overflow.held_call import is_handoff, waited_seconds
from agent.overflow.waiting_line import WaitingLine


def test_calls_wait_in_arrival_order_and_leave_from_anywhere() -> None:
    line = WaitingLine(3)
    assert [line.join(call) for call in ("a", "b", "c")] == [1, 2, 3]
    assert not line.has_room()
    with pytest.raises(OverflowError):
        line.join("d")
    line.leave("b")
    assert (line.position("a"), line.position("c"), line.position("b")) == (1, 2, None)
    line.leave("b")  # twice is harmless: a call leaves on every path out


async def test_only_the_head_is_woken_by_a_freed_slot() -> None:
    line = WaitingLine(2)
    line.join("first")
    line.join("second")
    head = asyncio.create_task(line.wait_for_turn("first", retry_every_s=30))
    behind = asyncio.create_task(line.wait_for_turn("second", retry_every_s=30))
    await asyncio.sleep(0.01)
    line.slot_freed()
    await asyncio.wait_for(head, 1)
    await asyncio.sleep(0.05)
    assert not behind.done()
    line.leave("first")  # the head was answered: the next call moves up and tries at once
    await asyncio.wait_for(behind, 1)


async def test_the_head_retries_on_its_own_when_no_slot_frees_here() -> None:
    line = WaitingLine(1)
    line.join("only")
    loop = asyncio.get_running_loop()
    started = loop.time()
    await asyncio.wait_for(line.wait_for_turn("only", retry_every_s=0.1), 2)
    assert loop.time() - started >= 0.09


@pytest.mark.parametrize(
    ("metadata", "handoff", "waited"),
    [
        ('{"voice.queue": {"waited_s": 12.5}}', True, 12.5),
        ("", False, None),
        ("not json", False, None),
        ('{"other": 1}', False, None),
        ("[1, 2]", False, None),
    ],
)
def test_a_handoff_is_known_by_its_dispatch_metadata(
    metadata: str, handoff: bool, waited: float | None
) -> None:
    assert is_handoff(metadata) is handoff
    assert waited_seconds(metadata) == waited
