"""Worker lifecycle against a real server: draining on SIGTERM, and connecting late."""

from __future__ import annotations

import asyncio
import signal
import time

from agent.caller import place_call, synthesize_utterance
from agent.livekit_server import free_ports
from tests.integration.conftest import RunningServer, launch_server, launch_worker, settings_for


async def test_sigterm_drains_the_active_call_then_exits_cleanly(server: RunningServer) -> None:
    worker = launch_worker(server.ports.url, WORKER_DRAIN_TIMEOUT_S="60")
    try:
        worker.wait_for_log("registered worker")
        settings = settings_for(server, worker)

        def _terminate_mid_reply(_turn: int) -> None:
            worker.process.send_signal(signal.SIGTERM)

        report = await place_call(
            settings,
            [synthesize_utterance("My kitchen sink is leaking.")],
            timeout=30,
            on_reply_started=_terminate_mid_reply,
        )
        turn = report.turns[0]
        # the reply that was playing when SIGTERM arrived finished: its last words were heard
        assert turn.answered
        assert turn.agent_said.lower().rstrip("?. ").endswith("phone number on your account"), turn.agent_said
        assert worker.process.poll() is None or worker.process.returncode == 0

        # while draining, a new call is not taken
        late = await place_call(settings, [], timeout=6)
        assert late.greeting_ms is None, "a draining worker accepted a new call"

        # the first call has hung up, so the drain completes and the process exits cleanly
        assert await asyncio.to_thread(worker.process.wait, 60) == 0
    finally:
        worker.stop()


async def test_worker_started_before_the_server_retries_then_connects() -> None:
    ports = free_ports()
    worker = launch_worker(ports.url, WORKER_MAX_RETRY="10")
    server = None
    try:
        worker.wait_for_log("failed to connect to livekit, retrying")
        assert worker.process.poll() is None, "the worker gave up instead of retrying"
        started = time.monotonic()
        server = launch_server(ports)
        worker.wait_for_log("registered worker", timeout=30)
        assert time.monotonic() - started < 30
        assert worker.log_count("failed to connect to livekit, retrying") >= 1

        report = await place_call(settings_for(server, worker), [], timeout=30)
        assert report.greeting_ms is not None
    finally:
        worker.stop()
        if server is not None:
            server.stop()


def test_worker_gives_up_after_its_retries_with_one_line_and_exit_1() -> None:
    ports = free_ports()  # nothing listens there
    worker = launch_worker(ports.url, WORKER_MAX_RETRY="1")
    try:
        assert worker.process.wait(90) == 1
        output = "".join(worker.lines)
        assert "Traceback" not in output
        assert f"cannot connect to the LiveKit server at {ports.url} after 1 retries" in output
        assert worker.log_count("failed to connect to livekit, retrying") == 1
    finally:
        worker.stop()
