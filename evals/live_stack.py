"""A LiveKit server and one worker on free ports, for benchmarks that call the agent for real."""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from agent.config import Settings, load_settings
from agent.livekit_server import free_ports, start_server, wait_until_ready
from agent.worker_process import spawn_worker

WORKER_READY_LINE = "registered worker"


def _stop(process: subprocess.Popen[bytes] | subprocess.Popen[str]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


@contextmanager
def local_stack(
    env: dict[str, str], *, log_path: Path | None = None, ready_timeout: float = 90.0
) -> Iterator[Settings]:
    """Settings that reach a fresh server with one fresh worker (offline stack unless `env` says
    otherwise), its output kept in `log_path`; both are killed on exit."""
    ports = free_ports()
    server = start_server(ports, output=subprocess.DEVNULL)
    worker: subprocess.Popen[str] | None = None
    try:
        wait_until_ready(ports, server)
        agent_name = f"bench-agent-{uuid.uuid4().hex[:6]}"
        worker = spawn_worker(
            {
                "LIVEKIT_URL": ports.url,
                "AGENT_NAME": agent_name,
                "DATA_DIR": tempfile.mkdtemp(prefix="voice-agent-bench-"),
                **env,
            }
        )
        ready = threading.Event()

        def _drain() -> None:
            assert worker is not None and worker.stdout is not None
            log = log_path.open("w", buffering=1) if log_path is not None else None
            for line in worker.stdout:  # keep reading, or a full pipe blocks the worker
                if log is not None:
                    log.write(line)
                if WORKER_READY_LINE in line:
                    ready.set()

        threading.Thread(target=_drain, daemon=True).start()
        deadline = time.monotonic() + ready_timeout
        while not ready.wait(0.2):
            if worker.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the benchmark's worker did not register")
        yield load_settings(env_file=None, livekit_url=ports.url, agent_name=agent_name)
    finally:
        if worker is not None:
            _stop(worker)
        _stop(server)
