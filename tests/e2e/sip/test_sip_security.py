"""Trunk security with real SIP traffic: wrong addresses and passwords are refused, junk crashes nothing."""

from __future__ import annotations

import asyncio
import os
import socket
import time

from livekit import api

from agent.livekit_api import server_api
from tests.e2e.sip.conftest import SipStack
from tests.e2e.sip.malformed import MALFORMED, send_malformed
from tests.e2e.sip.sipp import SippCall
from tests.integration.conftest import RunningWorker

AUTH_NUMBER = "+15550177"
AUTH_USER = "carrier"
AUTH_PASSWORD = "right-password-42"


def _refused(call: SippCall, within_s: float) -> list[str]:
    """The call's events once it ended or `within_s` passed; it must not have been answered."""
    call.wait_ended(within_s)
    events = call.events()
    assert not any(e.startswith("answered") for e in events), events
    return events


def test_a_call_from_an_address_the_trunk_does_not_allow_is_refused(
    sip_stack: SipStack, sip_worker: RunningWorker
) -> None:
    # 127.0.0.2 is loopback too, but the trunk allows 127.0.0.1/32 only
    call = SippCall(sip_stack.ports.sip, source_ip="127.0.0.2", answer_timeout_s=6).start()
    try:
        events = _refused(call, 8)
    finally:
        call.close()
    # livekit-sip answers 100 and 180 and then nothing: the caller's own timer gives up
    assert any(e.startswith(("failed 4", "no_answer")) for e in events) or events == ["ringing"] or not events


def test_a_wrong_digest_password_is_refused(sip_stack: SipStack, sip_worker: RunningWorker) -> None:
    async def _trunk() -> str:
        lkapi = server_api(sip_stack.settings())
        try:
            trunk = await lkapi.sip.create_inbound_trunk(
                api.CreateSIPInboundTrunkRequest(
                    trunk=api.SIPInboundTrunkInfo(
                        name="security test",
                        numbers=[AUTH_NUMBER],
                        allowed_addresses=["127.0.0.1/32"],
                        auth_username=AUTH_USER,
                        auth_password=AUTH_PASSWORD,
                    )
                )
            )
            return trunk.sip_trunk_id
        finally:
            await lkapi.aclose()

    async def _drop(trunk_id: str) -> None:
        lkapi = server_api(sip_stack.settings())
        try:
            await lkapi.sip.delete_trunk(api.DeleteSIPTrunkRequest(sip_trunk_id=trunk_id))
        finally:
            await lkapi.aclose()

    trunk_id = asyncio.run(_trunk())
    call = SippCall(
        sip_stack.ports.sip,
        callee=AUTH_NUMBER,
        username=AUTH_USER,
        password="wrong-password",
        answer_timeout_s=6,
    ).start()
    try:
        events = _refused(call, 12)
    finally:
        call.close()
        asyncio.run(_drop(trunk_id))
    assert "challenged 407" in events, (
        events
    )  # the trunk demanded credentials, and the wrong ones got nowhere


def test_malformed_sip_crashes_nothing_and_the_next_call_is_served(
    sip_stack: SipStack, sip_worker: RunningWorker
) -> None:
    for name, message in MALFORMED.items():
        send_malformed(name, message, sip_stack.ports.sip)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        for size in (1, 64, 1400, 9000):
            udp.sendto(os.urandom(size), ("127.0.0.1", sip_stack.ports.sip))
    with socket.create_connection(("127.0.0.1", sip_stack.ports.sip), timeout=5) as tcp:
        tcp.sendall(b"INVITE sip:x SIP/2.0\r\nContent-Length: 99999999\r\n\r\n" + os.urandom(2048))
    time.sleep(0.5)
    assert sip_stack.sip.poll() is None, "livekit-sip died"
    assert sip_stack.server.process.poll() is None, "livekit-server died"

    call = SippCall(sip_stack.ports.sip).start()
    try:
        assert call.wait_answered(), f"the good call after the junk was not answered: {call.events()}"
        assert call.phone.wait_for_audible(time.monotonic() - 1, timeout=15) is not None
        call.hang_up()
        assert call.wait_ended(10) is not None
    finally:
        call.close()
