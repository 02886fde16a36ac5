"""Test doubles that hang like a stuck cloud provider, for failover tests. Never used in production.

They announce themselves ("Primary test double here."),
so a test can tell which link of a chain served a turn.
"""

from __future__ import annotations

import asyncio

from livekit.agents import llm, stt, tts, utils
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, NOT_GIVEN, APIConnectOptions, NotGivenOr

from agent.providers.offline.dialog.conversation import read_conversation

PRIMARY_MARKER = "Primary test double here."


def echo_reply(heard: str) -> str:
    heard = heard.strip().rstrip(".?!")
    return f"{PRIMARY_MARKER} I heard: {heard}." if heard else f"{PRIMARY_MARKER} I didn't catch that."


class HangingLLMTestDouble(llm.LLM):
    """Echoes what it heard, but never answers (holds the request open) when the caller's
    last words contain `hang_word`."""

    def __init__(self, *, hang_word: str) -> None:
        super().__init__()
        self.hang_word = hang_word.lower()
        self.hung_requests = 0

    @property
    def model(self) -> str:
        return "hanging-llm-test-double"

    @property
    def provider(self) -> str:
        return "test-double"

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
        return _HangingStream(self, chat_ctx=chat_ctx, tools=tools or [], conn_options=conn_options)


class _HangingStream(llm.LLMStream):
    async def _run(self) -> None:
        owner = self._llm
        assert isinstance(owner, HangingLLMTestDouble)
        heard = read_conversation(self.chat_ctx).last_user_text
        if owner.hang_word in heard.lower():
            owner.hung_requests += 1
            await asyncio.Event().wait()  # connected, silent, forever
        reply = echo_reply(heard)
        self._event_ch.send_nowait(
            llm.ChatChunk(id="test-double", delta=llm.ChoiceDelta(role="assistant", content=reply))
        )


class HangingTTSTestDouble(tts.TTS):
    """Accepts every synthesis request and never sends audio."""

    def __init__(self, *, sample_rate: int = 22050) -> None:
        super().__init__(
            capabilities=tts.TTSCapabilities(streaming=False), sample_rate=sample_rate, num_channels=1
        )

    def synthesize(
        self, text: str, *, conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS
    ) -> tts.ChunkedStream:
        return _SilentChunkedStream(tts=self, input_text=text, conn_options=conn_options)


class _SilentChunkedStream(tts.ChunkedStream):
    async def _run(self, output_emitter: tts.AudioEmitter) -> None:
        await asyncio.Event().wait()


class HangingSTTTestDouble(stt.STT):
    """A streaming STT that takes audio and never emits a transcript."""

    def __init__(self) -> None:
        super().__init__(capabilities=stt.STTCapabilities(streaming=True, interim_results=True))

    async def _recognize_impl(
        self,
        buffer: utils.AudioBuffer,
        *,
        language: NotGivenOr[str] = NOT_GIVEN,
        conn_options: APIConnectOptions,
    ) -> stt.SpeechEvent:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    def stream(
        self,
        *,
        language: NotGivenOr[str] = NOT_GIVEN,
        conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS,
    ) -> stt.RecognizeStream:
        return _SilentRecognizeStream(stt=self, conn_options=conn_options)


class _SilentRecognizeStream(stt.RecognizeStream):
    async def _run(self) -> None:
        async for _frame in self._input_ch:
            pass
