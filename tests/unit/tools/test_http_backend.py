"""The HTTP backend against a real local CRM server, with injected timeouts, 5xx and dropped connections."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.unit.tools.crm_server import Faults, start
from tools.backend import BackendError, TransientBackendError
from tools.http_backend import HTTPBackend
from tools.resilience import CircuitBreaker, CircuitOpenError, ToolMetrics, ToolPolicy, ToolRunner, derive_key
from tools.resilience.runner import ToolDeadlineExceeded
from tools.sqlite_store import SQLiteBackend

DEADLINE_S = 0.6
SLACK_S = 0.5
"""Loose on purpose: in a full CI run one tool took 916 ms against the 600 ms deadline with the
loop's own lag at 1 ms (2026-12-07), so something outside the loop's timers (the resolver's
thread pool, likely) delays the cancellation on a loaded machine. A runner that ignored its
deadline still fails by seconds: the server holds every request for 5 s."""


@pytest.fixture
async def crm(store: SQLiteBackend) -> AsyncIterator[tuple[HTTPBackend, Faults]]:
    faults = Faults()
    runner, url = await start(store, faults)
    backend = HTTPBackend(url, timeout_s=DEADLINE_S / 2)
    yield backend, faults
    faults.released.set()
    await backend.aclose()
    await runner.cleanup()


def tool_runner(threshold: int = 3, reset: float = 0.3) -> ToolRunner:
    return ToolRunner(
        breaker=CircuitBreaker(failure_threshold=threshold, reset_after_s=reset),
        metrics=ToolMetrics(),
        policy=ToolPolicy(deadline_s=DEADLINE_S, max_attempts=3, backoff_base_s=0.01, backoff_max_s=0.05),
    )


def operations(backend: HTTPBackend, slot_id: str) -> dict[str, Any]:
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    start_at = dt.datetime.combine(tomorrow, dt.time(9))
    return {
        "find_customer": lambda: backend.find_customer_by_phone("+13125550142"),
        "history": lambda: backend.history("C-1001"),
        "check_availability": lambda: backend.open_slots("plumbing", tomorrow, tomorrow, "60614", "any"),
        "job_status": lambda: backend.job_status("J-3002"),
        "book_appointment": lambda: backend.book(key=derive_key("c", "b", {"s": slot_id}), customer_id="C-1001", slot_id=slot_id, service_type="plumbing", problem="leak"),
        "create_ticket": lambda: backend.create_ticket(key="tk-1", customer_id=None, summary="s", urgency="low"),
        "schedule_callback": lambda: backend.schedule_callback(key="cb-1", phone="+13125550142", window_start=start_at, window_end=start_at + dt.timedelta(hours=2), reason="r", context="c"),
    }  # fmt: skip


async def test_every_operation_works_over_http(
    crm: tuple[HTTPBackend, Faults], open_slot_ids: list[str]
) -> None:
    backend, faults = crm
    runner = tool_runner()
    for name, operation in operations(backend, open_slot_ids[0]).items():
        await runner.run(name, operation, call_id="c", key=None, retry_safe=True)
    assert all(key for key in faults.seen_keys) and len(faults.seen_keys) == 3
    replay = await backend.book(key=derive_key("c", "b", {"s": open_slot_ids[0]}), customer_id="C-1001", slot_id=open_slot_ids[0], service_type="plumbing", problem="leak")  # fmt: skip
    assert replay.replayed


async def test_refusals_come_back_as_clear_errors(crm: tuple[HTTPBackend, Faults]) -> None:
    backend, _ = crm
    with pytest.raises(BackendError, match="does not exist"):
        await backend.book(
            key="x", customer_id="C-1001", slot_id="S-NOPE", service_type="plumbing", problem="leak"
        )


@pytest.mark.parametrize("fault", ["timeout", "5xx", "drop"])
async def test_every_tool_returns_within_its_deadline_under_faults(
    crm: tuple[HTTPBackend, Faults], open_slot_ids: list[str], fault: str
) -> None:
    backend, faults = crm
    # Every request of every tool meets the fault (the counts outlast 7 tools x 3 attempts), so
    # the tools can run at once: one deadline of wall time instead of seven.
    faults.delay_s = 5.0 if fault == "timeout" else 0.0
    faults.fail_with_500 = 1000 if fault == "5xx" else 0
    faults.drop_connections = 1000 if fault == "drop" else 0

    async def took(name: str, operation: Any) -> float:
        started = time.perf_counter()
        with pytest.raises((ToolDeadlineExceeded, TransientBackendError)):
            await tool_runner(threshold=100).run(name, operation, call_id="c", key=None, retry_safe=True)
        return time.perf_counter() - started

    async with loop_lag() as lag:
        times = await asyncio.gather(
            *(took(name, op) for name, op in operations(backend, open_slot_ids[1]).items())
        )
    worst = max(times)
    # The slack also covers how late this event loop ran timers meanwhile: on a loaded machine
    # (2 shared cores in CI) the deadline fires late through no fault of the runner, which was the
    # flake. A runner that ignored its deadline would still fail: the server hangs for 5 s.
    assert worst <= DEADLINE_S + SLACK_S + lag[0], (
        f"worst {worst * 1000:.0f} ms, loop lag {lag[0] * 1000:.0f} ms"
    )


@contextlib.asynccontextmanager
async def loop_lag(tick_s: float = 0.005) -> AsyncIterator[list[float]]:
    """Yields [the longest a `tick_s` sleep overslept] while the body runs: the loop's scheduling lag."""
    worst = [0.0]

    async def probe() -> None:
        while True:
            started = time.perf_counter()
            await asyncio.sleep(tick_s)
            worst[0] = max(worst[0], time.perf_counter() - started - tick_s)

    task = asyncio.create_task(probe())
    try:
        yield worst
    finally:
        task.cancel()


async def test_breaker_opens_on_an_outage_and_recovers(crm: tuple[HTTPBackend, Faults]) -> None:
    backend, faults = crm
    runner = tool_runner(threshold=2, reset=0.3)
    faults.fail_with_500 = 1000
    for _ in range(2):
        with pytest.raises(TransientBackendError):
            await runner.run(
                "find_customer",
                lambda: backend.find_customer_by_phone("+13125550142"),
                call_id="c",
                key=None,
                retry_safe=False,
            )
    started = time.perf_counter()
    with pytest.raises(CircuitOpenError):
        await runner.run(
            "find_customer",
            lambda: backend.find_customer_by_phone("+13125550142"),
            call_id="c",
            key=None,
            retry_safe=False,
        )
    assert time.perf_counter() - started < 0.01  # fails fast, no network
    faults.fail_with_500 = 0
    await asyncio.sleep(0.35)
    found = await runner.run(
        "find_customer",
        lambda: backend.find_customer_by_phone("+13125550142"),
        call_id="c",
        key=None,
        retry_safe=False,
    )
    assert found is not None and runner.breaker.state == "closed"
