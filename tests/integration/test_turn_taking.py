"""Turn taking through the real server, heard at a WebRTC caller's ear: an "okay" does not stop
the agent, a complete turn is answered promptly, a barge-in silences the agent and its request is
answered in full, and a caller pausing mid-number is not answered early.

Bounds are looser than the benchmark's targets (`voice-agent bench turns`): this guards the
behaviour, on a shared two-core machine, not the speed."""

from __future__ import annotations

import time

from agent.caller import synthesize_utterance
from evals.turn_caller import TurnCaller
from evals.turn_episodes import REPLY_DONE_QUIET_S, REPLY_TIMEOUT_S, speak_over_reply, take_turn
from evals.turn_stimuli import Stimulus, slow_turn
from tests.integration.conftest import RunningServer, launch_worker, settings_for

MAX_BACKCHANNEL_SILENCE_MS = 1000  # target 600
MAX_ROUND_TRIP_MS = 1500  # target 700 (p95)
MAX_CUTOFF_MS = 700  # target 250 (p95)


def _speech(kind: str, text: str, expect: tuple[str, ...] = ()) -> Stimulus:
    return Stimulus(kind, text, synthesize_utterance(text).samples, expect)


async def test_turn_taking_behaviours(shared_server: RunningServer) -> None:
    worker = launch_worker(
        shared_server.ports.url, WORKER_NUM_IDLE_PROCESSES="1", FAILED_TURNS_TO_TRANSFER="10"
    )
    caller: TurnCaller | None = None
    try:
        worker.wait_for_log("registered worker")
        caller = TurnCaller(settings_for(shared_server, worker))
        await caller.connect()
        greeting = await caller.wait_onset_after(time.perf_counter(), 20.0)
        assert greeting is not None, "no greeting"

        backchannel = await speak_over_reply(caller, _speech("backchannel", "okay"), greeting)
        assert not backchannel.skipped, backchannel.skipped
        assert not backchannel.restarted and not backchannel.abandoned, (
            backchannel.restarted,
            backchannel.abandoned,
            [(s.text, s.heard_from_caller) for s in caller.segments.values()],
        )
        assert backchannel.longest_silence_ms < MAX_BACKCHANNEL_SILENCE_MS, backchannel

        turn, reply = await take_turn(caller, _speech("complete", "I need a plumber tomorrow morning."))
        assert turn.answered and not turn.early_answer, turn
        assert turn.round_trip_ms is not None and turn.round_trip_ms < MAX_ROUND_TRIP_MS, turn
        assert reply is not None

        request = _speech(
            "interruption", "Sorry, stop. I need an electrician on Friday.", ("electrician", "friday")
        )
        interruption = await speak_over_reply(caller, request, reply)
        assert not interruption.skipped, interruption.skipped
        assert interruption.cutoff_ms is not None and interruption.cutoff_ms < MAX_CUTOFF_MS, interruption
        assert interruption.answered and not interruption.truncated, interruption

        await caller.wait_quiet(REPLY_DONE_QUIET_S, REPLY_TIMEOUT_S)
        slow, _ = await take_turn(
            caller,
            slow_turn(
                ("My phone number is three one two", 0.9, "four zero seven", 0.9, "two six eight one.")
            ),
        )
        assert slow.answered and not slow.early_answer, slow
        print(
            f"backchannel silence {backchannel.longest_silence_ms} ms, round trip {turn.round_trip_ms} ms, "
            f"cutoff {interruption.cutoff_ms} ms, heard {interruption.agent_heard!r}"
        )
    finally:
        if caller is not None:
            await caller.aclose()
        worker.stop()
