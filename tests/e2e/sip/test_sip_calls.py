"""Inbound phone calls through livekit-sip, from a SIPp user agent playing G.711 RTP on loopback."""

from __future__ import annotations

import asyncio
import json
import os
import time

from livekit import api

from tests.e2e.sip.conftest import SipStack
from tests.e2e.sip.phone_audio import speech, summary, transcribe
from tests.e2e.sip.sipp import SippCall
from tests.integration.conftest import RunningWorker

QUESTIONS = [
    "Where is my technician?",
    "Hello there.",
    "My kitchen sink is leaking.",
    "What times are available tomorrow?",
    "Can you check the status of my appointment?",
    "Do you have any openings on Friday morning?",
    "My furnace is making a loud noise.",
    "What times are available next week?",
    "The outlet in my garage stopped working.",
    "Is there anything available on Monday afternoon?",
]
TURNS = int(os.environ.get("SIP_ROUND_TRIP_TURNS", "2"))
"""Turns in the call; docs/sip.md's round-trip figures come from SIP_ROUND_TRIP_TURNS=10."""


def test_phone_call_is_answered_greeted_and_answered(sip_stack: SipStack, sip_worker: RunningWorker) -> None:
    call = SippCall(sip_stack.ports.sip).start()
    try:
        assert call.wait_answered(), f"no 200 OK: {call.events()}\n{sip_stack.sip_log()[-2000:]}"
        answered_at = time.monotonic()
        greeting_at = call.phone.wait_for_audible(answered_at - 1, timeout=15)
        assert greeting_at is not None, "the agent never greeted the caller"
        greeting_end = call.phone.wait_for_quiet(greeting_at, quiet_s=1.2, timeout=20)
        greeting = transcribe(
            call.phone.recording(greeting_at - 0.2)[: int((greeting_end - greeting_at + 0.5) * 8000)]
        )

        round_trips_ms: list[float] = []
        replies: list[tuple[float, float]] = []
        for turn in range(TURNS):
            call.phone.say(speech(QUESTIONS[turn % len(QUESTIONS)]))
            assert call.phone.speech_done.wait(15)
            spoke_until = call.phone.last_speech_sent_at
            heard_at = call.phone.wait_for_audible(spoke_until, timeout=20)
            assert heard_at is not None, f"turn {turn}: no spoken answer (so far {round_trips_ms})"
            round_trips_ms.append((heard_at - spoke_until) * 1000)
            reply_end = call.phone.wait_for_quiet(heard_at, quiet_s=1.5, timeout=30)
            replies.append((heard_at, reply_end))
        call.hang_up()
        assert call.wait_ended(10) is not None, "SIPp did not finish after hanging up"
        assert call.wait_for_event("local_bye", 5), call.events()  # SIPp writes events from a forked shell
    finally:
        call.close()
    # the caller ID (sip.phoneNumber) is Dana Whitfield's: her job's status, without being asked who she is
    start, end = replies[0]
    status_reply = transcribe(call.phone.recording(start - 0.2)[: int((end - start + 0.5) * 8000)])
    print(
        json.dumps(
            {"greeting": greeting, "status_reply": status_reply, "round_trip": summary(round_trips_ms)}
        )
    )
    print(json.dumps({"raw_ms": round_trips_ms}))
    assert status_reply and not any(ask in status_reply.lower() for ask in ("name", "zip", "phone number")), (
        f"the agent asked who a caller with a known caller ID is: {status_reply!r}"
    )
    assert "northside" in greeting.lower() or "help" in greeting.lower(), greeting


def _call_rooms(stack: SipStack) -> list[str]:
    from agent.livekit_api import server_api

    async def _list() -> list[str]:
        lkapi = server_api(stack.settings())
        try:
            return [room.name for room in (await lkapi.room.list_rooms(api.ListRoomsRequest())).rooms]
        finally:
            await lkapi.aclose()

    return [name for name in asyncio.run(_list()) if name.startswith("call-")]


def test_pressing_zero_starts_a_transfer_and_hanging_up_ends_the_room(
    sip_stack: SipStack, sip_worker: RunningWorker
) -> None:
    escalations_before = sip_worker.log_count("escalating")
    call = SippCall(sip_stack.ports.sip).start()
    try:
        assert call.wait_answered(), f"no 200 OK: {call.events()}"
        greeting_at = call.phone.wait_for_audible(time.monotonic() - 1, timeout=15)
        assert greeting_at is not None
        call.phone.wait_for_quiet(greeting_at, quiet_s=1.0, timeout=20)
        assert _call_rooms(sip_stack), "the call has no room"

        call.phone.press("0")
        pressed_at = time.monotonic()
        deadline = pressed_at + 10
        while sip_worker.log_count("escalating") == escalations_before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sip_worker.log_count("escalating") > escalations_before, "0 did not start a transfer"
        assert sip_worker.log_count('"digit": "0"') or sip_worker.log_count("keypad")
        # nobody is signed in to take it: the caller hears so (the voicemail prompt), never dead air
        assert call.phone.wait_for_audible(pressed_at, timeout=15) is not None

        call.hang_up()
        assert call.wait_ended(10) is not None
    finally:
        call.close()
    deadline = time.monotonic() + 10
    while _call_rooms(sip_stack) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _call_rooms(sip_stack), "the call's room outlived the caller's hang-up"
