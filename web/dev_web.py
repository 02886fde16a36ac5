"""The token service's place in `voice-agent dev`: started after the worker, its pages announced."""

from __future__ import annotations

import asyncio
import secrets
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from agent.config import Settings
from agent.livekit_server import port_is_free
from web.server import page_url

LISTEN_WAIT_S = 20.0


async def _listening(port: int, child: Any) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + LISTEN_WAIT_S
    while loop.time() < deadline and child.process.returncode is None:
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return True
        except OSError:
            await asyncio.sleep(0.1)
    return False


async def start_web(
    settings: Settings,
    env: dict[str, str],
    spawn: Callable[[str, list[str], dict[str, str]], Awaitable[Any]],
    children: list[Any],
) -> list[str]:
    """Starts `voice-agent web` as one more child; the lines for dev to print."""
    port = settings.web_port
    if port and not port_is_free(port):
        # the rest of the stack still works from the terminal; only the pages are missing
        return [f"port {port} is in use, so no web pages this time (set WEB_PORT to another port)"]
    notes = []
    if settings.operator_console_secret is None:
        env["OPERATOR_CONSOLE_SECRET"] = secrets.token_urlsafe(12)
        notes.append(
            f"operator console secret for this run: {env['OPERATOR_CONSOLE_SECRET']} (set OPERATOR_CONSOLE_SECRET to keep one)"
        )
    child = await spawn("web", [sys.executable, "-m", "agent.cli", "web"], env)
    children.append(child)
    if not port:
        return ["web pages: see the web line above for the address", *notes]
    if not await _listening(port, child):
        return [f"the web pages did not start on port {port}; see the web lines above"]
    return [
        f"talk to the agent in your browser: {page_url(settings, port)}",
        f"operator console: {page_url(settings, port, '/console')}",
        *notes,
    ]
