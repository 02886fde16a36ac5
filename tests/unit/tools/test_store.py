"""The SQLite store: migrations, WAL, atomic idempotent writes, and concurrent writers."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3

import pytest

from tools.backend import BackendError, IdempotencyConflict
from tools.sqlite_store import MIGRATIONS, SQLiteBackend


def test_schema_is_migrated_and_in_wal_mode(store: SQLiteBackend) -> None:
    assert store.schema_version == len(MIGRATIONS)
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    SQLiteBackend(store.path)  # re-opening does not migrate twice
    assert store.schema_version == len(MIGRATIONS)


async def test_a_replayed_key_returns_the_first_result(
    store: SQLiteBackend, open_slot_ids: list[str]
) -> None:
    args = {
        "customer_id": "C-1001",
        "slot_id": open_slot_ids[0],
        "service_type": "plumbing",
        "problem": "leak",
    }
    first = await store.book(key="k1", **args)
    again = await store.book(key="k1", **args)
    assert not first.replayed and again.replayed
    assert again.value == first.value
    assert store.count("appointments") == 2  # the seeded one plus this one


async def test_the_same_key_with_other_arguments_is_rejected(
    store: SQLiteBackend, open_slot_ids: list[str]
) -> None:
    await store.book(
        key="k2", customer_id="C-1001", slot_id=open_slot_ids[0], service_type="plumbing", problem="leak"
    )
    with pytest.raises(IdempotencyConflict):
        await store.book(
            key="k2", customer_id="C-1001", slot_id=open_slot_ids[1], service_type="plumbing", problem="leak"
        )


async def test_a_refused_write_changes_nothing(store: SQLiteBackend) -> None:
    before = store.count("appointments"), store.count("idempotency")
    with pytest.raises(BackendError, match="does not exist"):
        await store.book(
            key="k3", customer_id="C-1001", slot_id="S-NOPE", service_type="plumbing", problem="leak"
        )
    assert (store.count("appointments"), store.count("idempotency")) == before


async def test_a_taken_slot_cannot_be_booked_twice(store: SQLiteBackend, open_slot_ids: list[str]) -> None:
    await store.book(
        key="a", customer_id="C-1001", slot_id=open_slot_ids[0], service_type="plumbing", problem="x"
    )
    with pytest.raises(BackendError, match="just taken"):
        await store.book(
            key="b", customer_id="C-1002", slot_id=open_slot_ids[0], service_type="plumbing", problem="y"
        )


async def test_fifty_concurrent_calls_write_without_lock_errors(store: SQLiteBackend) -> None:
    async def one_call(index: int) -> None:
        await store.create_ticket(
            key=f"t{index}", customer_id=None, summary=f"call {index}", urgency="normal"
        )
        await store.schedule_callback(
            key=f"c{index}", phone="+13125550142", window_start=__import__("datetime").datetime(2030, 1, 1, 9),
            window_end=__import__("datetime").datetime(2030, 1, 1, 12), reason="r", context="",
        )  # fmt: skip
        await store.create_ticket(
            key=f"t{index}", customer_id=None, summary=f"call {index}", urgency="normal"
        )

    results = await asyncio.gather(*(one_call(i) for i in range(50)), return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == []
    assert store.count("tickets") == 1 + 50 and store.count("callbacks") == 50


async def test_every_day_ahead_has_open_slots(store: SQLiteBackend) -> None:
    # "tomorrow" or "in three days" must be bookable whatever day the demo or the tests run
    first = dt.date.today() + dt.timedelta(days=1)
    for offset in range(7):
        day = first + dt.timedelta(days=offset)
        assert await store.open_slots("plumbing", day, day, "60614", "any"), day.strftime("%A")
