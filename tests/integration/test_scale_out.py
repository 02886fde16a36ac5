"""Two workers behind one server, with LiveKit's own dispatch and no balancer of ours."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time

from agent.caller import place_call
from tests.integration.conftest import RunningServer, RunningWorker, launch_worker, settings_for
from tests.integration.listening_caller import ListeningCaller

SLOTS_PER_WORKER = 2


def _rooms_taken(worker: RunningWorker) -> set[str]:
    rooms = set()
    for line in list(worker.lines):
        if "received job request" in line:
            try:
                rooms.add(json.loads(line).get("room", ""))
            except ValueError:
                continue
    return rooms


def _two_workers(server: RunningServer) -> tuple[RunningWorker, RunningWorker]:
    first = launch_worker(
        server.ports.url, WORKER_MAX_CALLS=str(SLOTS_PER_WORKER), FAILED_TURNS_TO_TRANSFER="10"
    )
    second = launch_worker(
        server.ports.url,
        AGENT_NAME=first.agent_name,
        WORKER_MAX_CALLS=str(SLOTS_PER_WORKER),
        FAILED_TURNS_TO_TRANSFER="10",
    )
    second.agent_name = first.agent_name
    for worker in (first, second):
        worker.wait_for_log("registered worker", timeout=120)
    for worker in (first, second):
        deadline = time.monotonic() + 120
        while worker.log_count("process initialized") < SLOTS_PER_WORKER and time.monotonic() < deadline:
            time.sleep(0.2)
    return first, second


async def test_calls_spread_across_workers_and_a_full_worker_is_skipped(server: RunningServer) -> None:
    first, second = _two_workers(server)
    try:
        settings = settings_for(server, first)
        calls = []
        for _ in range(2 * SLOTS_PER_WORKER):
            # a little apart, as calls arrive: each worker's load report reaches the server in between
            calls.append(asyncio.create_task(place_call(settings, [], timeout=15)))
            await asyncio.sleep(0.7)
        reports = await asyncio.gather(*calls)
        greeted_by = [report.greeted_by for report in reports]
        assert all(report.greeting_ms is not None for report in reports), greeted_by
        # four calls on two workers of two slots each: none had to wait in line
        assert not [who for who in greeted_by if who.startswith("waiting-line-")], greeted_by
        taken = (_rooms_taken(first), _rooms_taken(second))
        print(f"rooms taken per worker: {[len(rooms) for rooms in taken]}")
        assert [len(rooms) for rooms in taken] == [SLOTS_PER_WORKER, SLOTS_PER_WORKER], taken
    finally:
        first.stop()
        second.stop()


async def test_a_call_whose_worker_is_killed_is_taken_over_by_another_worker(server: RunningServer) -> None:
    """SIGKILL of a worker takes its job processes with it, and LiveKit's server re-dispatches
    nothing: the dead agent stays in the room ~20 s, silent. The other worker's rescue sweep finds
    its stopped heartbeat and sends a new agent (agent/overflow/rescue.py)."""
    first, second = _two_workers(server)
    try:
        caller = ListeningCaller(settings_for(server, first))
        await caller.start()
        try:
            await caller.wait_for_text("how can i help", timeout=20)
            victim = first if caller.room_name in _rooms_taken(first) else second
            os.kill(victim.process.pid, signal.SIGKILL)  # the main process, as an OOM kill would
            killed_at = time.time()
            await caller.wait_for_text("we got cut off", timeout=30)
            dead_voice = {f.identity for f in caller.frames if f.at < killed_at and f.kind == 4}
            new_voice = [
                f.at
                for f in caller.frames
                if f.at >= killed_at and f.dbfs > -45 and f.identity not in dead_voice
            ]
            assert new_voice, "the new agent was never heard"
            print(f"a new agent spoke {new_voice[0] - killed_at:.1f} s after SIGKILL")
            reply = await caller.reply_to("I need a plumber tomorrow morning", timeout=20)
            assert reply, "the agent that took over does not answer"
        finally:
            await caller.hang_up()
    finally:
        first.stop()
        second.stop()
