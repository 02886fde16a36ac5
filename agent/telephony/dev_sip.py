"""`voice-agent dev --sip`: Redis, livekit-sip and the provisioned trunk beside the dev stack."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from agent.config import Settings
from agent.livekit_server import ServerPorts, config_for, server_binary
from agent.telephony.local_stack import (
    SIP_SETUP_SCRIPT,
    default_sip_ports,
    redis_argv,
    sip_argv,
    sip_config,
    wait_for_redis,
    wait_for_sip,
)
from agent.telephony.setup_command import provision

__all__ = ["SIP_SETUP_SCRIPT", "finish_sip_side", "start_sip_side"]

Spawn = Callable[[str, list[str], dict[str, str]], Awaitable[Any]]


async def start_sip_side(
    settings: Settings, ports: ServerPorts, env: dict[str, str], spawn: Spawn, children: list[Any]
) -> list[str]:
    """Start Redis; the server's command line, which now points at it."""
    sip_ports = default_sip_ports(settings.sip_port)
    children.append(await spawn("redis", redis_argv(sip_ports, settings.data_dir / "redis"), env))
    await asyncio.to_thread(wait_for_redis, sip_ports.redis)
    return [str(server_binary()), "--config-body", config_for(ports, redis_address=sip_ports.redis_address)]


async def finish_sip_side(
    settings: Settings, ports: ServerPorts, env: dict[str, str], spawn: Spawn, children: list[Any]
) -> str:
    """Start livekit-sip, provision the trunk and rule on the dev server; the line to print."""
    sip_ports = default_sip_ports(settings.sip_port)
    config = sip_config(
        sip_ports, ws_url=ports.url, api_key=env["LIVEKIT_API_KEY"], api_secret=env["LIVEKIT_API_SECRET"]
    )
    children.append(await spawn("sip", sip_argv(config), env))
    await asyncio.to_thread(wait_for_sip, sip_ports.health)
    local = settings.model_copy(
        update={
            "livekit_url": ports.url,
            "livekit_api_key": env["LIVEKIT_API_KEY"],
            "livekit_api_secret": type(settings.livekit_api_secret)(env["LIVEKIT_API_SECRET"]),
        }
    )
    await provision(local, dry_run=False)
    number = settings.sip_numbers.split(",")[0].strip() or "+15550100"
    return (
        f"livekit-sip on udp/tcp {sip_ports.sip_uri_host}; dial sip:{number}@{sip_ports.sip_uri_host} "
        f"from {settings.sip_allowed_addresses}, e.g. sipp -sn uac -s {number.lstrip('+')} {sip_ports.sip_uri_host}"
    )
