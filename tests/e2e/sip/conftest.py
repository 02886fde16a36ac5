"""One SIP stack for all SIP tests: Redis, livekit-server, livekit-sip and a worker, on free loopback ports."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from agent.config import Settings, load_settings
from agent.livekit_server import ServerSetupError, free_ports, start_server, wait_until_ready
from agent.telephony.local_stack import (
    SipPorts,
    free_sip_ports,
    redis_argv,
    sip_argv,
    sip_binary,
    sip_config,
    wait_for_redis,
    wait_for_sip,
)
from agent.telephony.setup_command import provision
from tests.integration.conftest import RunningServer, RunningWorker, launch_worker

DEV_KEY = "devkey"
DEV_SECRET = "local-dev-secret-0123456789abcdefghij"
HUMAN_PHONE_NUMBER = "+15550111"
VOICEMAIL_NUMBER = "+15550112"


def _spawn(argv: list[str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(argv, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)


def _kill(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


@dataclass
class SipStack:
    """Everything a phone call needs, plus the settings a test uses to talk to the server API."""

    server: RunningServer
    ports: SipPorts
    redis: subprocess.Popen[bytes]
    sip: subprocess.Popen[bytes]
    logs: Path

    def settings(self, **overrides: object) -> Settings:
        return load_settings(env_file=None, livekit_url=self.server.ports.url, **overrides)

    def sip_log(self) -> str:
        return (self.logs / "sip.log").read_text(errors="replace")

    def stop(self) -> None:
        _kill(self.sip)
        self.server.stop()
        _kill(self.redis)


@pytest.fixture(scope="session")
def sip_stack() -> Iterator[SipStack]:
    try:
        sip_binary()
    except ServerSetupError as exc:
        pytest.fail(str(exc))
    logs = Path(tempfile.mkdtemp(prefix="voice-agent-sip-"))
    ports = free_sip_ports()
    redis = _spawn(redis_argv(ports, logs / "redis"), logs / "redis.log")
    wait_for_redis(ports.redis)
    server_ports = free_ports()
    server_process = start_server(
        server_ports, output=(logs / "server.log").open("wb"), redis_address=ports.redis_address
    )
    server = RunningServer(server_ports, server_process)
    sip: subprocess.Popen[bytes] | None = None
    try:
        wait_until_ready(server_ports, server_process)
        config = sip_config(ports, ws_url=server_ports.url, api_key=DEV_KEY, api_secret=DEV_SECRET)
        sip = _spawn(sip_argv(config), logs / "sip.log")
        wait_for_sip(ports.health)
        yield SipStack(server, ports, redis, sip, logs)
    finally:
        if sip is not None:
            _kill(sip)
        server.stop()
        _kill(redis)
        if not os.environ.get("SIPP_TRACE"):  # SIPP_TRACE=1 keeps the stack's logs too
            shutil.rmtree(logs, ignore_errors=True)


@pytest.fixture(scope="session")
def sip_worker(sip_stack: SipStack) -> Iterator[RunningWorker]:
    """The worker every SIP test calls; the trunk and rule are provisioned for its agent name."""
    worker = launch_worker(
        sip_stack.server.ports.url,
        WORKER_NUM_IDLE_PROCESSES="1",
        RING_TIMEOUT_S="6",
        HOLD_AUDIO="off",
        HOLD_UPDATE_EVERY_S="300",
        # tried after the lobby's operators; reached only while a test provisions the outbound trunk
        SIP_OPERATOR_PHONES=f"voicemail:{VOICEMAIL_NUMBER},alice:{HUMAN_PHONE_NUMBER}",
    )
    try:
        worker.wait_for_log("registered worker", timeout=90)
        settings = sip_stack.settings(agent_name=worker.agent_name)
        asyncio.run(provision(settings, dry_run=False))
        yield worker
    finally:
        worker.stop()
