from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tools.seed import seed
from tools.sqlite_store import SQLiteBackend


@pytest.fixture
def store(tmp_path: Path) -> SQLiteBackend:
    backend = SQLiteBackend(tmp_path / "store.db")
    seed(backend, progress=lambda _: None)
    return backend


@pytest.fixture
def open_slot_ids(store: SQLiteBackend) -> list[str]:
    import asyncio

    first = dt.date.today() + dt.timedelta(days=1)
    slots = asyncio.run(store.open_slots("plumbing", first, first + dt.timedelta(days=6), "60614", "any"))
    return [s.slot_id for s in slots]
