"""A warm transfer leg to a person's phone: it rings, hears the brief, presses 1, and the two phones talk."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator

import pytest

from agent.telephony.setup_command import provision
from tests.e2e.sip.conftest import SipStack
from tests.e2e.sip.phone_audio import speech
from tests.e2e.sip.sipp import SippAnsweringPhone, SippCall
from tests.integration.conftest import RunningWorker

VOICEMAIL_GREETING = (
    "Hi, you have reached the voicemail of Alice's office phone. I can't take your call right now. "
    "Please leave your name, your number and a short message after the tone."
)


@pytest.fixture
def human_phone(sip_stack: SipStack, sip_worker: RunningWorker) -> Iterator[SippAnsweringPhone]:
    """Alice's phone, reached through the outbound trunk `sip setup` points at it for this test."""
    phone = SippAnsweringPhone(calls=2).start()  # the voicemail's number first, then Alice's
    with_trunk = sip_stack.settings(
        agent_name=sip_worker.agent_name,
        sip_outbound_address=f"127.0.0.1:{phone.port}",
        sip_outbound_number="+15550100",
    )
    asyncio.run(provision(with_trunk, dry_run=False))
    try:
        yield phone
    finally:
        phone.close()
        asyncio.run(provision(sip_stack.settings(agent_name=sip_worker.agent_name), dry_run=False))


def test_the_persons_phone_rings_hears_the_brief_accepts_and_talks_to_the_caller(
    sip_stack: SipStack, sip_worker: RunningWorker, human_phone: SippAnsweringPhone
) -> None:
    caller = SippCall(sip_stack.ports.sip).start()
    human = human_phone.phone
    try:
        assert caller.wait_answered(), f"no 200 OK: {caller.events()}"
        greeting_at = caller.phone.wait_for_audible(time.monotonic() - 1, timeout=15)
        assert greeting_at is not None
        caller.phone.wait_for_quiet(greeting_at, quiet_s=1.0, timeout=20)

        caller.phone.press("0")
        pressed_at = time.monotonic()
        assert human_phone.wait_for_event("invited", timeout=20), (
            f"the phone never rang: {sip_worker.lines[-5:]}"
        )
        rang_after_s = time.monotonic() - pressed_at
        # the first number tried answers with a recorded greeting: a machine, so the next person is rung
        assert human_phone.wait_answered(timeout=10)
        human.say(speech(VOICEMAIL_GREETING))
        assert human_phone.wait_for_nth("remote_bye", 1, timeout=15), "the agent stayed on the voicemail"
        assert human_phone.wait_for_nth("invited", 2, timeout=20), "the next person's phone never rang"
        assert human_phone.wait_answered(timeout=10, nth=2)
        brief_at = human.wait_for_audible(time.monotonic() - 0.5, timeout=15)
        assert brief_at is not None, f"the person heard no brief: {sip_worker.lines[-6:]}"
        brief_end = human.wait_for_quiet(brief_at, quiet_s=1.5, timeout=60)
        assert sip_worker.log_count("a voicemail greeting answered") == 1
        human.press("1")

        # the caller hears the handover line, then the two phones hear each other
        handover_at = caller.phone.wait_for_audible(brief_end, timeout=15)
        assert handover_at is not None, "the caller heard no handover"
        caller.phone.wait_for_quiet(handover_at, quiet_s=1.0, timeout=20)
        caller.phone.say(speech("Hello, can you hear me?"))
        assert caller.phone.speech_done.wait(10)
        assert human.wait_for_audible(caller.phone.last_speech_sent_at - 1.5, timeout=5) is not None, (
            "the person did not hear the caller"
        )
        said_at = time.monotonic()
        human.say(speech("Yes, this is Alice. How can I help?"))
        assert caller.phone.wait_for_audible(said_at, timeout=8) is not None, (
            "the caller did not hear the person"
        )

        caller.hang_up()
        assert caller.wait_ended(10) is not None
        assert human_phone.wait_for_nth("remote_bye", 2, timeout=15), "the person's phone was not hung up"
    finally:
        caller.close()
    print(json.dumps({"transfer_trigger_to_ring_s": round(rang_after_s, 3)}))
