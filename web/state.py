"""What the token service's handlers share: settings, the allowed origins and the rate limiter."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from aiohttp import web

from agent.config import Settings
from web.guards import RateLimiter, client_ip, origin_allowed, parse_origins
from web.token_request import Refused


@dataclass
class WebState:
    settings: Settings
    limiter: RateLimiter = field(init=False)
    origins: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        self.limiter = RateLimiter(self.settings.web_rate_limit_per_minute)
        self.origins = parse_origins(self.settings.web_allowed_origins)

    def admit(self, request: web.Request) -> None:
        """Origin first, then the client's budget; raises Refused for either."""
        if not origin_allowed(request, self.origins):
            raise Refused(403, "origin_not_allowed", "this page's origin may not ask for tokens")
        client = client_ip(request, trust_forwarded_for=self.settings.web_trust_forwarded_for)
        if not self.limiter.allow(client):
            raise RateLimited(self.limiter.retry_after_s(client))


class RateLimited(Refused):
    def __init__(self, retry_after_s: int) -> None:
        super().__init__(429, "rate_limited", f"too many requests; try again in {retry_after_s} s")
        self.retry_after_s = retry_after_s


STATE = web.AppKey("state", WebState)
MAX_BODY_BYTES = 8 * 1024
"""A token request is a few hundred bytes; anything much bigger is not one."""


async def json_body(request: web.Request) -> object:
    """The request's JSON, {} when empty; Refused for anything else."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise Refused(413, "body_too_large", f"the body is over {MAX_BODY_BYTES} bytes")
    raw = await request.read()  # aiohttp stops reading past client_max_size (413)
    if not raw.strip():
        return {}
    if request.content_type not in ("application/json", "text/plain", "application/octet-stream"):
        raise Refused(415, "unsupported_media_type", "send the body as application/json")
    try:
        return json.loads(raw)
    except (
        ValueError,
        UnicodeDecodeError,
        RecursionError,
    ):  # nesting deep enough to exhaust the parser's stack
        raise Refused(400, "invalid_json", "the body is not valid JSON") from None


def cors_headers(request: web.Request) -> dict[str, str]:
    """Lets an allowed page on another origin read the answer (admit() has vetted the origin)."""
    origin = request.headers.get("Origin")
    if origin is None:
        return {}
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
