"""The business backend interface every store implements (SQLite here, a CRM over HTTP)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from tools.domain import Appointment, Callback, Customer, History, Job, Slot, Ticket

T = TypeVar("T")


class BackendError(Exception):
    """The backend refused the request for a reason the caller can act on (one line)."""


class TransientBackendError(BackendError):
    """A failure worth retrying: a timeout, a dropped connection, a 5xx, a locked database."""


class IdempotencyConflict(BackendError):
    """The same idempotency key arrived with different arguments."""


@dataclass(frozen=True)
class Stored(Generic[T]):
    """A side effect's result, and whether it was replayed from an earlier identical request."""

    value: T
    replayed: bool = False


class Backend(Protocol):
    name: str

    async def find_customer_by_phone(self, phone: str) -> Customer | None: ...
    async def find_customers(self, last_name: str, zip_code: str) -> list[Customer]: ...
    async def history(self, customer_id: str) -> History: ...
    async def open_slots(
        self, service_type: str, first_day: dt.date, last_day: dt.date, zip_code: str, time_of_day: str
    ) -> list[Slot]: ...
    async def serves_zip(self, zip_code: str) -> bool: ...
    async def job_status(self, reference: str) -> Job | Appointment | None: ...

    # Side effects: each carries an idempotency key; a replay returns the first result.
    async def book(
        self, *, key: str, customer_id: str, slot_id: str, service_type: str, problem: str
    ) -> Stored[Appointment]: ...
    async def reschedule(
        self, *, key: str, customer_id: str, appointment_id: str, new_slot_id: str
    ) -> Stored[Appointment]: ...
    async def cancel(self, *, key: str, customer_id: str, appointment_id: str) -> Stored[Appointment]: ...
    async def create_ticket(
        self, *, key: str, customer_id: str | None, summary: str, urgency: str
    ) -> Stored[Ticket]: ...
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
    ) -> Stored[Callback]: ...
