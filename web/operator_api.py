"""The operator console's server side: sign-in with the shared secret, and the callback queue."""

from __future__ import annotations

import asyncio
import hmac
from typing import Any

from aiohttp import web

from agent.livekit_api import operator_lobby_token
from web.callback_queue import list_callbacks, recording_path
from web.state import STATE, json_body
from web.token_request import Refused

TIERS = ("first", "supervisor")


def _check_secret(request: web.Request, offered: object) -> None:
    settings = request.app[STATE].settings
    secret = settings.operator_console_secret
    if secret is None:
        raise Refused(403, "console_disabled", "the operator console is off: set OPERATOR_CONSOLE_SECRET")
    if not isinstance(offered, str) or not hmac.compare_digest(
        offered.encode(), secret.get_secret_value().encode()
    ):
        raise Refused(401, "bad_secret", "wrong operator secret")


def _bearer(request: web.Request) -> str:
    header = request.headers.get("Authorization", "")
    return header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""


def _identity(value: Any) -> str:
    from agent.escalation.roster import parse_roster

    if not isinstance(value, str) or not value or ":" in value or "," in value:
        raise Refused(400, "invalid_field", "identity: 1-64 letters, digits or _.@-")
    try:
        parse_roster(value)
    except ValueError:
        raise Refused(400, "invalid_field", "identity: 1-64 letters, digits or _.@-") from None
    return value


async def sign_in(request: web.Request) -> web.Response:
    """A lobby token for one person on duty (docs/operator-protocol.md, "Sign-in and availability")."""
    state = request.app[STATE]
    state.admit(request)  # the secret is guessable only as fast as the rate limit allows
    body = await json_body(request)
    if not isinstance(body, dict):
        raise Refused(400, "invalid_body", "the body must be a JSON object")
    _check_secret(request, body.get("secret"))
    identity = _identity(body.get("identity"))
    tier = body.get("tier", "first")
    if tier not in TIERS:
        raise Refused(400, "invalid_field", "tier: first or supervisor")
    name = body.get("name") or identity
    if not isinstance(name, str) or len(name) > 64:
        raise Refused(400, "invalid_field", "name: at most 64 characters")
    settings = state.settings
    token = operator_lobby_token(settings, identity, name=name, tier=tier)
    return web.json_response(
        {
            "server_url": settings.browser_livekit_url,
            "participant_token": token,
            "identity": identity,
            "tier": tier,
            "lobby_room": settings.operator_lobby_room,
        },
        status=201,
        headers={"Cache-Control": "no-store"},
    )


async def callbacks(request: web.Request) -> web.Response:
    _check_secret(request, _bearer(request))
    rows = await asyncio.to_thread(list_callbacks, request.app[STATE].settings)
    return web.json_response({"callbacks": rows}, headers={"Cache-Control": "no-store"})


async def callback_audio(request: web.Request) -> web.StreamResponse:
    _check_secret(request, _bearer(request))
    path = await asyncio.to_thread(
        recording_path, request.app[STATE].settings, request.match_info["callback_id"]
    )
    if path is None:
        raise Refused(404, "not_found", "no recording for that callback")
    return web.FileResponse(path, headers={"Content-Type": "audio/wav", "Cache-Control": "no-store"})
