"""A scripted stand-in for the dialog engine: it acknowledges what the caller said.

It is the offline "brain" until the deterministic dialog engine lands; it is not an LLM
and says so in its provider name.
"""

from __future__ import annotations

import asyncio
import uuid

from livekit.agents import llm
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, NOT_GIVEN, APIConnectOptions, NotGivenOr

_CHUNK_WORDS = 3


def scripted_reply(user_text: str) -> str:
    heard = user_text.strip().rstrip(".?!")
    if not heard:
        return "Sorry, I didn't catch that. Could you say it again?"
    return f"I heard: {heard}. How else can I help?"


class ScriptedReplyLLM(llm.LLM):
    @property
    def model(self) -> str:
        return "scripted-reply"

    @property
    def provider(self) -> str:
        return "offline"

    def chat(
        self,
        *,
        chat_ctx: llm.ChatContext,
        tools: list[llm.Tool] | None = None,
        conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS,
        parallel_tool_calls: NotGivenOr[bool] = NOT_GIVEN,
        tool_choice: NotGivenOr[llm.ToolChoice] = NOT_GIVEN,
        extra_kwargs: NotGivenOr[dict] = NOT_GIVEN,
    ) -> llm.LLMStream:
        return _ScriptedStream(self, chat_ctx=chat_ctx, tools=tools or [], conn_options=conn_options)


def last_user_text(chat_ctx: llm.ChatContext) -> str:
    for item in reversed(chat_ctx.items):
        if item.type == "message" and item.role == "user":
            return item.text_content or ""
    return ""


class _ScriptedStream(llm.LLMStream):
    async def _run(self) -> None:
        request_id = uuid.uuid4().hex
        words = scripted_reply(last_user_text(self.chat_ctx)).split(" ")
        # Stream in small chunks, as a real LLM does, so TTS sentence splitting is exercised.
        for start in range(0, len(words), _CHUNK_WORDS):
            chunk = " ".join(words[start : start + _CHUNK_WORDS])
            if start + _CHUNK_WORDS < len(words):
                chunk += " "
            self._event_ch.send_nowait(
                llm.ChatChunk(id=request_id, delta=llm.ChoiceDelta(role="assistant", content=chunk))
            )
            await asyncio.sleep(0)
