"""SIP_COLD_TRANSFER_TO: a phone caller who asks for a person is REFERred to the business's number."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest
from livekit import api

from agent.livekit_api import server_api
from tests.e2e.sip.conftest import SipStack
from tests.e2e.sip.sipp import SippCall
from tests.integration.conftest import RunningWorker, launch_worker

COLD_NUMBER = "+15550155"
TRANSFER_TO = "sip:+15550123@127.0.0.1:5999"


@pytest.fixture(scope="module")
def cold_worker(sip_stack: SipStack) -> Iterator[RunningWorker]:
    """A second worker, set for cold transfer, reached through its own number's trunk and rule."""
    worker = launch_worker(
        sip_stack.server.ports.url, WORKER_NUM_IDLE_PROCESSES="1", SIP_COLD_TRANSFER_TO=TRANSFER_TO
    )
    created: list[tuple[str, str]] = []

    async def _route() -> None:
        lkapi = server_api(sip_stack.settings())
        try:
            trunk = await lkapi.sip.create_inbound_trunk(
                api.CreateSIPInboundTrunkRequest(
                    trunk=api.SIPInboundTrunkInfo(
                        name="cold transfer test", numbers=[COLD_NUMBER], allowed_addresses=["127.0.0.1/32"]
                    )
                )
            )
            created.append(("trunk", trunk.sip_trunk_id))
            rule = await lkapi.sip.create_dispatch_rule(
                api.CreateSIPDispatchRuleRequest(
                    dispatch_rule=api.SIPDispatchRuleInfo(
                        name="cold transfer test",
                        trunk_ids=[trunk.sip_trunk_id],
                        rule=api.SIPDispatchRule(
                            dispatch_rule_individual=api.SIPDispatchRuleIndividual(room_prefix="cold-")
                        ),
                        room_config=api.RoomConfiguration(
                            agents=[api.RoomAgentDispatch(agent_name=worker.agent_name)]
                        ),
                    )
                )
            )
            created.append(("rule", rule.sip_dispatch_rule_id))
        finally:
            await lkapi.aclose()

    async def _unroute() -> None:
        lkapi = server_api(sip_stack.settings())
        try:
            for kind, ident in reversed(created):
                if kind == "rule":
                    await lkapi.sip.delete_dispatch_rule(
                        api.DeleteSIPDispatchRuleRequest(sip_dispatch_rule_id=ident)
                    )
                else:
                    await lkapi.sip.delete_trunk(api.DeleteSIPTrunkRequest(sip_trunk_id=ident))
        finally:
            await lkapi.aclose()

    try:
        worker.wait_for_log("registered worker", timeout=90)
        asyncio.run(_route())
        yield worker
    finally:
        worker.stop()
        asyncio.run(_unroute())


def test_pressing_zero_refers_the_call_to_the_business_number(
    sip_stack: SipStack, cold_worker: RunningWorker
) -> None:
    call = SippCall(sip_stack.ports.sip, callee=COLD_NUMBER).start()
    try:
        assert call.wait_answered(), f"no 200 OK: {call.events()}"
        greeting_at = call.phone.wait_for_audible(time.monotonic() - 1, timeout=15)
        assert greeting_at is not None
        call.phone.wait_for_quiet(greeting_at, quiet_s=1.0, timeout=20)
        call.phone.press("0")
        refer = call.wait_for_event("refer", timeout=20)
        assert refer is not None, f"no REFER reached the phone: {call.events()}"
        assert "+15550123" in refer
        cold_worker.wait_for_log("cold transfer", timeout=10)
        call.hang_up()
        call.wait_ended(10)
    finally:
        call.close()
