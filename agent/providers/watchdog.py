"""Watchdogs that turn a hung provider (connected, but silent) into an error FallbackAdapter acts on.

LiveKit's FallbackAdapters fail over on errors, but `attempt_timeout` only bounds the
connection, so a provider that accepts a request and then never answers holds the turn
forever. Each wrapper here bounds the time to the provider's first output (and, for the
LLM, the gap between chunks) and raises `APITimeoutError`, which the adapter treats as a
failure: it switches to the next provider, probes the hung one in the background, and
switches back once a probe succeeds.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid

import numpy as np
from livekit import rtc
from livekit.agents import APITimeoutError, llm, stt, tts
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, NOT_GIVEN, APIConnectOptions, NotGivenOr

logger = logging.getLogger("voice_agent.providers.watchdog")

SPEECH_DBFS = -40.0
"""Energy above which pushed audio counts as speech a healthy STT must react to."""


class SpeaksForInner:
    """The wrapped provider's names, so logs, spans and fallback events show the real provider."""

    inner: llm.LLM | tts.TTS | stt.STT

    @property
    def model(self) -> str:
        return self.inner.model

    @property
    def provider(self) -> str:
        return self.inner.provider

    @property
    def label(self) -> str:
        return self.inner.label


class WatchdogLLM(SpeaksForInner, llm.LLM):
    def __init__(self, inner: llm.LLM, *, first_token_timeout: float, stall_timeout: float) -> None:
        super().__init__()
        self.inner = inner
        self.first_token_timeout = first_token_timeout
        self.stall_timeout = stall_timeout

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
        inner_stream = self.inner.chat(
            chat_ctx=chat_ctx,
            tools=tools,
            conn_options=conn_options,
            parallel_tool_calls=parallel_tool_calls,
            tool_choice=tool_choice,
            extra_kwargs=extra_kwargs,
        )
        return _WatchdogLLMStream(
            self, inner_stream, chat_ctx=chat_ctx, tools=tools or [], conn_options=conn_options
        )

    async def aclose(self) -> None:
        await self.inner.aclose()
        await super().aclose()


class _WatchdogLLMStream(llm.LLMStream):
    def __init__(
        self,
        owner: WatchdogLLM,
        inner: llm.LLMStream,
        *,
        chat_ctx: llm.ChatContext,
        tools: list[llm.Tool],
        conn_options: APIConnectOptions,
    ) -> None:
        super().__init__(owner, chat_ctx=chat_ctx, tools=tools, conn_options=conn_options)
        self._owner = owner
        self._inner = inner

    async def _run(self) -> None:
        deadline = self._owner.first_token_timeout
        chunks = aiter(self._inner)
        try:
            while True:
                try:
                    chunk = await asyncio.wait_for(anext(chunks), deadline)
                except StopAsyncIteration:
                    return
                except TimeoutError:
                    what = "first token" if deadline == self._owner.first_token_timeout else "next token"
                    raise APITimeoutError(
                        f"{self._owner.label} sent no {what} within {deadline:.2f}s", retryable=False
                    ) from None
                self._event_ch.send_nowait(chunk)
                deadline = self._owner.stall_timeout
        finally:
            await self._inner.aclose()


class WatchdogTTS(SpeaksForInner, tts.TTS):
    """Bounds the time from request to first audio; the inner TTS is used through `synthesize`."""

    def __init__(self, inner: tts.TTS, *, first_audio_timeout: float) -> None:
        super().__init__(
            capabilities=tts.TTSCapabilities(streaming=False),
            sample_rate=inner.sample_rate,
            num_channels=inner.num_channels,
        )
        self.inner = inner
        self.first_audio_timeout = first_audio_timeout

    def synthesize(
        self, text: str, *, conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS
    ) -> tts.ChunkedStream:
        return _WatchdogChunkedStream(self, input_text=text, conn_options=conn_options)

    async def aclose(self) -> None:
        await self.inner.aclose()


