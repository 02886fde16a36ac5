"""A reference CRM server for HTTP-backend tests: the documented REST API over the SQLite store,
with switchable faults (slow answers, 5xx, dropped connections). A test double, on loopback only."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tools.backend import BackendError, IdempotencyConflict
from tools.http_backend import REPLAYED_HEADER, to_wire
from tools.sqlite_store import SQLiteBackend


@dataclass
class Faults:
    delay_s: float = 0.0
    fail_with_500: int = 0
    """Answer this many requests with a 500 before behaving."""
    drop_connections: int = 0
    seen_keys: list[str] = field(default_factory=list)
    released: asyncio.Event = field(default_factory=asyncio.Event)
    """Set at teardown: slow answers stop waiting, so the server shuts down at once instead of
    waiting out `delay_s` for every hung request."""


def build_app(store: SQLiteBackend, faults: Faults) -> web.Application:
    @web.middleware
    async def inject(request: web.Request, handler: Any) -> web.StreamResponse:
        if faults.delay_s and not faults.released.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(faults.released.wait(), faults.delay_s)
        if faults.fail_with_500 > 0:
            faults.fail_with_500 -= 1
            return web.json_response({"error": "boom"}, status=500)
        if faults.drop_connections > 0:
            faults.drop_connections -= 1
            assert request.transport is not None
            request.transport.close()
            raise asyncio.CancelledError
        return await handler(request)

    async def customers(request: web.Request) -> web.Response:
        if phone := request.query.get("phone"):
            found = await store.find_customer_by_phone(phone)
            return web.json_response(to_wire([found] if found else []))
        return web.json_response(
            to_wire(await store.find_customers(request.query["last_name"], request.query["zip_code"]))
        )

    async def history(request: web.Request) -> web.Response:
        return web.json_response(to_wire(await store.history(request.match_info["customer_id"])))

    async def area(request: web.Request) -> web.Response:
        served = await store.serves_zip(request.match_info["zip"])
        return web.json_response({"zip_code": request.match_info["zip"]}, status=200 if served else 404)

    async def slots(request: web.Request) -> web.Response:
        q = request.query
        found = await store.open_slots(
            q["service_type"],
            dt.date.fromisoformat(q["from"]),
            dt.date.fromisoformat(q["to"]),
            q["zip_code"],
            q["time_of_day"],
        )
        return web.json_response(to_wire(found))

    async def status(request: web.Request) -> web.Response:
        found = await store.job_status(request.match_info["reference"])
        if found is None:
            return web.json_response({"error": "not found"}, status=404)
        kind = "job" if hasattr(found, "job_id") else "appointment"
        return web.json_response({kind: to_wire(found)})

    async def write(request: web.Request, operation: Any) -> web.Response:
        key = request.headers.get("Idempotency-Key")
        if not key:
            return web.json_response({"error": "Idempotency-Key header is required"}, status=400)
        faults.seen_keys.append(key)
        body = await request.json()
        try:
            stored = await operation(key, body)
        except IdempotencyConflict as exc:
            return web.json_response({"error": str(exc)}, status=409)
        except BackendError as exc:
            return web.json_response({"error": str(exc)}, status=422)
        headers = {REPLAYED_HEADER: "true"} if stored.replayed else {}
        return web.json_response(
            to_wire(stored.value), status=200 if stored.replayed else 201, headers=headers
        )

    async def book(request: web.Request) -> web.Response:
        return await write(request, lambda key, b: store.book(key=key, **b))

    async def reschedule(request: web.Request) -> web.Response:
        appointment_id = request.match_info["appointment_id"]
        return await write(
            request, lambda key, b: store.reschedule(key=key, appointment_id=appointment_id, **b)
        )

    async def cancel(request: web.Request) -> web.Response:
        appointment_id = request.match_info["appointment_id"]
        return await write(request, lambda key, b: store.cancel(key=key, appointment_id=appointment_id, **b))

    async def ticket(request: web.Request) -> web.Response:
        return await write(request, lambda key, b: store.create_ticket(key=key, **b))

    async def callback(request: web.Request) -> web.Response:
        def _op(key: str, b: dict[str, Any]) -> Any:
            return store.schedule_callback(
                key=key, phone=b["phone"], window_start=dt.datetime.fromisoformat(b["window_start"]),
                window_end=dt.datetime.fromisoformat(b["window_end"]), reason=b["reason"], context=b["context"],
                message=b.get("message", ""), message_audio=b.get("message_audio", ""),
            )  # fmt: skip

        return await write(request, _op)

    app = web.Application(middlewares=[inject])
    app.router.add_get("/customers", customers)
    app.router.add_get("/customers/{customer_id}/history", history)
    app.router.add_get("/service-areas/{zip}", area)
    app.router.add_get("/slots", slots)
    app.router.add_get("/status/{reference}", status)
    app.router.add_post("/appointments", book)
    app.router.add_post("/appointments/{appointment_id}/reschedule", reschedule)
    app.router.add_post("/appointments/{appointment_id}/cancel", cancel)
    app.router.add_post("/tickets", ticket)
    app.router.add_post("/callbacks", callback)
    return app


async def start(store: SQLiteBackend, faults: Faults) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(build_app(store, faults))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"
