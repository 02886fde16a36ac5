"""`voice-agent dev` starts the whole tree and leaves nothing behind when stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from agent.livekit_server import REPO_ROOT, default_ports, port_is_free


def processes_with_marker(marker: str) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if marker.encode() in (proc / "environ").read_bytes():
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def test_dev_runs_server_and_worker_and_sigterm_leaves_no_orphans() -> None:
    if not port_is_free(default_ports().signal):
        pytest.fail(f"port {default_ports().signal} is busy; stop the running `make dev` first")
    marker = f"VOICE_AGENT_TEST_MARKER={uuid.uuid4().hex}"
    key, value = marker.split("=")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIVEKIT_")}
    env.update({key: value, "PYTHONUNBUFFERED": "1"})
    dev = subprocess.Popen(
        [sys.executable, "-m", "agent.cli", "dev", "--no-setup"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=REPO_ROOT,
    )
    lines: list[str] = []
    try:
        assert dev.stdout is not None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = dev.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("worker") and "registered worker" in line:
                break
        output = "".join(lines)
        assert "registered worker" in output, output[-3000:]
        assert any(line.startswith("server |") for line in lines)
        assert "ws://127.0.0.1:7880" in output
        assert len(processes_with_marker(marker)) >= 3  # dev, server, worker (and job processes)

        dev.send_signal(signal.SIGTERM)
        assert dev.wait(60) == 0
        time.sleep(0.5)
        assert processes_with_marker(marker) == []
    finally:
        if dev.poll() is None:
            dev.kill()
        for pid in processes_with_marker(marker):
            os.kill(pid, signal.SIGKILL)
