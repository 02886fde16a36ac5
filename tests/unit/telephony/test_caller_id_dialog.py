"""A phone call's caller ID on file: the offline dialog looks the caller up before asking who they are."""

from __future__ import annotations

from livekit.agents import AgentSession, llm

from agent.providers.offline.dialog.engine_llm import DialogEngineLLM
from agent.telephony.caller_id import CALLER_ID_NOTE
from tests.unit.dialog.test_engine_conversations import NOW, FrontDeskToolsTestDouble


async def _first_lookup(*, caller_id_on_file: bool) -> list[tuple[str, dict]]:  # type: ignore[type-arg]
    agent = FrontDeskToolsTestDouble()
    if caller_id_on_file:
        chat_ctx = llm.ChatContext()
        chat_ctx.add_message(role="system", content=CALLER_ID_NOTE)
        await agent.update_chat_ctx(chat_ctx)
    engine = DialogEngineLLM(clock=lambda: NOW)
    async with engine, AgentSession(llm=engine) as session:
        await session.start(agent)
        await session.run(user_input="Where is my technician?")
    return agent.calls


async def test_with_caller_id_the_lookup_comes_first_and_without_arguments() -> None:
    calls = await _first_lookup(caller_id_on_file=True)
    assert calls[0] == ("find_customer", {"phone": "", "name": "", "zip_code": ""})


async def test_without_caller_id_the_caller_is_asked() -> None:
    assert not [
        name for name, _args in await _first_lookup(caller_id_on_file=False) if name == "find_customer"
    ]
