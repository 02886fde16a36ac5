"""`voice-agent web`: help, and one line with exit code 2 for a bad setting or a busy port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from agent.livekit_server import REPO_ROOT


def _web(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agent.cli", "web"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=60,
    )


def test_help() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "agent.cli", "web", "--help"], capture_output=True, text=True, cwd=REPO_ROOT
    )
    assert done.returncode == 0 and "token service" in done.stdout


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("WEB_PORT", "abc", "WEB_PORT"),
        ("WEB_ALLOWED_ORIGINS", "shop.example.com", "not an origin"),
        ("OPERATOR_CONSOLE_SECRET", "short", "too short"),
        ("WEB_TOKEN_TTL_S", "86400", "WEB_TOKEN_TTL_S"),
    ],
)
def test_a_bad_setting_is_one_line_and_exit_2(name: str, value: str, fragment: str) -> None:
    done = _web(**{name: value})
    assert done.returncode == 2
    assert fragment in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_a_busy_port_is_one_line_and_exit_2() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        done = _web(WEB_PORT=str(taken.getsockname()[1]))
    assert done.returncode == 2
    assert done.stderr.strip().endswith("the port is in use (set WEB_PORT)")
    assert "Traceback" not in done.stderr
