"""The calls this worker holds beyond its capacity, first come first served."""

from __future__ import annotations

import asyncio
import contextlib


class WaitingLine:
    """Only the call at the head of the line asks for an agent, so calls are answered in arrival order
    and a freed slot is not raced for by every waiting call at once."""

    def __init__(self, max_calls: int) -> None:
        if max_calls < 0:
            raise ValueError("max_calls must not be negative")
        self.max_calls = max_calls
        self._calls: list[str] = []
        self._changed = asyncio.Event()

    def __len__(self) -> int:
        return len(self._calls)

    def has_room(self) -> bool:
        return len(self._calls) < self.max_calls

    def join(self, call_id: str) -> int:
        """Add a call at the back; its 1-based position."""
        if not self.has_room():
            raise OverflowError("the waiting line is full")
        self._calls.append(call_id)
        return len(self._calls)

    def leave(self, call_id: str) -> None:
        with contextlib.suppress(ValueError):
            self._calls.remove(call_id)
        self._wake()

    def position(self, call_id: str) -> int | None:
        return self._calls.index(call_id) + 1 if call_id in self._calls else None

    def slot_freed(self) -> None:
        """A call ended here: the head may try now instead of at its next retry."""
        self._wake()

    async def wait_for_turn(self, call_id: str, *, retry_every_s: float) -> None:
        """Return when `call_id` is at the head and a slot was freed, or `retry_every_s` passed
        (a slot may have freed on another worker, which this one cannot see)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + retry_every_s
        while True:
            if self.position(call_id) == 1 and loop.time() >= deadline:
                return
            self._changed.clear()
            timeout = max(0.0, deadline - loop.time()) if self.position(call_id) == 1 else retry_every_s
            try:
                await asyncio.wait_for(self._changed.wait(), timeout)
            except TimeoutError:
                continue
            if self.position(call_id) == 1:
                return  # woken at the head: a slot freed, or the call ahead was answered

    def _wake(self) -> None:
        self._changed.set()
