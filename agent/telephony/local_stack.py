"""Redis and livekit-sip beside the local LiveKit server: binaries, configs, readiness."""

from __future__ import annotations

import os
import random
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import yaml

from agent.livekit_server import REPO_ROOT, ServerSetupError

SIP_VERSION = "v1.8.0"
SIP_SETUP_SCRIPT = REPO_ROOT / "scripts" / "setup-sip.sh"


def sip_binary() -> Path:
    path = Path(os.environ.get("LIVEKIT_SIP_BIN", REPO_ROOT / ".bin" / "livekit-sip"))
    if not path.is_file() or not os.access(path, os.X_OK):
        raise ServerSetupError(
            f"livekit-sip not found at {path}; run `bash {SIP_SETUP_SCRIPT.relative_to(REPO_ROOT)}`"
        )
    return path


def redis_binary() -> str:
    for candidate in ("/usr/bin/redis-server", "/usr/local/bin/redis-server"):
        if os.access(candidate, os.X_OK):
            return candidate
    raise ServerSetupError("redis-server not found; run `bash scripts/setup-sip.sh`")


@dataclass(frozen=True)
class SipPorts:
    """Where the SIP side of a local stack listens, all on 127.0.0.1."""

    redis: int
    sip: int
    """UDP and TCP signalling."""
    rtp_start: int
    rtp_end: int
    health: int

    @property
    def redis_address(self) -> str:
        return f"127.0.0.1:{self.redis}"

    @property
    def sip_uri_host(self) -> str:
        return f"127.0.0.1:{self.sip}"


def _udp_and_tcp_free(port: int) -> bool:
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        with socket.socket(socket.AF_INET, kind) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


def _free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_sip_ports(rtp_span: int = 40) -> SipPorts:
    """Free loopback ports; the RTP range comes from a block the server's own ranges do not use."""
    sip = next(p for p in iter(lambda: _free_port(socket.SOCK_DGRAM), None) if _udp_and_tcp_free(p))
    rtp_start = random.randrange(46000, 49000, rtp_span)
    return SipPorts(_free_port(), sip, rtp_start, rtp_start + rtp_span - 1, _free_port())


def default_sip_ports(sip_port: int) -> SipPorts:
    """The dev stack's fixed ports: SIP on `sip_port`, the rest beside the server's ranges."""
    return SipPorts(redis=6390, sip=sip_port, rtp_start=50100, rtp_end=50199, health=8082)


def redis_argv(ports: SipPorts, data_dir: Path) -> list[str]:
    """redis-server with its own config and data directory, loopback only, nothing persisted."""
    data_dir.mkdir(parents=True, exist_ok=True)
    config = data_dir / "redis.conf"
    config.write_text(
        "\n".join(
            [
                "bind 127.0.0.1",
                f"port {ports.redis}",
                "protected-mode yes",
                f"dir {data_dir}",
                'save ""',  # rooms and SIP state are live state: nothing to keep across restarts
                "appendonly no",
                "daemonize no",
                "loglevel warning",
                "",
            ]
        )
    )
    return [redis_binary(), str(config)]


def sip_config(
    ports: SipPorts, *, ws_url: str, api_key: str, api_secret: str, log_level: str = "info"
) -> str:
    """livekit-sip's YAML: signalling and media on loopback, Redis shared with the server."""
    config = {
        "api_key": api_key,
        "api_secret": api_secret,
        "ws_url": ws_url,
        "redis": {"address": ports.redis_address},
        "sip_port": ports.sip,
        "listen_ip": "127.0.0.1",
        # without it livekit-sip announces the first non-loopback interface in SDP and Contact
        "nat_1_to_1_ip": "127.0.0.1",
        "rtp_port": f"{ports.rtp_start}-{ports.rtp_end}",
        "health_port": ports.health,
        # a busy dev machine or CI box is not a reason to turn calls away (the default is 0.9)
        "max_cpu_utilization": 1.0,
        "logging": {"level": log_level, "json": False},
    }
    return yaml.safe_dump(config)


def sip_argv(config_body: str) -> list[str]:
    return [str(sip_binary()), "--config-body", config_body]


def wait_for_redis(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise ServerSetupError(f"redis-server did not answer on port {port} within {timeout:.0f}s")


def sip_is_ready(health_port: int) -> bool:
    """livekit-sip is up once its health endpoint answers: 200, or 429 while the host is busy."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{health_port}/", timeout=1) as response:
            return bool(response.status == 200)
    except urllib.error.HTTPError as exc:
        return exc.code == 429
    except (urllib.error.URLError, OSError):
        return False


def wait_for_sip(health_port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sip_is_ready(health_port):
            return
        time.sleep(0.1)
    raise ServerSetupError(f"livekit-sip did not report healthy on port {health_port} within {timeout:.0f}s")
