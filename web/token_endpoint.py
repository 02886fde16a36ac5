"""POST /api/token: LiveKit's standard token endpoint, for browser callers of our one agent."""

from __future__ import annotations

import datetime as dt
import secrets

from aiohttp import web

from agent.livekit_api import new_web_call_room, web_caller_token
from web.state import STATE, cors_headers, json_body
from web.token_request import parse_caller_request


async def issue_token(request: web.Request) -> web.Response:
    state = request.app[STATE]
    settings = state.settings
    state.admit(request)
    wanted = parse_caller_request(await json_body(request), agent_name=settings.agent_name)
    room_name = new_web_call_room()
    token = web_caller_token(
        settings,
        room_name,
        f"web-caller-{secrets.token_hex(4)}",
        name=wanted.participant_name,
        ttl=dt.timedelta(seconds=settings.web_token_ttl_s),
    )
    return web.json_response(
        {
            "server_url": settings.browser_livekit_url,
            "participant_token": token,
            "room_name": room_name,
            "participant_name": wanted.participant_name,
        },
        status=201,
        headers={**cors_headers(request), "Cache-Control": "no-store"},
    )


async def preflight(request: web.Request) -> web.Response:
    """CORS preflight of a page on an allowed origin (a JSON POST from elsewhere always asks first)."""
    state = request.app[STATE]
    state.admit(request)
    return web.Response(
        status=204,
        headers={
            **cors_headers(request),
            "Access-Control-Allow-Methods": "POST",
            "Access-Control-Allow-Headers": "Content-Type",
            "Access-Control-Max-Age": "600",
        },
    )
