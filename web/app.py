"""The token service as an aiohttp application: the token endpoint, the console's API, health, pages."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
from aiohttp import web

from agent.config import Settings
from agent.livekit_api import http_url
from web import operator_api, token_endpoint
from web.responses import json_error
from web.state import MAX_BODY_BYTES, STATE, RateLimited, WebState, cors_headers
from web.token_request import Refused

logger = logging.getLogger("voice_agent.web")

STATIC_DIR = Path(__file__).resolve().parent / "static"
WIDGET_BUNDLE = STATIC_DIR / "dist" / "voice-agent-widget.js"
CONSOLE_BUNDLE = STATIC_DIR / "dist" / "operator-console.js"
_PAGE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "microphone=(self), camera=()",
    "Cache-Control": "no-cache",
}

PAGE_CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",  # the widget's styles live in a <style> in its shadow root
        "connect-src 'self' ws: wss: http: https:",  # the LiveKit server, wherever WEB_LIVEKIT_URL points
        "media-src 'self' blob: mediastream:",
        "img-src 'self' data:",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ]
)
"""Our own pages only; a site embedding the widget keeps its own policy (it must allow our script and
the LiveKit server in connect-src)."""

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def _json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Bad input of any kind is a 4xx with a JSON error; only our own bugs are a 500, and never a traceback."""
    try:
        response = await handler(request)
    except RateLimited as exc:
        return json_error(429, exc.message, exc.code, {"Retry-After": str(exc.retry_after_s)})
    except Refused as exc:
        return json_error(
            exc.status, exc.message, exc.code, cors_headers(request) if exc.status < 500 else None
        )
    except web.HTTPRequestEntityTooLarge:
        return json_error(413, f"the body is over {MAX_BODY_BYTES} bytes", "body_too_large")
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return json_error(
            exc.status,
            exc.reason,
            headers={"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None,
        )
    except Exception:
        logger.exception("token service error", extra={"path": request.path})
        return json_error(500, "internal error")
    for name, value in _PAGE_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


async def _health(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _ready(request: web.Request) -> web.Response:
    """Ready when the LiveKit server answers and the pages' scripts are built."""
    settings = request.app[STATE].settings
    problems = [
        f"{path.name} is not built (make setup)"
        for path in (WIDGET_BUNDLE, CONSOLE_BUNDLE)
        if not path.exists()
    ]
    try:
        timeout = aiohttp.ClientTimeout(total=2)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(http_url(settings.livekit_url)) as reply,
        ):
            if reply.status >= 500:
                problems.append(f"the LiveKit server answered {reply.status}")
    except (aiohttp.ClientError, TimeoutError, OSError):
        problems.append("the LiveKit server is unreachable")
    return web.json_response({"ready": not problems, "problems": problems}, status=503 if problems else 200)


def _page(name: str) -> Handler:
    async def _serve(_request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC_DIR / name, headers={"Content-Security-Policy": PAGE_CSP})

    return _serve


def create_app(settings: Settings) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[_json_errors])
    app[STATE] = WebState(settings)
    app.router.add_post("/api/token", token_endpoint.issue_token)
    app.router.add_route("OPTIONS", "/api/token", token_endpoint.preflight)
    app.router.add_post("/api/operator/session", operator_api.sign_in)
    app.router.add_get("/api/operator/callbacks", operator_api.callbacks)
    app.router.add_get("/api/operator/callbacks/{callback_id}/audio", operator_api.callback_audio)
    app.router.add_get("/healthz", _health)
    app.router.add_get("/readyz", _ready)
    app.router.add_get("/", _page("index.html"))
    app.router.add_get("/console", _page("console.html"))
    app.router.add_static("/static/", STATIC_DIR, show_index=False, follow_symlinks=False)
    return app
