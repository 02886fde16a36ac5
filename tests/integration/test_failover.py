"""A primary that hangs mid-call fails over to the offline stack, and the call goes on."""

from __future__ import annotations

from agent.caller import place_call, synthesize_utterance
from agent.providers.fault_injection import PRIMARY_MARKER
from agent.providers.offline.dialog.engine_llm import DEGRADED_NOTICE
from agent.replies.quick_confirms import without_leading_confirms
from tests.integration.conftest import RunningServer, launch_worker, settings_for


async def test_llm_hanging_mid_call_fails_over_and_the_caller_still_gets_answers(
    shared_server: RunningServer,
) -> None:
    # one warm process, loaded before the call: four loading Whisper at once on two cores (the
    # default pool) slowed the healthy and the hung turn unevenly, and the 1 s bound below compares them
    worker = launch_worker(
        shared_server.ports.url,
        FAULT_INJECTION_LLM_HANG_WORD="basement",
        LLM_FIRST_TOKEN_TIMEOUT_S="0.5",
        WORKER_NUM_IDLE_PROCESSES="1",
    )
    try:
        worker.wait_for_log("registered worker")
        worker.wait_for_log("process initialized", timeout=120)
        report = await place_call(
            settings_for(shared_server, worker),
            [
                synthesize_utterance("Hello there."),
                synthesize_utterance("There is water in my basement."),
                synthesize_utterance("Thank you."),
            ],
            timeout=30,
        )
        healthy, hung, after = report.turns
        assert healthy.answered and healthy.agent_said.startswith(PRIMARY_MARKER)
        assert hung.answered, "the caller got no answer while the primary hung"
        # the offline LLM answers in the hung one's place, and says so first (after any quick confirm)
        assert without_leading_confirms(hung.agent_said).startswith(DEGRADED_NOTICE), hung.agent_said
        # the failover costs the watchdog (0.5 s here) on top of a normal turn: well inside 1 s
        assert hung.round_trip_ms is not None and healthy.round_trip_ms is not None
        assert hung.round_trip_ms - healthy.round_trip_ms < 1000
        assert after.answered
        assert worker.log_count("provider availability changed") >= 1
    finally:
        worker.stop()
