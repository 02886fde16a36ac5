"""The stand-ins only ever listen on loopback: the one check of a host name."""

from __future__ import annotations

import ipaddress


class NotLoopback(ValueError):
    """A host that is not a loopback address; the message is one line."""


def check_loopback(host: str) -> str:
    if host == "localhost":
        return host
    try:
        if ipaddress.ip_address(host).is_loopback:
            return host
    except ValueError:
        pass
    raise NotLoopback(f"--host must be a loopback address such as 127.0.0.1 (got {host!r})")
