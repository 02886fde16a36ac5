"""The real OpenAI LLM plugin against OpenAIChatStandIn: streamed text, tool-call deltas, each wire fault."""

from __future__ import annotations

import json

import pytest
from livekit.agents import APIConnectionError, APIStatusError, APITimeoutError, llm
from livekit.agents.types import APIConnectOptions
from livekit.plugins import openai

from agent.providers.watchdog import WatchdogLLM
from tests.unit.standins.conftest import Served

NO_RETRY = APIConnectOptions(max_retry=0, timeout=3.0)


@llm.function_tool
async def transfer_to_human(reason: str) -> str:
    """Hand the call to a person.

    Args:
        reason: why the call needs a person
    """
    return "ok"


def _plugin(served: Served) -> openai.LLM:
    return openai.LLM(model="gpt-4.1-mini", api_key="test-double", base_url=f"{served.url}/v1")


def _context(said: str) -> llm.ChatContext:
    ctx = llm.ChatContext.empty()
    ctx.add_message(role="system", content="You are the front desk.")
    ctx.add_message(role="user", content=said)
    return ctx


async def _chunks(stream: llm.LLMStream) -> list[llm.ChatChunk]:
    async with stream:
        return [chunk async for chunk in stream]


async def test_a_greeting_streams_the_dialog_engines_reply_with_usage(standins: Served) -> None:
    plugin = _plugin(standins)
    chunks = await _chunks(plugin.chat(chat_ctx=_context("Hello there."), conn_options=NO_RETRY))
    text = "".join(c.delta.content or "" for c in chunks if c.delta)
    assert text == "Hi! How can I help you today?"
    assert len([c for c in chunks if c.delta and c.delta.content]) > 1, "streamed in several deltas"
    usage = [c.usage for c in chunks if c.usage]
    assert usage and usage[0].completion_tokens > 0
    assert list(standins.state.recent_replies) == [text]
    await plugin.aclose()


async def test_asking_for_a_person_is_a_streamed_tool_call(standins: Served) -> None:
    plugin = _plugin(standins)
    chunks = await _chunks(
        plugin.chat(
            chat_ctx=_context("Can I talk to a real person please?"),
            tools=[transfer_to_human],
            conn_options=NO_RETRY,
        )
    )
    calls = [call for c in chunks if c.delta for call in c.delta.tool_calls]
    assert [call.name for call in calls] == ["transfer_to_human"]
    assert json.loads(calls[0].arguments)["reason"]
    assert calls[0].call_id.startswith("call_")
    assert list(standins.state.recent_tool_calls) == ["transfer_to_human"]
    await plugin.aclose()


async def test_without_the_tool_the_same_request_gets_words(standins: Served) -> None:
    plugin = _plugin(standins)
    chunks = await _chunks(
        plugin.chat(chat_ctx=_context("Can I talk to a real person please?"), conn_options=NO_RETRY)
    )
    assert not [call for c in chunks if c.delta for call in c.delta.tool_calls]
    assert "".join(c.delta.content or "" for c in chunks if c.delta)
    await plugin.aclose()


@llm.function_tool
async def report_emergency(kind: str, details: str | None = None) -> str:
    """Report an emergency.

    Args:
        kind: gas_smell, flooding or sparking
        details: what the caller said
    """
    return "ok"


async def test_an_emergency_is_a_tool_call_and_its_result_is_read_back(standins: Served) -> None:
    plugin = _plugin(standins)
    ctx = _context("I smell gas in the kitchen.")
    chunks = await _chunks(plugin.chat(chat_ctx=ctx, tools=[report_emergency], conn_options=NO_RETRY))
    (call,) = [call for c in chunks if c.delta for call in c.delta.tool_calls]
    # a strict schema lists every parameter: the optional one the engine left out comes back as null
    assert call.name == "report_emergency" and set(json.loads(call.arguments)) == {"kind", "details"}
    ctx.items.append(llm.FunctionCall(call_id=call.call_id, name=call.name, arguments=call.arguments))
    ctx.items.append(
        llm.FunctionCallOutput(
            call_id=call.call_id, name=call.name, output="{'say': 'Leave the house now.'}", is_error=False
        )
    )
    chunks = await _chunks(plugin.chat(chat_ctx=ctx, tools=[report_emergency], conn_options=NO_RETRY))
    assert "".join(c.delta.content or "" for c in chunks if c.delta) == "Leave the house now."
    await plugin.aclose()


async def test_5xx_is_a_status_error(standins: Served) -> None:
    standins.state.faults.set("llm", "5xx")
    plugin = _plugin(standins)
    with pytest.raises(APIStatusError) as raised:
        await _chunks(plugin.chat(chat_ctx=_context("Hello there."), conn_options=NO_RETRY))
    assert raised.value.status_code == 500
    await plugin.aclose()


async def test_disconnect_mid_stream_is_a_connection_error_after_the_first_token(standins: Served) -> None:
    standins.state.faults.set("llm", "disconnect")
    plugin = _plugin(standins)
    received: list[llm.ChatChunk] = []
    with pytest.raises(APIConnectionError):
        async with plugin.chat(chat_ctx=_context("Hello there."), conn_options=NO_RETRY) as stream:
            async for chunk in stream:
                received.append(chunk)
    assert "".join(c.delta.content or "" for c in received if c.delta) == "Hi!"
    await plugin.aclose()


@pytest.mark.parametrize("fault", ["hang", "slow-drip"])
async def test_a_hung_or_trickling_llm_trips_the_watchdog(standins: Served, fault: str) -> None:
    standins.state.faults.set("llm", fault)
    watched = WatchdogLLM(_plugin(standins), first_token_timeout=0.5, stall_timeout=0.3)
    with pytest.raises(APITimeoutError) as raised:
        await _chunks(watched.chat(chat_ctx=_context("Hello there."), conn_options=NO_RETRY))
    assert ("first token" in str(raised.value)) == (fault == "hang")
    await watched.aclose()