class _WatchdogChunkedStream(tts.ChunkedStream):
    def __init__(self, owner: WatchdogTTS, *, input_text: str, conn_options: APIConnectOptions) -> None:
        super().__init__(tts=owner, input_text=input_text, conn_options=conn_options)
        self._owner = owner

    async def _run(self, output_emitter: tts.AudioEmitter) -> None:
        output_emitter.initialize(
            request_id=uuid.uuid4().hex,
            sample_rate=self._owner.sample_rate,
            num_channels=self._owner.num_channels,
            mime_type="audio/pcm",
        )
        async with self._owner.inner.synthesize(
            self.input_text, conn_options=self._conn_options
        ) as inner_stream:
            frames = aiter(inner_stream)
            timeout: float | None = self._owner.first_audio_timeout
            while True:
                try:
                    audio = await asyncio.wait_for(anext(frames), timeout)
                except StopAsyncIteration:
                    break
                except TimeoutError:
                    raise APITimeoutError(
                        f"{self._owner.label} sent no audio within {timeout:.2f}s", retryable=False
                    ) from None
                timeout = None  # once audio flows, the inner provider's own timeouts apply
                output_emitter.push(bytes(audio.frame.data))
        output_emitter.flush()


class WatchdogSTT(SpeaksForInner, stt.STT):
    """Fails a streaming STT that hears speech (by energy) but emits no event in time."""

    def __init__(self, inner: stt.STT, *, response_timeout: float) -> None:
        super().__init__(capabilities=inner.capabilities)
        self.inner = inner
        self.response_timeout = response_timeout

    async def _recognize_impl(
        self,
        buffer: object,
        *,
        language: NotGivenOr[str] = NOT_GIVEN,
        conn_options: APIConnectOptions,
    ) -> stt.SpeechEvent:
        return await asyncio.wait_for(
            self.inner.recognize(buffer, language=language, conn_options=conn_options),  # type: ignore[arg-type]
            self.response_timeout,
        )

    def stream(
        self,
        *,
        language: NotGivenOr[str] = NOT_GIVEN,
        conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS,
    ) -> stt.RecognizeStream:
        return _WatchdogRecognizeStream(
            self, self.inner.stream(language=language, conn_options=conn_options), conn_options
        )

    async def aclose(self) -> None:
        await self.inner.aclose()


class _WatchdogRecognizeStream(stt.RecognizeStream):
    def __init__(
        self, owner: WatchdogSTT, inner: stt.RecognizeStream, conn_options: APIConnectOptions
    ) -> None:
        super().__init__(stt=owner, conn_options=conn_options)
        self._owner = owner
        self._inner = inner
        self._speech_heard_at: float | None = None
        """When speech energy arrived with no event from the inner STT since."""
        self._watchdog_error: APITimeoutError | None = None

    async def _run(self) -> None:
        forward = asyncio.create_task(self._forward_audio())
        watch = asyncio.create_task(self._watch())
        try:
            async for event in self._inner:
                self._speech_heard_at = None
                self._event_ch.send_nowait(event)
        finally:
            for task in (forward, watch):
                task.cancel()
            await asyncio.gather(forward, watch, return_exceptions=True)
            await self._inner.aclose()
        if self._watchdog_error is not None:
            raise self._watchdog_error

    async def _forward_audio(self) -> None:
        async for data in self._input_ch:
            if isinstance(data, rtc.AudioFrame):
                samples = np.frombuffer(data.data, dtype=np.int16)
                if self._speech_heard_at is None and samples.size:
                    rms = float(np.sqrt(np.mean(np.square(samples.astype(np.float64)))))
                    if 20 * np.log10(max(rms, 1e-6) / 32768.0) >= SPEECH_DBFS:
                        self._speech_heard_at = time.monotonic()
                self._inner.push_frame(data)
            else:
                self._inner.flush()
        self._inner.end_input()

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(0.05)
            heard = self._speech_heard_at
            if heard is not None and time.monotonic() - heard > self._owner.response_timeout:
                self._watchdog_error = APITimeoutError(
                    f"{self._owner.label} heard speech but sent nothing within "
                    f"{self._owner.response_timeout:.2f}s",
                    retryable=False,
                )
                # ends the event loop in _run, which then raises the error above
                await self._inner.aclose()
                return
