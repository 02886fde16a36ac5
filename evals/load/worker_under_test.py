"""The worker under test: a real `voice-agent worker start` subprocess, its logs, and when it is idle."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from agent.worker_process import spawn_worker

INITIALIZED = ("process initialized", "job runner initialized")
"""What LiveKit logs once a job executor ran its prewarm: a process, or a thread with --executor thread."""
_HTTP_PORT = re.compile(r"HTTP server listening on [^:\s]*:(\d+)")


class WorkerStartError(RuntimeError):
    """The worker exited or never registered; one line."""


@dataclass
class WorkerUnderTest:
    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def count(self, fragment: str) -> int:
        return sum(fragment in line for line in list(self.lines))

    def wait_for_log(self, fragment: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = next((line for line in list(self.lines) if fragment in line), None)
            if found is not None:
                return found
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        tail = " | ".join(line.strip()[:200] for line in self.lines[-3:])
        raise WorkerStartError(f"the worker never logged {fragment!r} (exit {self.process.poll()}): {tail}")

    def wait_until_warm(self, executors: int, timeout: float) -> None:
        """Until `executors` job processes (or threads) have run the prewarm."""
        deadline = time.monotonic() + timeout
        while sum(self.count(text) for text in INITIALIZED) < executors:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise WorkerStartError(
                    f"the worker did not warm {executors} job executors in {timeout:.0f} s"
                )
            time.sleep(0.2)

    def active_calls(self) -> int:
        port = _HTTP_PORT.search(self.wait_for_log("HTTP server listening on", 5))
        assert port is not None
        # bound to every interface with port 0: IPv4 and IPv6 may get different ports, and the log names one
        for host in ("127.0.0.1", "[::1]"):
            try:
                with urllib.request.urlopen(f"http://{host}:{port.group(1)}/worker", timeout=5) as response:
                    return int(json.load(response).get("active_jobs", 0))  # protobuf JSON leaves out a zero
            except (urllib.error.URLError, OSError):
                continue
        raise WorkerStartError(f"the worker's HTTP server does not answer on port {port.group(1)}")

    def write_log(self, path: Path) -> None:
        path.write_text("".join(self.lines))

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        if self.process.stdout is not None:
            self.process.stdout.close()


def start_worker(env_overrides: dict[str, str]) -> WorkerUnderTest:
    """Start the worker in its own process group, with the bench's env over a clean environment."""
    process = spawn_worker(env_overrides)
    worker = WorkerUnderTest(process)
    threading.Thread(target=worker._read, daemon=True).start()
    return worker
