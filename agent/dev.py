"""`voice-agent dev`: the local stack (LiveKit server, then the worker) in one process tree.

Each child runs in its own process group, so stopping the tree also stops grandchildren
(the worker's job processes) and nothing is left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from dataclasses import dataclass

import yaml

from agent.config import Settings
from agent.livekit_server import (
    CONFIG_PATH,
    REPO_ROOT,
    ServerSetupError,
    default_ports,
    port_is_free,
    server_binary,
)
from agent.telephony.dev_sip import SIP_SETUP_SCRIPT, finish_sip_side, start_sip_side
from web.dev_web import start_web

STOP_GRACE_S = {"worker": 15.0, "server": 3.0}
"""The worker gets time to end its calls; the server only waits for rooms the worker just left."""


@dataclass
class _Child:
    name: str
    process: asyncio.subprocess.Process
    pump: asyncio.Task[None]


def _say(message: str) -> None:
    print(f"dev    | {message}", flush=True)


async def _pump_lines(name: str, stream: asyncio.StreamReader) -> None:
    prefix = f"{name:<6} | "
    while line := await stream.readline():
        sys.stdout.write(prefix + line.decode(errors="replace"))
        sys.stdout.flush()


async def _spawn(name: str, argv: list[str], env: dict[str, str]) -> _Child:
    process = await asyncio.create_subprocess_exec(
        *argv,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=env,
        cwd=REPO_ROOT,
        start_new_session=True,
    )
    assert process.stdout is not None
    return _Child(name, process, asyncio.create_task(_pump_lines(name, process.stdout)))


async def _stop(child: _Child) -> None:
    if child.process.returncode is None:
        try:
            os.killpg(child.process.pid, signal.SIGTERM)
            await asyncio.wait_for(child.process.wait(), STOP_GRACE_S.get(child.name, 5.0))
        except (TimeoutError, ProcessLookupError):
            pass
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.process.pid, signal.SIGKILL)  # grandchildren that outlived their parent
    await child.process.wait()
    await asyncio.gather(child.pump, return_exceptions=True)


async def _wait_for_server(port: int, server: _Child, timeout: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if server.process.returncode is not None:
            raise ServerSetupError(f"livekit-server exited with code {server.process.returncode}")
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.1)
    raise ServerSetupError(f"livekit-server did not listen on port {port} within {timeout:.0f}s")


def _local_keys() -> tuple[str, str]:
    keys = yaml.safe_load(CONFIG_PATH.read_text())["keys"]
    key, secret = next(iter(keys.items()))
    return str(key), str(secret)


async def _run_tree(settings: Settings, *, sip: bool = False) -> int:
    ports = default_ports()
    if not port_is_free(ports.signal):
        raise ServerSetupError(f"port {ports.signal} is in use; is another `voice-agent dev` running?")
    api_key, api_secret = _local_keys()
    env = dict(os.environ)
    # The dev tree always talks to its own server, whatever LIVEKIT_* points at elsewhere.
    env.update(LIVEKIT_URL=ports.url, LIVEKIT_API_KEY=api_key, LIVEKIT_API_SECRET=api_secret)
    env.setdefault("WORKER_HTTP_PORT", "0")
    env["PYTHONUNBUFFERED"] = "1"

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    children: list[_Child] = []
    exit_code = 0
    try:
        server_argv = [str(server_binary()), "--config", str(CONFIG_PATH)]
        if sip:  # Redis first: the server needs it for SIP (agent/telephony/dev_sip.py)
            server_argv = await start_sip_side(settings, ports, env, _spawn, children)
        server = await _spawn("server", server_argv, env)
        children.append(server)
        await _wait_for_server(ports.signal, server)
        worker = await _spawn("worker", [sys.executable, "-m", "agent.cli", "worker", "dev"], env)
        children.append(worker)
        _say(f"LiveKit server on {ports.url}; worker registering as '{settings.agent_name}'")
        for line in await start_web(settings, env, _spawn, children):
            _say(line)
        if sip:
            _say(await finish_sip_side(settings, ports, env, _spawn, children))
        _say("talk to the agent from another terminal:  .venv/bin/voice-agent call --say 'hello'")
        _say(
            f"spans go to {settings.traces_file}; review them with: .venv/bin/voice-agent traces review {settings.traces_file}"
        )
        _say("press Ctrl-C to stop everything")

        exits = [asyncio.create_task(child.process.wait()) for child in children]
        stopper = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait([*exits, stopper], return_when=asyncio.FIRST_COMPLETED)
        if stopper not in done:
            crashed = next(c for c, t in zip(children, exits, strict=True) if t in done)
            _say(f"{crashed.name} exited with code {crashed.process.returncode}; stopping the rest")
            exit_code = 1
        for task in [*exits, stopper]:
            task.cancel()
    finally:
        _say("stopping")
        for child in reversed(children):
            await _stop(child)
    return exit_code


def run_dev(settings: Settings, *, run_setup: bool, sip: bool = False) -> int:
    if run_setup:
        try:
            server_binary()
        except ServerSetupError:
            _say("first run: building the local stack with `make setup`")
            if subprocess.call(["make", "-C", str(REPO_ROOT), "setup"]) != 0:
                return 1
    try:
        if sip and subprocess.call(["bash", str(SIP_SETUP_SCRIPT)]) != 0:
            return 1
        return asyncio.run(_run_tree(settings, sip=sip))
    except ServerSetupError as exc:
        print(f"voice-agent: {exc}", file=sys.stderr)
        return 1
