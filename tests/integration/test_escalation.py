"""Fallback paths through the real server: a WebRTC caller, real operator clients, the real worker.

Each step is checked by audio energy at the clients, not only by events.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import wave
from collections.abc import Iterator

import pytest
from livekit import api

from agent.config import Settings, load_settings
from agent.escalation.human_line import HumanLine
from agent.livekit_api import server_api
from agent.livekit_server import REPO_ROOT
from tests.integration.conftest import RunningServer, RunningWorker, launch_worker
from tests.integration.listening_caller import ListeningCaller
from tests.integration.operators import start_operator, stop_all, wait_lobby_empty

RING_TIMEOUT_S = 3.0


@pytest.fixture(scope="module")
def data_dir() -> str:
    return tempfile.mkdtemp(prefix="voice-agent-escalation-")


@pytest.fixture(scope="module")
def worker(shared_server: RunningServer, data_dir: str) -> Iterator[RunningWorker]:
    # one warm process: refilling a pool of four between calls takes the cores these STT-heavy
    # conversations need (a number read in groups was cut at its pauses under that load)
    running = launch_worker(
        shared_server.ports.url,
        RING_TIMEOUT_S=str(RING_TIMEOUT_S),
        DATA_DIR=data_dir,
        WORKER_NUM_IDLE_PROCESSES="1",
    )
    running.wait_for_log("registered worker")
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def _no_operator_outlives_its_test() -> Iterator[None]:
    yield
    stop_all()


@pytest.fixture
def settings(shared_server: RunningServer, worker: RunningWorker) -> Iterator[Settings]:
    settings = load_settings(env_file=None, livekit_url=shared_server.ports.url, agent_name=worker.agent_name)
    yield settings
    stop_all()
    asyncio.run(wait_lobby_empty(settings))


async def _greeted(caller: ListeningCaller) -> None:
    await caller.start()
    await caller.wait_for_text("how can i help", timeout=30)
    await asyncio.sleep(0.3)


async def test_two_failed_turns_warm_transfer_the_caller_to_a_briefed_human(settings: Settings) -> None:
    alice = start_operator(
        settings.livekit_url, "alice", say=("Hello, this is Alice from the front office.",)
    )
    caller = ListeningCaller(settings)
    try:
        await _greeted(caller)
        await caller.say("The weather on the moon is lovely.")
        await caller.wait_for_text("didn't catch", timeout=20)
        await asyncio.sleep(1.0)
        await caller.say("Giraffes have very long necks.")
        # the second failed reply ends the turn: that is the trigger
        triggered_at = await caller.wait_for_text("didn't catch", timeout=20, nth=2)
        hold_heard_at = await caller.wait_audible(after=triggered_at + 0.05, timeout=10, agent=True)
        hold_text_at = await caller.wait_for_text("connecting you", timeout=20)
        alice.wait_for("joined the call", timeout=40)
        # the caller hears the human
        alice_heard_at = await caller.wait_audible(after=hold_text_at, timeout=20, identity="alice")
        # and the human hears the caller
        await asyncio.sleep(2.5)
        await caller.say("Thanks Alice, my kitchen sink is still leaking.")
        alice.wait_for("hearing the caller", timeout=15)
    finally:
        await caller.hang_up()
    report = alice.report()
    packet = report["offers"][0]["packet"]
    said = [t["text"] for t in packet["transcript"] if t["role"] == "user"]
    # the caller never repeats themselves: the human has every word the agent heard
    heard = [text for text in caller.agent_heard if text]
    assert len(said) >= 2 and all(text in said for text in heard[:2]), (said, heard)
    assert packet["trigger"] == "failed_turns" and packet["tried"]
    assert report["brief_heard_at"] is not None, "the human never heard the brief"
    assert report["caller_heard_at"] is not None and report["two_way_audio_at"] is not None
    # the brief came first: the human joined the caller's room only after it ended
    assert report["brief_heard_at"] < report["brief_last_audible_at"] <= report["joined_call_at"]
    assert report["joined_call_at"] < report["caller_heard_at"]
    assert alice_heard_at > report["joined_call_at"]
    print(
        f"\ntrigger (second failed reply ends) -> hold message audible {hold_heard_at - triggered_at:.2f} s; "
        f"accept -> brief audible {report['brief_heard_at'] - report['offer_received_at']:.2f} s; "
        f"brief {report['brief_last_audible_at'] - report['brief_heard_at']:.1f} s; "
        f"brief ends -> in the caller's room {report['joined_call_at'] - report['brief_last_audible_at']:.2f} s "
        f"-> the caller hears the human's mic {report['heard_by_caller_at'] - report['brief_last_audible_at']:.2f} s"
    )


def _callback_rows(data_dir: str) -> list[dict[str, str]]:
    listed = subprocess.run(
        [sys.executable, "-m", "agent.cli", "callbacks", "--json"],
        capture_output=True, text=True, cwd=REPO_ROOT, timeout=60,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("LIVEKIT_")}, "DATA_DIR": data_dir},
    )  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    return json.loads(listed.stdout)


async def test_decline_then_no_answer_takes_a_voicemail_with_one_callback(
    settings: Settings, data_dir: str
) -> None:
    try:
        await _voicemail_call(settings, data_dir)
    except AssertionError as first:
        if _callback_rows(data_dir):
            raise  # something was stored: a real failure, whatever the STT heard
        # a synthetic caller dictating a number to tiny Whisper is noisy on a loaded machine:
        # one more conversation, from the start, before calling it a failure
        print(f"\nvoicemail conversation failed on what was heard ({str(first)[:200]}); once more")
        stop_all()
        await wait_lobby_empty(settings)
        await _voicemail_call(settings, data_dir)


async def _voicemail_call(settings: Settings, data_dir: str) -> None:
    alice = start_operator(settings.livekit_url, "alice", decision="decline")
    sam = start_operator(settings.livekit_url, "sam", tier="supervisor", decision="ignore")
    caller = ListeningCaller(settings)
    try:
        await _greeted(caller)
        spoke_at = await caller.say("I want to talk to a person please.")
        hold_heard_at = await caller.wait_audible(after=spoke_at, timeout=20, agent=True)
        hold_at = await caller.wait_for_text("connecting you", timeout=20)
        prompt_at = await caller.wait_for_text("what would you like our team to know", timeout=30)
        assert caller.longest_silence(hold_at, prompt_at) < 2.0, "dead air on hold"
        await asyncio.sleep(1.0)
        await caller.say("My water heater is making a loud banging noise.")
        await caller.wait_for_text("when is a good time", timeout=20)
        await asyncio.sleep(1.0)
        await caller.say("Tomorrow morning please.")
        await caller.wait_for_text("what number", timeout=20)
        await asyncio.sleep(1.0)
        # as a person would: in groups, and if the number read back is wrong, say no and give it again
        tries = 0
        for _ in range(3):
            tries += 1
            reply = await caller.reply_to("My number is three one two, five five five, zero one nine eight.")
            await asyncio.sleep(1.0)
            if "3 1 2, 5 5 5, 0 1 9 8" in reply:  # read back digit by digit
                break
            if "right number to call" in reply:
                await caller.reply_to("No, that is wrong.")
                await asyncio.sleep(1.0)
        else:
            raise AssertionError(f"the number was never heard right: {caller.said_text()!r}")
        await caller.say("Yes, that is right.")
        stored_at = await caller.wait_for_text("will call you at", timeout=20)
    finally:
        await caller.hang_up()
        alice.stop()
        sam.stop()
    rows = _callback_rows(data_dir)
    assert len(rows) == 1, rows
    row = rows[0]
    assert row["phone"] == "+13125550198"
    assert "water heater" in row["message"].lower()
    with wave.open(row["message_audio"]) as recording:
        assert recording.getnframes() / recording.getframerate() > 1.0
    assert "T08:00" in row["window_start"] and "T12:00" in row["window_end"]
    print(
        f"\ncaller's last word -> hold message audible {hold_heard_at - spoke_at:.2f} s; hold message ends -> "
        f"voicemail prompt ends {prompt_at - hold_at:.2f} s (decline + {RING_TIMEOUT_S:.0f} s ring); "
        f"caller's last word -> callback stored {stored_at - spoke_at:.1f} s (the caller dictating included); "
        f"number heard right on try {tries}"
    )


async def test_an_operator_leaving_mid_brief_leads_on_without_dead_air(settings: Settings) -> None:
    alice = start_operator(settings.livekit_url, "alice")
    caller = ListeningCaller(settings)
    try:
        await _greeted(caller)
        await caller.say("I want to talk to a person please.")
        hold_at = await caller.wait_for_text("connecting you", timeout=20)
        alice.wait_for("accepted", timeout=20)
        alice.process.send_signal(signal.SIGTERM)  # gone while the brief plays
        prompt_at = await caller.wait_for_text("what would you like our team to know", timeout=30)
        assert caller.longest_silence(hold_at, prompt_at) < 2.0, "dead air after the operator left"
        assert "couldn't reach anyone" in caller.said_text().lower()
    finally:
        await caller.hang_up()
        alice.stop()


async def test_a_caller_hanging_up_on_hold_withdraws_the_offer_and_leaks_no_room(
    settings: Settings, worker: RunningWorker
) -> None:
    def worker_lines_tail() -> list[str]:
        return [line for line in worker.lines[-80:] if "transfer" in line or "error" in line.lower()]

    sam = start_operator(settings.livekit_url, "sam", decision="ignore")
    caller = ListeningCaller(settings)
    try:
        await _greeted(caller)
        await caller.say("I want to talk to a person please.")
        await caller.wait_for_text("connecting you", timeout=20)
        sam.wait_for("offer", timeout=20)
    finally:
        await caller.hang_up()
    try:
        sam.wait_for("withdrawn", timeout=RING_TIMEOUT_S + 5)
    except AssertionError:
        print("".join(worker_lines_tail()))
        raise
    report = sam.report()
    assert report["cancelled"] == [report["offers"][0]["offer_id"]]
    lkapi = server_api(settings)
    try:
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            rooms = {r.name for r in (await lkapi.room.list_rooms(api.ListRoomsRequest())).rooms}
            if caller.room_name not in rooms:
                break
            await asyncio.sleep(0.5)
        assert caller.room_name not in rooms, "the caller's room outlived the call"
    finally:
        await lkapi.aclose()


async def test_an_emergency_goes_to_the_front_of_the_line(shared_server: RunningServer) -> None:
    settings = load_settings(env_file=None, livekit_url=shared_server.ports.url)
    waiting = HumanLine(settings, call_id="waiting-first", priority=0)
    emergency = HumanLine(settings, call_id="emergency-later", priority=1)
    later = HumanLine(settings, call_id="normal-later", priority=0)
    try:
        for line in (waiting, emergency, later):
            await line.open(brief_sample_rate=24000)
            await asyncio.sleep(0.05)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # until every participant's attributes have arrived
            positions = (emergency.calls_ahead(), waiting.calls_ahead(), later.calls_ahead())
            if positions == (0, 1, 2):
                break
            await asyncio.sleep(0.1)
        assert positions == (0, 1, 2), positions
    finally:
        for line in (waiting, emergency, later):
            await line.close()


def test_operator_bad_arguments_are_one_line() -> None:
    from tests.unit.test_cli import assert_one_line_error, run_cli

    assert_one_line_error(run_cli("operator", "--identity", "a,b"), "identity")
    assert_one_line_error(run_cli("operator", "--identity", "x", "--tier", "boss"), "tier")
