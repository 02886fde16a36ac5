"""JSON error responses: every refusal is one status, one stable code and one readable line."""

from __future__ import annotations

from aiohttp import web

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


def json_error(
    status: int, message: str, code: str = "", headers: dict[str, str] | None = None
) -> web.Response:
    return web.json_response(
        {"error": code or _CODES.get(status, "error"), "message": message}, status=status, headers=headers
    )
