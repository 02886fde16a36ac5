"""The embedded business store: SQLite in WAL mode, versioned migrations, atomic idempotent writes.

Each side effect runs in one `BEGIN IMMEDIATE` transaction that first looks up its
idempotency key, so a replay (the LLM repeating itself, a retry, a worker restarted
mid-call) returns the stored result, and two identical requests racing each other
serialise on the write lock: exactly one performs the write.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import json
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

from tools.backend import BackendError, IdempotencyConflict, Stored, TransientBackendError
from tools.domain import (
    TIMES_OF_DAY,
    Appointment,
    Callback,
    Customer,
    History,
    Job,
    ScheduledCallback,
    Slot,
    Ticket,
)

T = TypeVar("T")
BUSY_TIMEOUT_MS = 10_000

MIGRATIONS: list[str] = [
    # 1: the front-desk schema
    """
    CREATE TABLE customers (
        customer_id TEXT PRIMARY KEY, first_name TEXT NOT NULL, last_name TEXT NOT NULL,
        phone TEXT NOT NULL UNIQUE, zip_code TEXT NOT NULL, address TEXT NOT NULL);
    CREATE INDEX customers_name_zip ON customers (last_name COLLATE NOCASE, zip_code);
    CREATE TABLE service_areas (zip_code TEXT PRIMARY KEY, area TEXT NOT NULL);
    CREATE TABLE technicians (technician_id TEXT PRIMARY KEY, name TEXT NOT NULL, service_type TEXT NOT NULL);
    CREATE TABLE slots (
        slot_id TEXT PRIMARY KEY, service_type TEXT NOT NULL, starts_at TEXT NOT NULL,
        technician_id TEXT NOT NULL REFERENCES technicians, taken INTEGER NOT NULL DEFAULT 0);
    CREATE INDEX slots_open ON slots (service_type, taken, starts_at);
    CREATE TABLE appointments (
        appointment_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL REFERENCES customers,
        slot_id TEXT NOT NULL REFERENCES slots, service_type TEXT NOT NULL, starts_at TEXT NOT NULL,
        problem TEXT NOT NULL, status TEXT NOT NULL);
    CREATE TABLE jobs (
        job_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL REFERENCES customers, service_type TEXT NOT NULL,
        status TEXT NOT NULL, summary TEXT NOT NULL, updated_at TEXT NOT NULL);
    CREATE TABLE tickets (
        ticket_id TEXT PRIMARY KEY, customer_id TEXT, summary TEXT NOT NULL, urgency TEXT NOT NULL,
        status TEXT NOT NULL, created_at TEXT NOT NULL);
    CREATE TABLE callbacks (
        callback_id TEXT PRIMARY KEY, phone TEXT NOT NULL, window_start TEXT NOT NULL,
        window_end TEXT NOT NULL, reason TEXT NOT NULL, context TEXT NOT NULL, created_at TEXT NOT NULL);
    CREATE TABLE idempotency (
        key TEXT PRIMARY KEY, request_hash TEXT NOT NULL, response TEXT NOT NULL, created_at TEXT NOT NULL);
    """,
    # 2: a voicemail's own words travel with its callback (transcript, and the audio file's path)
    """
    ALTER TABLE callbacks ADD COLUMN message TEXT NOT NULL DEFAULT '';
    ALTER TABLE callbacks ADD COLUMN message_audio TEXT NOT NULL DEFAULT '';
    """,
]


def _new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8].upper()}"


def _request_hash(request: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(request, sort_keys=True, default=str).encode()).hexdigest()


def _to_json(value: Any) -> str:
    return json.dumps({"type": type(value).__name__, "fields": asdict(value)}, default=str)


_TYPES = {cls.__name__: cls for cls in (Appointment, Ticket, Callback)}
_DATETIME_FIELDS = {"starts_at", "window_start", "window_end", "updated_at"}


def _from_json(text: str) -> Any:
    data = json.loads(text)
    fields = {
        k: dt.datetime.fromisoformat(v) if k in _DATETIME_FIELDS else v for k, v in data["fields"].items()
    }
    return _TYPES[data["type"]](**fields)


def _appointment(row: sqlite3.Row) -> Appointment:
    return Appointment(
        row["appointment_id"], row["customer_id"], row["slot_id"], row["service_type"],
        dt.datetime.fromisoformat(row["starts_at"]), row["problem"], row["status"],
    )  # fmt: skip


def _customer(row: sqlite3.Row) -> Customer:
    return Customer(
        row["customer_id"], row["first_name"], row["last_name"], row["phone"], row["zip_code"], row["address"]
    )


class SQLiteBackend:
    name = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.closing(self._connect()) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            self._migrate(conn)

    def _connect(self) -> sqlite3.Connection:
        # autocommit mode: transactions are explicit (BEGIN IMMEDIATE) and short
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    @staticmethod
    def _migrate(conn: sqlite3.Connection) -> None:
        # job processes warming up together open the same fresh store: the version is read again
        # under the write lock, so exactly one of them runs each migration
        while conn.execute("PRAGMA user_version").fetchone()[0] < len(MIGRATIONS):
            conn.execute("BEGIN IMMEDIATE")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version >= len(MIGRATIONS):
                conn.execute("COMMIT")
                break
            # executescript would commit first and drop the lock; run each statement in it instead
            for statement in (s.strip() for s in MIGRATIONS[version].split(";")):
                if statement:
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version={version + 1}")
            conn.execute("COMMIT")

    def customer_names(self) -> list[str]:
        """Every first and last name on file, for the log and span redactor (synchronous, read-only)."""
        with contextlib.closing(self._connect()) as conn:
            rows = conn.execute("SELECT first_name, last_name FROM customers").fetchall()
        return sorted({name for row in rows for name in (row["first_name"], row["last_name"]) if name})

    @property
    def schema_version(self) -> int:
        with contextlib.closing(self._connect()) as conn:
            return int(conn.execute("PRAGMA user_version").fetchone()[0])

    async def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        def _in_thread() -> T:
            conn = self._connect()
            try:
                return work(conn)
            except sqlite3.OperationalError as exc:
                if "locked" in str(exc) or "busy" in str(exc):
                    raise TransientBackendError("the store is busy, try again") from exc
                raise
            finally:
                conn.close()

        return await asyncio.to_thread(_in_thread)

    async def _side_effect(
        self, key: str, request: dict[str, Any], perform: Callable[[sqlite3.Connection], T]
    ) -> Stored[T]:
        digest = _request_hash(request)

        def _work(conn: sqlite3.Connection) -> Stored[T]:
            conn.execute("BEGIN IMMEDIATE")
            try:
                row = conn.execute(
                    "SELECT request_hash, response FROM idempotency WHERE key = ?", (key,)
                ).fetchone()
                if row is not None:
                    conn.execute("ROLLBACK")
                    if row["request_hash"] != digest:
                        raise IdempotencyConflict("that request id was already used for a different request")
                    return Stored(_from_json(row["response"]), replayed=True)
                result = perform(conn)
                conn.execute(
                    "INSERT INTO idempotency (key, request_hash, response, created_at) VALUES (?, ?, ?, ?)",
                    (key, digest, _to_json(result), dt.datetime.now().isoformat()),
                )
                conn.execute("COMMIT")
                return Stored(result)
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

        return await self._run(_work)

    # --- reads -----------------------------------------------------------------

    async def find_customer_by_phone(self, phone: str) -> Customer | None:
        row = await self._run(
            lambda c: c.execute("SELECT * FROM customers WHERE phone = ?", (phone,)).fetchone()
        )
        return _customer(row) if row else None

    async def find_customers(self, last_name: str, zip_code: str) -> list[Customer]:
        rows = await self._run(
            lambda c: c.execute(
                "SELECT * FROM customers WHERE last_name = ? COLLATE NOCASE AND zip_code = ?",
                (last_name, zip_code),
            ).fetchall()
        )
        return [_customer(r) for r in rows]

    async def history(self, customer_id: str) -> History:
        def _work(conn: sqlite3.Connection) -> History:
            appointments = conn.execute(
                "SELECT * FROM appointments WHERE customer_id = ? ORDER BY starts_at", (customer_id,)
            ).fetchall()
            jobs = conn.execute(
                "SELECT * FROM jobs WHERE customer_id = ? ORDER BY updated_at DESC", (customer_id,)
            ).fetchall()
            tickets = conn.execute(
                "SELECT * FROM tickets WHERE customer_id = ? ORDER BY created_at DESC", (customer_id,)
            ).fetchall()
            return History(
                appointments=[_appointment(r) for r in appointments],
                jobs=[
                    Job(
                        r["job_id"],
                        r["customer_id"],
                        r["service_type"],
                        r["status"],
                        r["summary"],
                        dt.datetime.fromisoformat(r["updated_at"]),
                    )
                    for r in jobs
                ],
                tickets=[
                    Ticket(r["ticket_id"], r["customer_id"], r["summary"], r["urgency"], r["status"])
                    for r in tickets
                ],
            )

        return await self._run(_work)

    async def serves_zip(self, zip_code: str) -> bool:
        row = await self._run(
            lambda c: c.execute("SELECT 1 FROM service_areas WHERE zip_code = ?", (zip_code,)).fetchone()
        )
        return row is not None

    async def open_slots(
        self, service_type: str, first_day: dt.date, last_day: dt.date, zip_code: str, time_of_day: str
    ) -> list[Slot]:
        start_hour, end_hour = TIMES_OF_DAY[time_of_day]
        rows = await self._run(
            lambda c: c.execute(
                "SELECT s.slot_id, s.service_type, s.starts_at, t.name FROM slots s JOIN technicians t USING (technician_id) "
                "WHERE s.service_type = ? AND s.taken = 0 AND s.starts_at >= ? AND s.starts_at < ? ORDER BY s.starts_at",
                (service_type, first_day.isoformat(), (last_day + dt.timedelta(days=1)).isoformat()),
            ).fetchall()
        )
        slots = [
            Slot(r["slot_id"], r["service_type"], dt.datetime.fromisoformat(r["starts_at"]), r["name"])
            for r in rows
        ]
        return [
            s for s in slots if start_hour <= s.starts_at.hour < end_hour and s.starts_at > dt.datetime.now()
        ]

    async def job_status(self, reference: str) -> Job | Appointment | None:
        def _work(conn: sqlite3.Connection) -> Job | Appointment | None:
            job = conn.execute("SELECT * FROM jobs WHERE job_id = ? COLLATE NOCASE", (reference,)).fetchone()
            if job:
                return Job(
                    job["job_id"],
                    job["customer_id"],
                    job["service_type"],
                    job["status"],
                    job["summary"],
                    dt.datetime.fromisoformat(job["updated_at"]),
                )
            appointment = conn.execute(
                "SELECT * FROM appointments WHERE appointment_id = ? COLLATE NOCASE", (reference,)
            ).fetchone()
            return _appointment(appointment) if appointment else None

        return await self._run(_work)

    # --- side effects ------------------------------------------------------------

    async def book(
        self, *, key: str, customer_id: str, slot_id: str, service_type: str, problem: str
    ) -> Stored[Appointment]:
        def _perform(conn: sqlite3.Connection) -> Appointment:
            slot = conn.execute("SELECT * FROM slots WHERE slot_id = ?", (slot_id,)).fetchone()
            if slot is None:
                raise BackendError("that time slot does not exist; check availability again")
            if slot["service_type"] != service_type:
                raise BackendError(f"that slot is for {slot['service_type']}, not {service_type}")
            if slot["taken"]:
                raise BackendError("that time was just taken; let me find another")
            conn.execute("UPDATE slots SET taken = 1 WHERE slot_id = ?", (slot_id,))
            appointment = Appointment(
                _new_id("APT"),
                customer_id,
                slot_id,
                service_type,
                dt.datetime.fromisoformat(slot["starts_at"]),
                problem,
                "booked",
            )
            conn.execute(
                "INSERT INTO appointments VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    appointment.appointment_id,
                    customer_id,
                    slot_id,
                    service_type,
                    slot["starts_at"],
                    problem,
                    "booked",
                ),
            )
            return appointment

        request = {
            "op": "book",
            "customer_id": customer_id,
            "slot_id": slot_id,
            "service_type": service_type,
            "problem": problem,
        }
        return await self._side_effect(key, request, _perform)

    def _owned_booking(self, conn: sqlite3.Connection, customer_id: str, appointment_id: str) -> sqlite3.Row:
        row = conn.execute(
            "SELECT * FROM appointments WHERE appointment_id = ? COLLATE NOCASE", (appointment_id,)
        ).fetchone()
        if row is None or row["customer_id"] != customer_id:
            raise BackendError("I can't find that appointment on your account")
        if row["status"] != "booked":
            raise BackendError(f"that appointment is already {row['status']}")
        return row

    async def reschedule(
        self, *, key: str, customer_id: str, appointment_id: str, new_slot_id: str
    ) -> Stored[Appointment]:
        def _perform(conn: sqlite3.Connection) -> Appointment:
            row = self._owned_booking(conn, customer_id, appointment_id)
            slot = conn.execute("SELECT * FROM slots WHERE slot_id = ?", (new_slot_id,)).fetchone()
            if slot is None or slot["taken"] or slot["service_type"] != row["service_type"]:
                raise BackendError("that new time is not available; let me find another")
            conn.execute("UPDATE slots SET taken = 0 WHERE slot_id = ?", (row["slot_id"],))
            conn.execute("UPDATE slots SET taken = 1 WHERE slot_id = ?", (new_slot_id,))
            conn.execute(
                "UPDATE appointments SET slot_id = ?, starts_at = ? WHERE appointment_id = ?",
                (new_slot_id, slot["starts_at"], row["appointment_id"]),
            )
            updated = conn.execute(
                "SELECT * FROM appointments WHERE appointment_id = ?", (row["appointment_id"],)
            ).fetchone()
            return _appointment(updated)

        request = {
            "op": "reschedule",
            "customer_id": customer_id,
            "appointment_id": appointment_id,
            "new_slot_id": new_slot_id,
        }
        return await self._side_effect(key, request, _perform)

    async def cancel(self, *, key: str, customer_id: str, appointment_id: str) -> Stored[Appointment]:
        def _perform(conn: sqlite3.Connection) -> Appointment:
            row = self._owned_booking(conn, customer_id, appointment_id)
            conn.execute("UPDATE slots SET taken = 0 WHERE slot_id = ?", (row["slot_id"],))
            conn.execute(
                "UPDATE appointments SET status = 'cancelled' WHERE appointment_id = ?",
                (row["appointment_id"],),
            )
            updated = conn.execute(
                "SELECT * FROM appointments WHERE appointment_id = ?", (row["appointment_id"],)
            ).fetchone()
            return _appointment(updated)

        request = {"op": "cancel", "customer_id": customer_id, "appointment_id": appointment_id}
        return await self._side_effect(key, request, _perform)

    async def create_ticket(
        self, *, key: str, customer_id: str | None, summary: str, urgency: str
    ) -> Stored[Ticket]:
        def _perform(conn: sqlite3.Connection) -> Ticket:
            ticket = Ticket(_new_id("TK"), customer_id, summary, urgency, "open")
            conn.execute(
                "INSERT INTO tickets VALUES (?, ?, ?, ?, ?, ?)",
                (ticket.ticket_id, customer_id, summary, urgency, "open", dt.datetime.now().isoformat()),
            )
            return ticket

        request = {"op": "ticket", "customer_id": customer_id, "summary": summary, "urgency": urgency}
        return await self._side_effect(key, request, _perform)

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
        def _perform(conn: sqlite3.Connection) -> Callback:
            callback = Callback(_new_id("CB"), phone, window_start, window_end, reason)
            conn.execute(
                "INSERT INTO callbacks (callback_id, phone, window_start, window_end, reason, context,"
                " created_at, message, message_audio) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    callback.callback_id,
                    phone,
                    window_start.isoformat(),
                    window_end.isoformat(),
                    reason,
                    context,
                    dt.datetime.now().isoformat(),
                    message,
                    message_audio,
                ),
            )
            return callback

        request = {
            "op": "callback",
            "phone": phone,
            "start": window_start.isoformat(),
            "end": window_end.isoformat(),
            "reason": reason,
            "message": message,
        }
        return await self._side_effect(key, request, _perform)

    def scheduled_callbacks(self) -> list[ScheduledCallback]:
        """Every stored callback, soonest window first: the back office's list (synchronous, read-only)."""
        with contextlib.closing(self._connect()) as conn:
            rows = conn.execute("SELECT * FROM callbacks ORDER BY window_start, created_at").fetchall()
        return [
            ScheduledCallback(
                callback_id=row["callback_id"],
                phone=row["phone"],
                window_start=dt.datetime.fromisoformat(row["window_start"]),
                window_end=dt.datetime.fromisoformat(row["window_end"]),
                reason=row["reason"],
                message=row["message"],
                message_audio=row["message_audio"],
                context=row["context"],
                created_at=dt.datetime.fromisoformat(row["created_at"]),
            )
            for row in rows
        ]

    def count(self, table: str) -> int:
        """Rows in a table; for tests and the seed command."""
        if table not in {"appointments", "tickets", "callbacks", "customers", "slots", "idempotency"}:
            raise ValueError(f"unknown table {table}")
        with contextlib.closing(self._connect()) as conn:
            return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])  # noqa: S608 - allow-listed
