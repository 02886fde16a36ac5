"""`voice-agent operator` as a real subprocess: the tests' people on duty."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from agent.config import Settings
from agent.livekit_api import server_api
from agent.livekit_server import REPO_ROOT


@dataclass
class OperatorProcess:
    process: subprocess.Popen[str]
    identity: str
    progress: list[str] = field(default_factory=list)

    def wait_for(self, fragment: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(fragment in line for line in list(self.progress)):
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"operator {self.identity} never said {fragment!r}: {''.join(self.progress)}")

    def report(self, timeout: float = 20.0) -> dict[str, Any]:
        """Ends the client (SIGTERM, unless it already exited) and returns its --json report."""
        if self.process.poll() is None:
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.send_signal(signal.SIGTERM)
        out, _ = self.process.communicate(timeout=15)
        return json.loads(out)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


STARTED: list[OperatorProcess] = []
"""Every operator a test started; the autouse fixture stops them, whatever the test did."""


def stop_all() -> None:
    while STARTED:
        STARTED.pop().stop()


def start_operator(
    url: str, identity: str, *, tier: str = "first", decision: str = "accept", say: tuple[str, ...] = ()
) -> OperatorProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIVEKIT_", "OPENAI_", "DEEPGRAM_"))}
    env.update(LIVEKIT_URL=url, PYTHONUNBUFFERED="1")
    command = [sys.executable, "-m", "agent.cli", "operator", "--identity", identity, "--tier", tier,
               "--decision", decision, "--once", "--json"]  # fmt: skip
    for text in say:
        command += ["--say", text]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO_ROOT
    )
    operator = OperatorProcess(process, identity)
    STARTED.append(operator)

    def _read() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            operator.progress.append(line)

    threading.Thread(target=_read, daemon=True).start()
    operator.wait_for("waiting for calls")
    return operator


async def lobby_identities(settings: Settings) -> list[str]:
    from livekit import api

    lkapi = server_api(settings)
    try:
        listed = await lkapi.room.list_participants(
            api.ListParticipantsRequest(room=settings.operator_lobby_room)
        )
        return [p.identity for p in listed.participants]
    except api.TwirpError:
        return []
    finally:
        await lkapi.aclose()


async def wait_lobby_empty(settings: Settings, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not await lobby_identities(settings):
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"the lobby still holds {await lobby_identities(settings)}")
