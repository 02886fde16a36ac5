"""A call beyond the worker's capacity waits in line, hears why within 2 s, and gets the next free agent."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import RunningServer, RunningWorker, launch_worker, settings_for
from tests.integration.listening_caller import ListeningCaller

HEARD_WITHIN_S = 2.0
"""The issue's bound: a call beyond capacity hears something useful and honest within 2 s."""
LONGEST_HOLD_SILENCE_S = 2.0


@pytest.fixture(scope="module")
def one_slot_worker(shared_server: RunningServer) -> Iterator[RunningWorker]:
    # one call slot and one warm process: the second caller must wait, on a machine with two cores
    worker = launch_worker(
        shared_server.ports.url,
        WORKER_MAX_CALLS="1",
        WORKER_NUM_IDLE_PROCESSES="1",
        QUEUE_RETRY_EVERY_S="1",
        FAILED_TURNS_TO_TRANSFER="10",
    )
    worker.wait_for_log("registered worker", timeout=120)
    worker.wait_for_log("process initialized", timeout=120)
    yield worker
    worker.stop()


def _is_line(identity: str) -> bool:
    return identity.startswith("waiting-line-")


def _queue_spans(worker: RunningWorker) -> list[dict[str, object]]:
    path = Path(worker.data_dir) / "traces" / "spans.jsonl"
    if not path.exists():
        return []
    spans = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [span for span in spans if span.get("name") == "voice.queue"]


async def test_a_call_beyond_capacity_waits_in_line_then_gets_the_agent(
    shared_server: RunningServer, one_slot_worker: RunningWorker
) -> None:
    settings = settings_for(shared_server, one_slot_worker)
    first = ListeningCaller(settings)
    await first.start()
    await first.wait_for_text("how can i help", timeout=20)

    second = ListeningCaller(settings)
    joined_at = time.time()
    await second.start()
    try:
        heard = await second.wait_audible(after=joined_at, timeout=10)
        print(f"second caller heard the waiting line {heard - joined_at:.2f} s after joining")
        line_speakers = {f.identity for f in second.frames if f.at >= joined_at and f.dbfs > -45}
        assert line_speakers and all(_is_line(who) for who in line_speakers), line_speakers
        assert heard - joined_at < HEARD_WITHIN_S + 1.0  # regression bound; the target lives in bench load

        await first.reply_to("I need a plumber tomorrow morning")
        waited_until = time.time()
        assert second.longest_silence(heard, waited_until) < LONGEST_HOLD_SILENCE_S

        await first.hang_up()
        hung_up_at = time.time()
        await second.wait_for_text("thanks for waiting", timeout=30)
        agent_voice = [
            f.at for f in second.frames if f.at >= hung_up_at and f.dbfs > -45 and not _is_line(f.identity)
        ]
        assert agent_voice, "the agent that took the call over was never heard"
        print(f"the waiting call was answered {agent_voice[0] - hung_up_at:.1f} s after the first hung up")
        assert second.longest_silence(heard, time.time()) < LONGEST_HOLD_SILENCE_S, "silence while waiting"

        reply = await second.reply_to("I need a plumber tomorrow morning")
        assert reply, "the agent that took over does not answer"
    finally:
        await second.hang_up()
        await first.hang_up()

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not _queue_spans(one_slot_worker):
        time.sleep(0.2)
    spans = _queue_spans(one_slot_worker)
    assert spans, "the waiting call's outcome was not traced"
    attributes = spans[-1].get("attributes", {})
    assert isinstance(attributes, dict) and attributes.get("voice.queue.outcome") == "answered", attributes
