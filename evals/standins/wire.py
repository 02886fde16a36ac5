"""Small helpers the HTTP stand-ins share: injected faults before the answer, pacing, dropping a socket."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from aiohttp import web

logger = logging.getLogger("standins")


async def hang_forever(name: str) -> web.StreamResponse:
    """Accept the request and never answer; the server cancels this when the client goes away."""
    logger.info("%s: injected hang", name)
    await asyncio.Event().wait()
    raise AssertionError("unreachable")


def drop_connection(request: web.Request, name: str) -> None:
    """Disconnect mid-stream: close the TCP connection without finishing the response."""
    logger.info("%s: injected disconnect mid-stream", name)
    if request.transport is not None:
        request.transport.abort()


async def write(response: web.StreamResponse, data: bytes) -> bool:
    """False when the client has gone."""
    try:
        await response.write(data)
    except (ConnectionError, RuntimeError):
        return False
    return True


class Pacer:
    """Sleeps until each unit's due time: the first at `first_s`, then one per `every_s`."""

    def __init__(self, first_s: float, every_s: float) -> None:
        self._due = time.monotonic() + first_s
        self._every = every_s

    async def wait(self) -> None:
        delay = self._due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        self._due = max(self._due, time.monotonic() - 0.05) + self._every


async def finish(response: web.StreamResponse) -> None:
    with contextlib.suppress(ConnectionError, RuntimeError):
        await response.write_eof()
