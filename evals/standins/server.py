"""One aiohttp app on one loopback port: the three stand-ins plus a tiny control endpoint."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from evals.standins.chat_double import OpenAIChatStandIn
from evals.standins.deepgram_double import DeepgramStandIn
from evals.standins.faults import FaultError
from evals.standins.loopback import check_loopback
from evals.standins.script import ScriptError, check_script
from evals.standins.speech_double import OpenAISpeechStandIn
from evals.standins.state import StandInState

logger = logging.getLogger("standins")

STATE_KEY = web.AppKey("standin_state", StandInState)
TEST_DOUBLE_KEY = "test-double"
"""The API key the stand-ins hand out: never a real one, and they accept any."""


def environment(url: str) -> dict[str, str]:
    """What a worker needs to talk to the stand-ins through the real plugins."""
    return {
        "DEEPGRAM_API_KEY": TEST_DOUBLE_KEY,
        "DEEPGRAM_BASE_URL": f"{url}/v1/listen",
        "OPENAI_API_KEY": TEST_DOUBLE_KEY,
        "OPENAI_BASE_URL": f"{url}/v1",
    }


async def _set_fault(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    try:
        body = await request.json()
        state.faults.set(str(body["hop"]), str(body["kind"]))
    except (ValueError, KeyError, TypeError, FaultError) as exc:
        message = str(exc) if isinstance(exc, FaultError) else 'expected JSON {"hop": ..., "kind": ...}'
        return web.json_response({"error": message}, status=400)
    logger.info("stand-ins: fault %s set to %s", body["hop"], body["kind"])
    return web.json_response({"faults": state.faults.faults})


async def _set_script(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    try:
        body = await request.json()
        lines = body["lines"]
        if not isinstance(lines, list) or not all(isinstance(line, str) for line in lines):
            raise TypeError
        state.script.lines = check_script(lines)
    except (ValueError, KeyError, TypeError, ScriptError) as exc:
        message = str(exc) if isinstance(exc, ScriptError) else 'expected JSON {"lines": ["...", ...]}'
        return web.json_response({"error": message}, status=400)
    return web.json_response({"script": state.script.lines})


async def _get_state(request: web.Request) -> web.Response:
    return web.json_response(request.app[STATE_KEY].snapshot())


async def _speech_root(_request: web.Request) -> web.Response:
    # the LiveKit TTS plugin prewarms with GET on the base URL
    return web.json_response({"object": "test-double"})


def create_app(state: StandInState) -> web.Application:
    app = web.Application()
    app[STATE_KEY] = state
    deepgram = DeepgramStandIn(state)
    chat = OpenAIChatStandIn(state)
    speech = OpenAISpeechStandIn(state)
    app.router.add_get("/v1/listen", deepgram.handle)
    app.router.add_post("/v1/chat/completions", chat.handle)
    app.router.add_get("/v1/models", chat.models)
    app.router.add_post("/v1/audio/speech", speech.handle)
    app.router.add_get("/v1/", _speech_root)
    app.router.add_post("/control/fault", _set_fault)
    app.router.add_post("/control/script", _set_script)
    app.router.add_get("/control/state", _get_state)
    return app


@dataclass
class RunningStandIns:
    runner: web.AppRunner
    url: str

    async def aclose(self) -> None:
        await self.runner.cleanup()


async def start(state: StandInState, host: str = "127.0.0.1", port: int = 0) -> RunningStandIns:
    """Start on a loopback port (0 picks a free one) and return its URL."""
    check_loopback(host)
    # cancel a handler when its client goes: a hung request must not outlive the caller
    runner = web.AppRunner(create_app(state), handler_cancellation=True, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except OSError:
        await runner.cleanup()
        raise
    bound = runner.addresses[0]
    shown_host = f"[{bound[0]}]" if ":" in bound[0] else bound[0]
    return RunningStandIns(runner, f"http://{shown_host}:{bound[1]}")


async def serve(
    state: StandInState, host: str, port: int, *, announce: Callable[[str], None] | None = None
) -> None:
    """Run until SIGTERM or SIGINT, announcing readiness with one JSON line on stdout."""
    running = await start(state, host, port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    ready = json.dumps({"url": running.url, "env": environment(running.url)})
    (announce or _print_line)(ready)
    logger.info("stand-ins (test doubles) ready on %s, profile %s", running.url, state.profile.name)
    try:
        await stop.wait()
    finally:
        logger.info("stand-ins: stopping")
        await running.aclose()


def _print_line(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
