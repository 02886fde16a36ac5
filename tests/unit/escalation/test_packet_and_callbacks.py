"""The human's context packet and brief; the callback store's message columns and listing."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from agent.call_state import CallState, TransferAttempt
from agent.escalation.packet import MAX_PACKET_BYTES, build_packet, spoken_brief
from agent.escalation.policy import Escalation, FailureReason, Trigger
from tests.unit.test_cli import run_cli
from tools.seed import seed
from tools.sqlite_store import MIGRATIONS, SQLiteBackend


def _state() -> CallState:
    state = CallState(call_id="call-1", room="room-1", caller_phone="+13125550142")
    state.transcript = [
        ("assistant", "Thanks for calling. How can I help you today?"),
        ("user", "My kitchen sink is leaking, can someone come tomorrow morning?"),
        ("assistant", "Can I have your name and zip code?"),
    ]
    state.record_failed_turn(FailureReason.TOOL_FAILED, "check_availability: deadline")
    state.policy.caller_said("x")
    state.policy.agent_replied("Sorry?")
    return state


async def test_the_packet_carries_what_the_human_needs(tmp_path: Path) -> None:
    store = SQLiteBackend(tmp_path / "store.db")
    seed(store, progress=lambda _: None)
    state = _state()
    customer = await store.find_customer_by_phone("+13125550142")
    assert customer is not None
    state.customer = {"customer_id": customer.customer_id, "name": "Dana Whitfield", "phone": customer.phone,
                      "zip_code": customer.zip_code, "verified": True}  # fmt: skip
    state.transfer_attempts.append(TransferAttempt("first", "alice", "declined"))
    escalation = Escalation(Trigger.CALLER_ASKED, "the caller asked for a person")
    packet = await build_packet(state, escalation, store, now=dt.datetime(2026, 12, 2, 10))
    assert packet["caller_number"] == "+13125550142"
    assert packet["intent"] == "book"
    assert packet["slots"]["date"] == "2026-12-03" and packet["slots"]["time_of_day"] == "morning"
    assert packet["tried"] == [{"reason": "tool_failed", "detail": "check_availability: deadline"}]
    assert packet["attempts"][0]["outcome"] == "declined"
    assert "appointments" in packet["customer"]["history"]
    assert packet["transcript"][1]["text"].startswith("My kitchen sink")
    brief = spoken_brief(packet)
    assert "Dana Whitfield" in brief and "book" in brief and "declined" in brief


async def test_a_long_call_is_trimmed_to_fit_an_rpc() -> None:
    state = _state()
    state.transcript = [("user", "word " * 100)] * 200
    packet = await build_packet(state, Escalation(Trigger.FAILED_TURNS, "2 failed turns"), None)
    assert len(json.dumps(packet)) <= MAX_PACKET_BYTES
    assert packet["transcript"], "the newest lines stay"


async def test_callbacks_keep_the_message_and_are_listed(tmp_path: Path) -> None:
    store = SQLiteBackend(tmp_path / "store.db")
    assert store.schema_version == len(MIGRATIONS)
    start = dt.datetime.now().replace(microsecond=0) + dt.timedelta(days=1)
    for _ in range(2):  # the same key twice: one row
        await store.schedule_callback(
            key="k1", phone="+13125550198", window_start=start, window_end=start + dt.timedelta(hours=2),
            reason="nobody answered", context="{}", message="My water heater bangs.", message_audio="/x.wav",
        )  # fmt: skip
    rows = store.scheduled_callbacks()
    assert (
        len(rows) == 1 and rows[0].message == "My water heater bangs." and rows[0].message_audio == "/x.wav"
    )
    listed = run_cli("callbacks", "--json", env={"DATA_DIR": str(tmp_path)})
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)[0]["phone"] == "+13125550198"
    human = run_cli("callbacks", env={"DATA_DIR": str(tmp_path)})
    assert "My water heater bangs." in human.stdout
