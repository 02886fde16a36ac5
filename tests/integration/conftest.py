"""Real livekit-server instances on free loopback ports, and real worker subprocesses."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from agent.config import Settings, load_settings
from agent.livekit_server import (
    ServerPorts,
    ServerSetupError,
    free_ports,
    server_binary,
    start_server,
    wait_until_ready,
)
from agent.worker_process import spawn_worker

pytestmark = pytest.mark.integration


@dataclass
class RunningServer:
    ports: ServerPorts
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)


def launch_server(ports: ServerPorts | None = None) -> RunningServer:
    ports = ports or free_ports()
    process = start_server(ports, output=subprocess.DEVNULL)
    wait_until_ready(ports, process)
    return RunningServer(ports, process)


@dataclass
class RunningWorker:
    process: subprocess.Popen[str]
    agent_name: str
    data_dir: str = ""
    lines: list[str] = field(default_factory=list)
    _reader: threading.Thread | None = None

    def start_reading(self) -> None:
        def _read() -> None:
            assert self.process.stdout is not None
            for line in self.process.stdout:
                self.lines.append(line)

        self._reader = threading.Thread(target=_read, daemon=True)
        self._reader.start()

    def wait_for_log(self, fragment: str, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if fragment in line:
                    return line
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        tail = "".join(self.lines[-20:])
        raise AssertionError(f"worker never logged {fragment!r} (exit={self.process.poll()}):\n{tail}")

    def log_count(self, fragment: str) -> int:
        return sum(fragment in line for line in list(self.lines))

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)


def launch_worker(url: str, **env_overrides: str) -> RunningWorker:
    import tempfile

    agent_name = f"test-agent-{uuid.uuid4().hex[:6]}"
    data_dir = tempfile.mkdtemp(prefix="voice-agent-data-")
    # the worker runs on its default capacity settings unless a test says otherwise
    overrides = {"LIVEKIT_URL": url, "AGENT_NAME": agent_name, "DATA_DIR": data_dir, **env_overrides}
    process = spawn_worker(overrides)
    worker = RunningWorker(process, agent_name, overrides["DATA_DIR"])
    worker.start_reading()
    return worker


def settings_for(server: RunningServer, worker: RunningWorker) -> Settings:
    return load_settings(env_file=None, livekit_url=server.ports.url, agent_name=worker.agent_name)


@pytest.fixture(scope="session", autouse=True)
def _server_binary_present() -> Path:
    try:
        return server_binary()
    except ServerSetupError as exc:
        pytest.fail(str(exc))


@pytest.fixture
def server() -> Iterator[RunningServer]:
    running = launch_server()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def shared_server() -> Iterator[RunningServer]:
    running = launch_server()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def shared_worker(shared_server: RunningServer) -> Iterator[RunningWorker]:
    worker = launch_worker(shared_server.ports.url)
    worker.wait_for_log("registered worker")
    yield worker
    worker.stop()
