"""The worker's load is its own calls against WORKER_MAX_CALLS, and a burst up to capacity fits."""

from __future__ import annotations

import inspect
from types import SimpleNamespace

import pytest
from livekit.agents import AgentServer

from agent.capacity import CallCapacity, CapacityServer
from agent.config import ConfigError, load_settings


def _job() -> SimpleNamespace:
    """A job process with a call on it, as livekit-agents' proc pool lists it."""
    return SimpleNamespace(running_job=object())


def _idle() -> SimpleNamespace:
    return SimpleNamespace(running_job=None)


def _as_if_running(server: AgentServer, *, calls: int, being_set_up: int, warm: int = 0) -> AgentServer:
    """The state `AgentServer.run` would be in: `calls` launched, `being_set_up` accepted and not yet launched."""
    server._proc_pool = SimpleNamespace(
        processes=[_job() for _ in range(calls)] + [_idle() for _ in range(warm)]
    )  # type: ignore[assignment]
    server._reserved_slots = being_set_up
    server._devmode = False
    server._worker_load = 0.0
    return server


def test_load_is_calls_against_capacity() -> None:
    capacity = CallCapacity(max_calls=4)
    assert [capacity.load(n) for n in range(6)] == [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]


@pytest.mark.parametrize("max_calls", [1, 2, 3, 4, 7, 8, 40])
def test_exactly_max_calls_fit_under_the_threshold(max_calls: int) -> None:
    capacity = CallCapacity(max_calls)
    fits = [n for n in range(max_calls + 3) if capacity.load(n) < capacity.load_threshold]
    assert fits == list(range(max_calls))  # the (max_calls+1)th call sees load >= threshold


def test_load_fnc_counts_this_workers_calls_only() -> None:
    capacity = CallCapacity(max_calls=4)
    server = _as_if_running(CapacityServer(capacity), calls=3, being_set_up=0, warm=2)
    assert capacity.load_of(server) == 0.75  # warm processes and the machine's CPU do not count


def test_max_calls_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        CallCapacity(max_calls=0)


def test_livekit_default_refuses_the_second_call_of_a_burst() -> None:
    """Why CapacityServer exists: one warm process books the whole threshold for the first call."""
    server = _as_if_running(AgentServer(load_threshold=0.7, num_idle_processes=1), calls=0, being_set_up=1)
    assert not server._is_available()


@pytest.mark.parametrize("warm", [0, 1, 4])
def test_a_burst_reaching_an_idle_worker_is_taken_up_to_capacity(warm: int) -> None:
    capacity = CallCapacity(max_calls=4)
    for being_set_up in range(4):
        server = _as_if_running(
            CapacityServer(capacity, num_idle_processes=warm), calls=0, being_set_up=being_set_up
        )
        assert server._is_available(), f"call {being_set_up + 1} of a burst was refused"
    server = _as_if_running(CapacityServer(capacity, num_idle_processes=warm), calls=0, being_set_up=4)
    assert not server._is_available()


def test_running_and_starting_calls_share_the_capacity() -> None:
    capacity = CallCapacity(max_calls=4)
    assert _as_if_running(CapacityServer(capacity), calls=2, being_set_up=1)._is_available()
    assert not _as_if_running(CapacityServer(capacity), calls=2, being_set_up=2)._is_available()
    assert not _as_if_running(CapacityServer(capacity), calls=4, being_set_up=0)._is_available()


def test_a_draining_worker_takes_nothing() -> None:
    server = _as_if_running(CapacityServer(CallCapacity(4)), calls=0, being_set_up=0)
    server._draining = True
    assert not server._is_available()


def test_livekit_still_has_the_hooks_capacity_server_overrides() -> None:
    """CapacityServer overrides private parts of livekit-agents: an upgrade that renames them fails here."""
    assert callable(getattr(AgentServer, "_get_effective_load", None))
    assert "self._get_effective_load()" in inspect.getsource(AgentServer._is_available)
    assert "self._get_effective_load()" in inspect.getsource(AgentServer._update_worker_status)
    assert "self._reserved_slots += 1" in inspect.getsource(AgentServer._answer_availability)


def test_build_server_wires_the_capacity_and_warm_processes() -> None:
    from agent.worker import build_server

    server = build_server(load_settings(env_file=None, worker_max_calls=6, worker_num_idle_processes=2))
    assert isinstance(server, CapacityServer)
    assert server.capacity == CallCapacity(6)
    assert server._load_fnc == server.capacity.load_of
    assert server._load_threshold == server.capacity.load_threshold
    assert server._num_idle_processes == 2


def test_warm_processes_default_to_capacity(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WORKER_NUM_IDLE_PROCESSES", raising=False)
    monkeypatch.setenv("WORKER_MAX_CALLS", "3")
    assert load_settings(env_file=None).warm_processes == 3
    monkeypatch.setenv("WORKER_NUM_IDLE_PROCESSES", "")
    assert load_settings(env_file=None).warm_processes == 3
    monkeypatch.setenv("WORKER_NUM_IDLE_PROCESSES", "0")
    assert load_settings(env_file=None).warm_processes == 0


def test_more_warm_processes_than_capacity_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKER_MAX_CALLS", "2")
    monkeypatch.setenv("WORKER_NUM_IDLE_PROCESSES", "3")
    with pytest.raises(ConfigError) as caught:
        load_settings(env_file=None)
    assert str(caught.value) == (
        "config error: WORKER_NUM_IDLE_PROCESSES: must not exceed WORKER_MAX_CALLS (2)"
    )


def test_the_warm_pool_never_grows_past_capacity() -> None:
    capacity = CallCapacity(max_calls=4)
    assert [capacity.warm_target(calls, 4) for calls in range(6)] == [4, 3, 2, 1, 0, 0]
    assert capacity.warm_target(0, 2) == 2


def test_a_launched_call_resizes_the_warm_pool_at_once() -> None:
    targets: list[int] = []
    server = _as_if_running(CapacityServer(CallCapacity(4), num_idle_processes=4), calls=3, being_set_up=0)
    server._proc_pool.set_target_idle_processes = targets.append  # type: ignore[attr-defined]
    server._resize_warm_pool(object())
    assert targets == [1]
    assert "process_job_launched" in inspect.getsource(AgentServer.run)  # the event the resize follows
