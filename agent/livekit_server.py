"""Finds, configures and starts the local livekit-server built by `make setup`."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
SERVER_VERSION = "1.9.12"
CONFIG_PATH = REPO_ROOT / "livekit.yaml"


class ServerSetupError(RuntimeError):
    """The server binary is missing or the server could not start; one line."""


def server_binary() -> Path:
    path = Path(os.environ.get("LIVEKIT_SERVER_BIN", REPO_ROOT / ".bin" / "livekit-server"))
    if not path.is_file() or not os.access(path, os.X_OK):
        raise ServerSetupError(f"livekit-server not found at {path}; run `make setup` first")
    return path


@dataclass(frozen=True)
class ServerPorts:
    signal: int
    rtc_tcp: int
    udp_start: int
    udp_end: int

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.signal}"


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_tcp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_ports(udp_span: int = 20) -> ServerPorts:
    """Free loopback ports for a test server; the UDP range comes from a random high block."""
    import random

    udp_start = random.randrange(20000, 45000, udp_span)
    return ServerPorts(free_tcp_port(), free_tcp_port(), udp_start, udp_start + udp_span - 1)


def config_for(ports: ServerPorts | None = None, *, redis_address: str | None = None) -> str:
    """livekit.yaml, with its ports replaced when `ports` is given, and Redis when SIP needs it."""
    config = yaml.safe_load(CONFIG_PATH.read_text())
    if redis_address is not None:
        config["redis"] = {"address": redis_address}  # livekit-sip reaches the server over Redis
    if ports is not None:
        config["port"] = ports.signal
        config["rtc"]["tcp_port"] = ports.rtc_tcp
        config["rtc"]["port_range_start"] = ports.udp_start
        config["rtc"]["port_range_end"] = ports.udp_end
    return yaml.safe_dump(config)


def default_ports() -> ServerPorts:
    config = yaml.safe_load(CONFIG_PATH.read_text())
    rtc = config["rtc"]
    return ServerPorts(config["port"], rtc["tcp_port"], rtc["port_range_start"], rtc["port_range_end"])


def start_server(
    ports: ServerPorts, *, output: IO[bytes] | int | None = None, redis_address: str | None = None
) -> subprocess.Popen[bytes]:
    binary = server_binary()
    if not port_is_free(ports.signal):
        raise ServerSetupError(f"port {ports.signal} is already in use; is another LiveKit server running?")
    return subprocess.Popen(
        [str(binary), "--config-body", config_for(ports, redis_address=redis_address)],
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_until_ready(ports: ServerPorts, process: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerSetupError(f"livekit-server exited with code {process.returncode} during start")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{ports.signal}/", timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    raise ServerSetupError(f"livekit-server did not answer on port {ports.signal} within {timeout:.0f}s")
