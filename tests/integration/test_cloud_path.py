"""Calls through the real Deepgram and OpenAI plugins, against the loopback stand-ins (test doubles).

One server, one stand-in process and one worker serve every call here; faults are switched through
the stand-ins' control endpoint between calls and between turns.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator

import pytest

from agent.caller import CallReport, Utterance, place_call, synthesize_utterance
from agent.providers.offline.dialog.engine_llm import DEGRADED_NOTICE
from agent.replies.quick_confirms import without_leading_confirms
from evals.standins import StandInProcess, launch
from tests.integration.conftest import RunningServer, RunningWorker, launch_worker, settings_for

CLOUD_CHAIN = "stt=deepgram>offline llm=openai>offline tts=openai>offline"
GREETING = "Hello, Northside here."
SCRIPT = ["Good morning, is anyone there?", "Could I speak to a real person, please?"]
"""What the STT double says the caller said. The caller says something else on purpose, so the
transcript tells which STT served a turn."""
TURN_TIMEOUT_S = 12.0
FAILOVER_ROUND_TRIP_MS = 4000
"""Loose regression bound on a faulted turn: a watchdog (0.8-1.5 s) plus the offline stack."""
FAULTS = ["hang", "5xx", "disconnect", "slow-drip"]


@pytest.fixture(scope="module")
def standins() -> Iterator[StandInProcess]:
    with launch(profile="zero", script=SCRIPT, stderr=subprocess.DEVNULL) as running:
        yield running


@pytest.fixture(scope="module")
def cloud_worker(shared_server: RunningServer, standins: StandInProcess) -> Iterator[RunningWorker]:
    worker = launch_worker(
        shared_server.ports.url,
        GREETING=GREETING,
        # these calls are about provider failover, not the escalation policy failovers feed
        FAILED_TURNS_TO_TRANSFER="10",
        # calls here come one at a time: two warm job processes are plenty, and start faster than four
        WORKER_NUM_IDLE_PROCESSES="2",
        # every reply must reach the speech double, so its faults meet the turn they were set for
        TTS_PHRASE_CACHE="false",
        **standins.env,
    )
    worker.wait_for_log("registered worker")
    yield worker
    worker.stop()


def _availability_changes(worker: RunningWorker, hop: str) -> int:
    count = 0
    for line in list(worker.lines):
        if "provider availability changed" in line:
            try:
                count += json.loads(line).get("hop") == hop
            except json.JSONDecodeError:
                count += f'"hop": "{hop}"' in line
    return count


def _tail(worker: RunningWorker, lines: int = 15) -> str:
    return "".join(line[:300] + "\n" for line in list(worker.lines)[-lines:])


def _without_filler(said: str) -> str:
    return without_leading_confirms(said)


def _call_chains(worker: RunningWorker) -> list[str]:
    chains = []
    for line in list(worker.lines):
        if '"call starting"' in line:
            chains.append(json.loads(line).get("providers", ""))
    return chains


async def _call(
    server: RunningServer, worker: RunningWorker, utterances: list[Utterance], **options: object
) -> CallReport:
    return await place_call(settings_for(server, worker), utterances, timeout=TURN_TIMEOUT_S, **options)  # type: ignore[arg-type]


async def test_a_call_through_all_three_cloud_plugins(
    shared_server: RunningServer, cloud_worker: RunningWorker, standins: StandInProcess
) -> None:
    before = standins.state()["stats"]
    report = await _call(
        shared_server,
        cloud_worker,
        [synthesize_utterance("Hello there."), synthesize_utterance("I would like to talk to someone.")],
    )
    state = standins.state()
    assert _call_chains(cloud_worker)[-1] == CLOUD_CHAIN
    assert report.greeting_ms is not None and report.greeting_text == GREETING
    greeting_turn, person_turn = report.turns
    assert greeting_turn.answered and person_turn.answered, (report.to_json(), _tail(cloud_worker))
    # the STT double's transcript, not what the caller said: Deepgram's path served the turn
    assert greeting_turn.agent_heard == SCRIPT[0]
    # the LLM double's reply, spoken through the speech double, after a quick confirm when the
    # answer was predicted to be late
    assert _without_filler(greeting_turn.agent_said) == state["recent_replies"][-1]
    assert DEGRADED_NOTICE not in greeting_turn.agent_said
    # the second scripted line asks for a person: a real streamed tool call
    assert person_turn.agent_heard == SCRIPT[1]
    assert state["recent_tool_calls"][-1] == "transfer_to_human"
    for hop in ("stt", "llm", "tts"):
        assert state["stats"][hop]["completed"] > before[hop]["completed"], hop
        assert state["stats"][hop]["faulted"] == before[hop]["faulted"], hop
    assert cloud_worker.log_count("provider availability changed") == 0


@pytest.mark.parametrize("fault", FAULTS)
async def test_each_fault_on_each_hop_fails_over_and_the_call_goes_on(
    shared_server: RunningServer, cloud_worker: RunningWorker, standins: StandInProcess, fault: str
) -> None:
    """One call per fault: the STT faulted from the start, the LLM from the second turn, the TTS
    from the third; each turn must still be answered, by the offline link of the faulted hop."""
    before = standins.state()["stats"]
    changes_before = {hop: _availability_changes(cloud_worker, hop) for hop in ("stt", "llm", "tts")}
    standins.set_fault("stt", fault)

    def _next_hop(turn: int) -> None:
        # runs as a reply starts, so the fault meets the requests of the turns that follow
        if turn == 0:
            standins.set_fault("stt", "none")
            standins.set_fault("llm", fault)
        elif turn == 1:
            # the LLM stays faulted: a background recovery probe must not bring it back for turn 3
            standins.set_fault("tts", fault)

    try:
        report = await _call(
            shared_server,
            cloud_worker,
            [
                # long: a hung STT is failed over 0.8 s into it, and the offline STT hears the rest
                synthesize_utterance("Hello, I need a plumber to fix a leaking pipe under my kitchen sink."),
                synthesize_utterance("Hello there."),
                synthesize_utterance("Good morning."),
            ],
            on_reply_started=_next_hop,
        )
    finally:
        for hop in ("stt", "llm", "tts"):
            standins.set_fault(hop, "none")
    state = standins.state()
    summary = json.dumps(report.to_json(), indent=1) + "\n" + _tail(cloud_worker)
    assert len(report.turns) == 3 and all(turn.answered for turn in report.turns), summary
    stt_turn, llm_turn, tts_turn = report.turns
    for turn in report.turns:
        assert turn.round_trip_ms is not None and turn.round_trip_ms < FAILOVER_ROUND_TRIP_MS, summary

    # STT: the double met the fault and the offline STT heard the caller instead of the script
    assert state["stats"]["stt"]["faulted"] > before["stt"]["faulted"]
    assert stt_turn.agent_heard and stt_turn.agent_heard not in SCRIPT, summary
    assert _availability_changes(cloud_worker, "stt") > changes_before["stt"]

    # LLM: the offline engine answers, saying once that it is the backup. A hang or a refusal is
    # failed over within the turn; a stream that breaks after its first words leaves those words as
    # the turn's reply (LiveKit does not retry once a chunk went out), and the next turn is offline.
    assert state["stats"]["llm"]["faulted"] > before["llm"]["faulted"]
    offline_turn = llm_turn if fault in ("hang", "5xx") else tts_turn
    assert DEGRADED_NOTICE in offline_turn.agent_said, summary
    assert _availability_changes(cloud_worker, "llm") > changes_before["llm"]

    # TTS: the double met the fault and the offline voice spoke the reply
    assert state["stats"]["tts"]["faulted"] > before["tts"]["faulted"]
    assert _availability_changes(cloud_worker, "tts") > changes_before["tts"]
