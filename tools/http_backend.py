"""A CRM or scheduler over HTTP: the same Backend interface, spoken as REST (tools/HTTP_BACKEND.md).

Every side-effecting request carries an `Idempotency-Key` header; the server stores the
first result per key and replays it, so a retry here never books twice there.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Any, TypeVar

import aiohttp

from tools.backend import BackendError, IdempotencyConflict, Stored, TransientBackendError
from tools.domain import Appointment, Callback, Customer, History, Job, Slot, Ticket

T = TypeVar("T")
REPLAYED_HEADER = "Idempotent-Replayed"


def to_wire(value: Any) -> Any:
    """Domain objects as JSON-ready dicts (datetimes in ISO 8601)."""
    if isinstance(value, list):
        return [to_wire(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {k: to_wire(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return {k: to_wire(v) for k, v in value.items()}
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _parse(cls: type[T], data: dict[str, Any]) -> T:
    fields = {}
    for name, field in cls.__dataclass_fields__.items():  # type: ignore[attr-defined]
        value = data.get(name)
        if field.type in {"dt.datetime", "datetime"} and isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        fields[name] = value
    return cls(**fields)


class HTTPBackend:
    name = "http"

    def __init__(self, base_url: str, *, api_key: str = "", timeout_s: float = 2.5) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError("CRM_BASE_URL must start with http:// or https://")
        self._base = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    async def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(headers=self._headers, timeout=self._timeout)
        return self._session

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: Any = None,
        key: str | None = None,
    ) -> tuple[int, Any, bool]:
        headers = {"Idempotency-Key": key} if key else {}
        session = await self._http()
        try:
            async with session.request(
                method, self._base + path, params=params, json=body, headers=headers
            ) as response:
                payload = await response.json(content_type=None) if response.content_length != 0 else None
                replayed = response.headers.get(REPLAYED_HEADER, "").lower() == "true"
                status = response.status
        except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
            raise TransientBackendError(f"the business system did not answer ({type(exc).__name__})") from exc
        if status >= 500:
            raise TransientBackendError(f"the business system failed ({status})")
        if status == 409:
            raise IdempotencyConflict("that request id was already used for a different request")
        if status in (400, 422):
            raise BackendError((payload or {}).get("error", "the business system refused that request"))
        if status in (401, 403):
            raise BackendError("the business system refused our credentials")
        return status, payload, replayed

    # --- reads -----------------------------------------------------------------

    async def find_customer_by_phone(self, phone: str) -> Customer | None:
        _, payload, _ = await self._request("GET", "/customers", params={"phone": phone})
        return _parse(Customer, payload[0]) if payload else None

    async def find_customers(self, last_name: str, zip_code: str) -> list[Customer]:
        _, payload, _ = await self._request(
            "GET", "/customers", params={"last_name": last_name, "zip_code": zip_code}
        )
        return [_parse(Customer, c) for c in payload or []]

    async def history(self, customer_id: str) -> History:
        _, payload, _ = await self._request("GET", f"/customers/{customer_id}/history")
        return History(
            appointments=[_parse(Appointment, a) for a in payload.get("appointments", [])],
            jobs=[_parse(Job, j) for j in payload.get("jobs", [])],
            tickets=[_parse(Ticket, t) for t in payload.get("tickets", [])],
        )

    async def serves_zip(self, zip_code: str) -> bool:
        status, _, _ = await self._request("GET", f"/service-areas/{zip_code}")
        return status == 200

    async def open_slots(
        self, service_type: str, first_day: dt.date, last_day: dt.date, zip_code: str, time_of_day: str
    ) -> list[Slot]:
        params = {
            "service_type": service_type, "from": first_day.isoformat(), "to": last_day.isoformat(),
            "zip_code": zip_code, "time_of_day": time_of_day,
        }  # fmt: skip
        _, payload, _ = await self._request("GET", "/slots", params=params)
        return [_parse(Slot, s) for s in payload or []]

    async def job_status(self, reference: str) -> Job | Appointment | None:
        status, payload, _ = await self._request("GET", f"/status/{reference}")
        if status == 404 or not payload:
            return None
        return (
            _parse(Job, payload["job"]) if "job" in payload else _parse(Appointment, payload["appointment"])
        )

    # --- side effects ------------------------------------------------------------

    async def _write(self, cls: type[T], path: str, body: dict[str, Any], key: str) -> Stored[T]:
        _, payload, replayed = await self._request("POST", path, body=to_wire(body), key=key)
        return Stored(_parse(cls, payload), replayed=replayed)

    async def book(
        self, *, key: str, customer_id: str, slot_id: str, service_type: str, problem: str
    ) -> Stored[Appointment]:
        body = {
            "customer_id": customer_id,
            "slot_id": slot_id,
            "service_type": service_type,
            "problem": problem,
        }
        return await self._write(Appointment, "/appointments", body, key)

    async def reschedule(
        self, *, key: str, customer_id: str, appointment_id: str, new_slot_id: str
    ) -> Stored[Appointment]:
        body = {"customer_id": customer_id, "new_slot_id": new_slot_id}
        return await self._write(Appointment, f"/appointments/{appointment_id}/reschedule", body, key)

    async def cancel(self, *, key: str, customer_id: str, appointment_id: str) -> Stored[Appointment]:
        return await self._write(
            Appointment, f"/appointments/{appointment_id}/cancel", {"customer_id": customer_id}, key
        )

    async def create_ticket(
        self, *, key: str, customer_id: str | None, summary: str, urgency: str
    ) -> Stored[Ticket]:
        return await self._write(
            Ticket, "/tickets", {"customer_id": customer_id, "summary": summary, "urgency": urgency}, key
        )

    async def schedule_callback(
        self,
        *,
        key: str,
        phone: str,
        window_start: dt.datetime,
        window_end: dt.datetime,
        reason: str,
        context: str,
        message: str = "",
        message_audio: str = "",
    ) -> Stored[Callback]:
        body = {
            "phone": phone,
            "window_start": window_start,
            "window_end": window_end,
            "reason": reason,
            "context": context,
            "message": message,
            "message_audio": message_audio,
        }
        return await self._write(Callback, "/callbacks", body, key)
