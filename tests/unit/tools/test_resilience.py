"""The resilience layer: deadlines, retries, the breaker, and no duplicate side effects, ever."""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tools.backend import TransientBackendError
from tools.resilience import CircuitBreaker, CircuitOpenError, ToolMetrics, ToolPolicy, ToolRunner, derive_key
from tools.resilience.runner import ToolDeadlineExceeded
from tools.seed import seed
from tools.sqlite_store import SQLiteBackend


@pytest.fixture
def store() -> Iterator[SQLiteBackend]:
    """The shared store fixture, on tmpfs where there is one: the property below commits thousands
    of times, and on a disk each commit's fsync was a third of its run time. Durability is not
    what these tests check; SQLite's locking and transactions are the same on tmpfs."""
    shm = Path("/dev/shm")
    with tempfile.TemporaryDirectory(dir=shm if shm.is_dir() else None) as directory:
        backend = SQLiteBackend(Path(directory) / "store.db")
        seed(backend, progress=lambda _: None)
        yield backend


def runner(
    deadline: float = 0.5,
    threshold: int = 3,
    reset: float = 0.2,
    backoff_base: float = 0.01,
    backoff_max: float = 0.05,
) -> ToolRunner:
    return ToolRunner(
        breaker=CircuitBreaker(failure_threshold=threshold, reset_after_s=reset),
        metrics=ToolMetrics(),
        policy=ToolPolicy(
            deadline_s=deadline, max_attempts=3, backoff_base_s=backoff_base, backoff_max_s=backoff_max
        ),
    )


def test_keys_ignore_case_and_spacing_but_not_content() -> None:
    assert derive_key("call", "book", {"problem": "Leaky  Sink"}) == derive_key(
        "call", "book", {"problem": "leaky sink"}
    )
    assert derive_key("call", "book", {"problem": "leaky sink"}) != derive_key(
        "call", "book", {"problem": "leaky tap"}
    )
    assert derive_key("call-1", "book", {}) != derive_key("call-2", "book", {})


async def test_transient_failures_are_retried_then_succeed() -> None:
    tool_runner, failures = runner(), [TransientBackendError("x"), TransientBackendError("y")]

    async def flaky() -> str:
        if failures:
            raise failures.pop()
        return "ok"

    assert await tool_runner.run("t", flaky, call_id="c", key="k", retry_safe=True) == "ok"
    assert tool_runner.metrics.snapshot()["t"]["success"] == 1


async def test_unsafe_operations_run_once() -> None:
    tool_runner, calls = runner(), []

    async def fails() -> None:
        calls.append(1)
        raise TransientBackendError("x")

    with pytest.raises(TransientBackendError):
        await tool_runner.run("t", fails, call_id="c", key=None, retry_safe=False)
    assert len(calls) == 1


async def test_a_hung_backend_never_holds_the_turn_past_the_deadline() -> None:
    tool_runner = runner(deadline=0.3)
    started = time.perf_counter()
    with pytest.raises(ToolDeadlineExceeded):
        await tool_runner.run("t", lambda: asyncio.sleep(10), call_id="c", key=None, retry_safe=True)
    assert time.perf_counter() - started < 0.3 + 0.05


async def test_breaker_opens_fails_fast_and_recovers() -> None:
    tool_runner = runner(threshold=2, reset=0.2)

    async def down() -> None:
        raise TransientBackendError("down")

    for _ in range(2):
        with pytest.raises(TransientBackendError):
            await tool_runner.run("t", down, call_id="c", key=None, retry_safe=False)
    assert tool_runner.breaker.state == "open"
    with pytest.raises(CircuitOpenError):
        await tool_runner.run("t", down, call_id="c", key=None, retry_safe=False)
    await asyncio.sleep(0.25)
    assert tool_runner.breaker.state == "half_open"

    async def up() -> str:
        return "ok"

    assert await tool_runner.run("t", up, call_id="c", key=None, retry_safe=False) == "ok"
    assert tool_runner.breaker.state == "closed"


# Each step: (which request, how it is delivered). Requests repeat, so the same booking
# arrives duplicated, retried after a transient failure, concurrently, and replayed later.
_step = st.tuples(
    st.integers(min_value=0, max_value=4), st.sampled_from(["once", "retry", "concurrent", "replay"])
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(_step, min_size=1, max_size=8))
def test_no_duplicate_side_effects_over_random_sequences(
    store: SQLiteBackend, steps: list[tuple[int, str]]
) -> None:
    asyncio.run(_play(store, steps))


async def _play(store: SQLiteBackend, steps: list[tuple[int, str]]) -> None:
    # Backoff length is not what this property checks (only that a retry never repeats a write);
    # a millisecond-scale jittered backoff keeps retries interleaving with the concurrent deliveries
    # while taking ~40% off the 300 examples' run time.
    tool_runner = runner(deadline=5.0, backoff_base=0.001, backoff_max=0.005)
    call_id = f"call-{time.perf_counter_ns()}"
    requests = {i: {"summary": f"issue {i}", "urgency": "normal"} for i in range(5)}
    before = store.count("tickets")

    async def deliver(index: int, flaky: bool) -> None:
        arguments = requests[index]
        key = derive_key(call_id, "create_ticket", arguments)
        failed_once = [not flaky]

        async def operation() -> object:
            result = await store.create_ticket(key=key, customer_id=None, **arguments)
            if not failed_once[0]:  # the write landed, but the answer was lost: the retry must not repeat it
                failed_once[0] = True
                raise TransientBackendError("connection dropped after the write")
            return result

        await tool_runner.run("create_ticket", operation, call_id=call_id, key=key, retry_safe=True)

    for index, how in steps:
        if how == "concurrent":
            await asyncio.gather(deliver(index, False), deliver(index, False), deliver(index, True))
        else:
            await deliver(index, flaky=how == "retry")
            if how == "replay":
                await deliver(index, False)
    assert store.count("tickets") - before == len({index for index, _ in steps})
