"""`voice-agent sip setup` against the real server's SIP service: idempotent, and --dry-run writes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from agent.livekit_server import REPO_ROOT
from tests.e2e.sip.conftest import SipStack
from tests.integration.conftest import RunningWorker


def _sip_setup(stack: SipStack, agent_name: str, *args: str, **env: str) -> dict:  # type: ignore[type-arg]
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("LIVEKIT_", "SIP_"))}
    environment.update(LIVEKIT_URL=stack.server.ports.url, AGENT_NAME=agent_name, **env)
    done = subprocess.run(
        [sys.executable, "-m", "agent.cli", "sip", "setup", "--json", *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=REPO_ROOT,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _actions(report: dict) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    return [(change["action"], change["resource"]) for change in report["changes"]]


def test_a_second_setup_run_changes_nothing(sip_stack: SipStack, sip_worker: RunningWorker) -> None:
    # the fixture already provisioned for this worker: the command line must agree with it
    report = _sip_setup(sip_stack, sip_worker.agent_name)
    assert _actions(report) == [("keep", "inbound trunk"), ("keep", "dispatch rule")]


def test_dry_run_shows_the_change_and_makes_none(sip_stack: SipStack, sip_worker: RunningWorker) -> None:
    report = _sip_setup(
        sip_stack,
        sip_worker.agent_name,
        "--dry-run",
        SIP_OUTBOUND_ADDRESS="127.0.0.1:5999",
        SIP_OUTBOUND_NUMBER="+15550100",
        SIP_NUMBERS="+15550100",
    )
    assert report["dry_run"] is True
    assert _actions(report) == [
        ("update", "inbound trunk"),
        ("create", "outbound trunk"),
        ("keep", "dispatch rule"),
    ]
    assert _actions(_sip_setup(sip_stack, sip_worker.agent_name)) == [
        ("keep", "inbound trunk"),
        ("keep", "dispatch rule"),
    ]
