"""Abuse guards for the token service: a per-IP rate limit, the origin allow-list, the client's address."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from urllib.parse import urlparse

from aiohttp import web

MAX_TRACKED_CLIENTS = 10_000
"""Buckets kept at most; the least recently seen go first, so a flood of addresses cannot grow memory."""


class RateLimiter:
    """A token bucket per client: `per_minute` requests a minute, in bursts of up to that many."""

    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._capacity = float(per_minute)
        self._refill_per_s = per_minute / 60.0
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def allow(self, client: str) -> bool:
        now = self._clock()
        tokens, seen = self._buckets.pop(client, (self._capacity, now))
        tokens = min(self._capacity, tokens + (now - seen) * self._refill_per_s)
        allowed = tokens >= 1.0
        self._buckets[client] = (tokens - 1.0 if allowed else tokens, now)
        while len(self._buckets) > MAX_TRACKED_CLIENTS:
            self._buckets.popitem(last=False)
        return allowed

    def retry_after_s(self, client: str) -> int:
        tokens, _seen = self._buckets.get(client, (self._capacity, 0.0))
        return max(1, int((1.0 - tokens) / self._refill_per_s + 0.999))


def parse_origins(setting: str) -> frozenset[str]:
    return frozenset(o.strip().rstrip("/").lower() for o in setting.split(",") if o.strip())


def own_origin(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}".lower()


def origin_allowed(request: web.Request, allowed: frozenset[str]) -> bool:
    """Same-origin pages and the allow-list may ask; a request with no Origin is not from a page.

    Browsers always send Origin on a cross-origin fetch and on a same-origin POST, so a page elsewhere
    cannot leave it out; scripts without a browser are held by the rate limit instead."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    origin = origin.rstrip("/").lower()
    if "*" in allowed or origin in allowed or origin == own_origin(request):
        return True
    parsed = urlparse(origin)
    # behind a TLS-terminating proxy the page is https:// while we see http://: the host decides
    return parsed.scheme in {"http", "https"} and parsed.netloc == request.host.lower()


def client_ip(request: web.Request, *, trust_forwarded_for: bool) -> str:
    if trust_forwarded_for:
        forwarded = request.headers.get("X-Forwarded-For", "")
        # the proxy appends the address it saw: the last entry is the one nobody upstream could forge
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-1]
    return request.remote or "unknown"
