"""Both brains escalate through `transfer_to_human`: a cloud LLM (a named test double here) and
the offline dialog engine hand the call to the transfer agent on the first turn."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from livekit.agents import Agent, AgentSession, llm
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, APIConnectOptions

from agent.call_state import CallState
from agent.escalation.policy import Escalation, Trigger
from agent.front_desk import FrontDesk
from agent.providers.offline.dialog.engine_llm import DialogEngineLLM
from tests.unit.tools.test_tools_conversation import business
from tools.seed import seed
from tools.sqlite_store import SQLiteBackend


class ToolCallingLLMTestDouble(llm.LLM):
    """Stands in for a cloud LLM: answers every request with one call to `tool_name`."""

    def __init__(self, tool_name: str, arguments: dict[str, str]) -> None:
        super().__init__()
        self.tool_name, self.arguments = tool_name, arguments
        self.requests = 0

    def chat(self, *, chat_ctx: llm.ChatContext, tools: list[llm.Tool] | None = None,
             conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS, **_: object) -> llm.LLMStream:  # fmt: skip
        self.requests += 1
        return _OneToolCall(self, chat_ctx=chat_ctx, tools=tools or [], conn_options=conn_options)


class _OneToolCall(llm.LLMStream):
    async def _run(self) -> None:
        double = self._llm
        assert isinstance(double, ToolCallingLLMTestDouble)
        call = llm.FunctionToolCall(
            name=double.tool_name,
            arguments=json.dumps(double.arguments),
            call_id=f"call_{uuid.uuid4().hex[:8]}",
        )
        self._event_ch.send_nowait(
            llm.ChatChunk(id="r", delta=llm.ChoiceDelta(role="assistant", tool_calls=[call]))
        )


class HandoffMarker(Agent):
    """What the worker's transfer desk would be; here it only records that the handoff happened."""

    def __init__(self, escalation: Escalation) -> None:
        super().__init__(instructions="held", llm=None)
        self.escalation = escalation


async def _first_turn(brain: llm.LLM, said: str, tmp_path: Path) -> tuple[AgentSession, CallState]:
    store = SQLiteBackend(tmp_path / "store.db")
    seed(store, progress=lambda _: None)
    state = CallState(call_id="call-test")
    state.handoff = lambda escalation, _opening: HandoffMarker(escalation)
    session = AgentSession[CallState](llm=brain, userdata=state)
    await session.start(FrontDesk(greeting="Hello.", business=business(store)))
    await session.run(user_input=said)
    return session, state


async def test_a_cloud_llm_calling_transfer_to_human_hands_off(tmp_path: Path) -> None:
    double = ToolCallingLLMTestDouble("transfer_to_human", {"reason": "caller wants a person"})
    session, state = await _first_turn(double, "Can I speak to someone please?", tmp_path)
    try:
        assert isinstance(session.current_agent, HandoffMarker)
        assert session.current_agent.escalation.trigger is Trigger.CALLER_ASKED
        assert state.policy.escalation is session.current_agent.escalation
    finally:
        await session.aclose()


async def test_a_manager_request_goes_to_the_supervisor_tier_first(tmp_path: Path) -> None:
    double = ToolCallingLLMTestDouble("transfer_to_human", {"reason": "wants the manager"})
    session, _state = await _first_turn(double, "Get me your manager", tmp_path)
    try:
        assert isinstance(session.current_agent, HandoffMarker)
        assert session.current_agent.escalation.first_tier == "supervisor"
    finally:
        await session.aclose()


async def test_the_offline_engine_transfers_a_person_request_on_the_first_turn(tmp_path: Path) -> None:
    session, _state = await _first_turn(DialogEngineLLM(), "I want to talk to a person", tmp_path)
    try:
        assert isinstance(session.current_agent, HandoffMarker)
        assert session.current_agent.escalation.trigger is Trigger.CALLER_ASKED
    finally:
        await session.aclose()


async def test_an_emergency_hands_off_with_priority_and_the_safety_instruction(tmp_path: Path) -> None:
    openings: list[str] = []
    store = SQLiteBackend(tmp_path / "store.db")
    seed(store, progress=lambda _: None)
    state = CallState(call_id="call-test")

    def _handoff(escalation: Escalation, opening: str) -> Agent:
        openings.append(opening)
        return HandoffMarker(escalation)

    state.handoff = _handoff
    tickets_before = store.count("tickets")
    async with DialogEngineLLM() as brain, AgentSession[CallState](llm=brain, userdata=state) as session:
        await session.start(FrontDesk(greeting="Hello.", business=business(store)))
        await session.run(user_input="I smell gas in the kitchen")
        assert isinstance(session.current_agent, HandoffMarker)
        assert session.current_agent.escalation.emergency
    assert openings and openings[0].startswith("Please leave the house now")
    assert store.count("tickets") == tickets_before + 1  # the emergency ticket, once
