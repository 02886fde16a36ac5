"""One real local stack for the browser tests (server, worker, token service), and Playwright."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest
import pytest_asyncio
from playwright.async_api import Playwright, async_playwright

from agent.config import Settings, load_settings
from agent.livekit_server import REPO_ROOT
from tests.e2e.browser import CHROMIUM
from tests.integration.conftest import RunningServer, RunningWorker, launch_server, launch_worker
from web.app import CONSOLE_BUNDLE, WIDGET_BUNDLE

CONSOLE_SECRET = "e2e-console-secret"
RING_TIMEOUT_S = "20"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class TokenService:
    process: subprocess.Popen[bytes]
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)


def start_token_service(livekit_url: str, agent_name: str, data_dir: str) -> TokenService:
    port = _free_port()
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("LIVEKIT_", "OPENAI_", "DEEPGRAM_", "WEB_"))
    }
    env.update(
        LIVEKIT_URL=livekit_url,
        AGENT_NAME=agent_name,
        WEB_PORT=str(port),
        OPERATOR_CONSOLE_SECRET=CONSOLE_SECRET,
        DATA_DIR=data_dir,
        PYTHONUNBUFFERED="1",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "agent.cli", "web"],
        env=env,
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    service = TokenService(process, port)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{service.url}/healthz", timeout=2):
                return service
        except (urllib.error.URLError, OSError):
            if process.poll() is not None:
                break
            time.sleep(0.1)
    service.stop()
    raise AssertionError("the token service did not start")


@dataclass
class Stack:
    server: RunningServer
    worker: RunningWorker
    web: TokenService
    settings: Settings

    def active_jobs(self) -> int:
        """The worker's running calls, from its own HTTP server."""
        line = self.worker.wait_for_log("HTTP server listening on")
        port = re.search(r"HTTP server listening on [^:\s]*:(\d+)", line)
        assert port, line
        for host in ("127.0.0.1", "[::1]"):
            try:
                with urllib.request.urlopen(f"http://{host}:{port.group(1)}/worker", timeout=5) as response:
                    return int(json.load(response).get("active_jobs", 0))
            except urllib.error.URLError:
                continue
        raise AssertionError("the worker's HTTP server does not answer")


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make setup-browser`")
    for bundle in (WIDGET_BUNDLE, CONSOLE_BUNDLE):
        if not bundle.exists():
            pytest.fail(f"{bundle.name} is not built: run `make setup`")
    data_dir = tempfile.mkdtemp(prefix="voice-agent-e2e-")
    server = launch_server()
    # one warm process, and the default capacity: the page must cope with the worker as shipped
    worker = launch_worker(
        server.ports.url, WORKER_NUM_IDLE_PROCESSES="1", RING_TIMEOUT_S=RING_TIMEOUT_S, DATA_DIR=data_dir
    )
    running: Stack | None = None
    try:
        web = start_token_service(server.ports.url, worker.agent_name, data_dir)
        settings = load_settings(env_file=None, livekit_url=server.ports.url, agent_name=worker.agent_name)
        running = Stack(server, worker, web, settings)
        worker.wait_for_log("registered worker", timeout=120)
        worker.wait_for_log("process initialized", timeout=120)
        yield running
    finally:
        if running is not None:
            running.web.stop()  # a test may have restarted it: stop the one running now
        worker.stop()
        server.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def playwright() -> AsyncIterator[Playwright]:
    async with async_playwright() as running:
        yield running
