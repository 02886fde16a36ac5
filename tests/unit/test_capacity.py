"""The worker's load is its own calls against WORKER_MAX_CALLS, and a burst up to capacity fits."""

from __future__ import annotations

import asyncio
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
    answer = inspect.getsource(AgentServer._answer_availability)
    assert "self._is_available()" in answer  # our slot check gates the launch on a process
    assert "self._pending_assignments[job_req.id] = wait_assignment" in answer  # the line's accept mirrors it
    assert "await self._invoke_load_fnc()" in inspect.getsource(AgentServer._refresh_worker_load)
    status = inspect.getsource(AgentServer._update_worker_status)
    assert "self._previous_status" in status and "UpdateWorkerStatus(" in status
    assert "async def _queue_msg" in inspect.getsource(AgentServer)


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


class _Wire:
    """What the server would receive: the worker's availability answers and status updates."""

    def __init__(self) -> None:
        self.sent: list[object] = []

    async def __call__(self, message: object) -> None:
        self.sent.append(message)


def _full_worker(*, line: int, waiting: int = 0) -> tuple[CapacityServer, _Wire]:
    settings = load_settings(env_file=None, queue_max_calls=line)
    server = _as_if_running(CapacityServer(CallCapacity(2), settings=settings), calls=2, being_set_up=0)
    server._worker_load = 1.0
    server._previous_status = None
    server._pending_assignments = {}
    for n in range(waiting):
        server.line.join(f"AJ_waiting{n}")
    wire = _Wire()
    server._queue_msg = wire  # type: ignore[method-assign]
    return server, wire


def _request(job_id: str, metadata: str = "") -> object:
    from livekit.protocol import agent

    request = agent.AvailabilityRequest()
    request.job.id = job_id
    request.job.room.name = "call-room"
    request.job.metadata = metadata
    return request


async def test_a_full_worker_with_room_in_line_stays_available_at_a_tiny_weight() -> None:
    from agent.capacity import QUEUEING_LOAD

    server, wire = _full_worker(line=2)
    await server._update_worker_status()
    update = wire.sent[-1].update_worker  # type: ignore[attr-defined]
    assert update.status == 0  # WS_AVAILABLE: the server still offers it a call rather than drop it
    assert abs(update.load - QUEUEING_LOAD) < 1e-6  # weight 1 - load: 1 in 1,000 against an idle worker


async def test_a_full_worker_with_a_full_line_is_full() -> None:
    server, wire = _full_worker(line=1, waiting=1)
    await server._update_worker_status()
    update = wire.sent[-1].update_worker  # type: ignore[attr-defined]
    assert update.status == 1  # WS_FULL
    assert update.load == 1.0


async def test_a_call_beyond_the_slots_is_accepted_into_the_line() -> None:
    server, wire = _full_worker(line=2)
    server._agent_name = "voice-agent"
    answering = asyncio.create_task(server._answer_availability(_request("AJ_beyond")))
    await asyncio.sleep(0.01)
    answer = wire.sent[-1].availability  # type: ignore[attr-defined]
    assert answer.available and answer.participant_identity.startswith("waiting-line-")
    assert answer.participant_attributes["voice.role"] == "waiting-line"
    assert server.line.position("AJ_beyond") == 1
    assert server.calls_in_progress() == 2  # no process slot was booked for it
    answering.cancel()
    await asyncio.gather(answering, return_exceptions=True)


@pytest.mark.parametrize(
    ("line", "waiting", "metadata"),
    [(2, 2, ""), (2, 0, '{"voice.queue": {"waited_s": 4}}')],
    ids=["the line is full", "a hand-off from a line needs a free slot"],
)
async def test_a_call_that_cannot_wait_here_is_refused(line: int, waiting: int, metadata: str) -> None:
    server, wire = _full_worker(line=line, waiting=waiting)
    await server._answer_availability(_request("AJ_refused", metadata))
    answer = wire.sent[-1].availability  # type: ignore[attr-defined]
    assert answer.job_id == "AJ_refused" and not answer.available
    assert server.line.position("AJ_refused") is None
