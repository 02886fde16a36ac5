"""`voice-agent web`: the token service on its own (`voice-agent dev` runs it beside the server and worker)."""

from __future__ import annotations

import asyncio
import errno
import logging
import signal
import sys

from aiohttp import web

from agent.config import Settings
from web.app import CONSOLE_BUNDLE, WIDGET_BUNDLE, create_app


def page_url(settings: Settings, port: int, path: str = "/") -> str:
    host = "127.0.0.1" if settings.web_host in ("0.0.0.0", "") else settings.web_host  # noqa: S104 - a name, not a bind
    return f"http://{host}:{port}{path}"


async def serve(settings: Settings, *, ready: asyncio.Event | None = None) -> None:
    """Runs until cancelled or SIGINT/SIGTERM."""
    runner = web.AppRunner(create_app(settings), access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, settings.web_host, settings.web_port)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        why = "the port is in use (set WEB_PORT)" if exc.errno == errno.EADDRINUSE else str(exc)
        raise WebError(f"cannot listen on {settings.web_host}:{settings.web_port}: {why}") from None
    port = runner.addresses[0][1]
    for path in (WIDGET_BUNDLE, CONSOLE_BUNDLE):
        if not path.exists():
            print(
                f"web    | warning: {path.relative_to(path.parents[2])} is not built; run `make setup`",
                flush=True,
            )
    print(
        f"listening: the call page {page_url(settings, port)}, the console {page_url(settings, port, '/console')}",
        flush=True,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    if ready is not None:
        ready.set()
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def run_web(settings: Settings) -> int:
    logging.basicConfig(level=logging.WARNING, format="web: %(name)s: %(message)s")
    try:
        asyncio.run(serve(settings))
    except WebError as exc:
        print(f"voice-agent: {exc}", file=sys.stderr)
        return 2
    return 0


class WebError(Exception):
    """The token service could not start; one line."""
