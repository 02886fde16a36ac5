"""A streaming front for request-per-sentence voices: every piece's synthesis starts as soon as its text is in.

LiveKit's `tts.StreamAdapter` asks for a sentence's audio only once the sentence before has been
received whole, so with a cloud voice (first audio 400-800 ms a request) each sentence after the
first waited that long again, and a reply that opened with a short acknowledgement left the
caller ~1 s in silence before the answer itself. Here each piece (agent/replies/reply_splitter.py)
is requested the moment the splitter hands it over, up to `lookahead` requests at once, and the
audio is still handed on strictly in order.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from livekit import rtc
from livekit.agents import tts, utils
from livekit.agents.tts.stream_adapter import StreamAdapterWrapper
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, APIConnectOptions
from livekit.agents.voice.io import TimedString

from agent.replies.reply_splitter import ReplySplitter

LOOKAHEAD = 3
"""Pieces synthesized at once: the one playing and the next two, so a short piece never waits."""


class PipelinedTTS(tts.StreamAdapter):
    """`tts.StreamAdapter` with the pieces' requests overlapped instead of one after another."""

    def __init__(
        self, inner: tts.TTS, *, lookahead: int = LOOKAHEAD, first_clause_min_words: int = 3
    ) -> None:
        super().__init__(tts=inner)
        self.inner = inner
        self.lookahead = lookahead
        self.first_clause_min_words = first_clause_min_words

    def stream(
        self, *, conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS
    ) -> StreamAdapterWrapper:
        return _PipelinedStream(tts=self, conn_options=conn_options)


class _Piece:
    """One piece of text, its synthesis running in the background and its frames kept in order."""

    def __init__(
        self, text: str, engine: tts.TTS, conn_options: APIConnectOptions, limiter: asyncio.Semaphore
    ) -> None:
        self.text = text
        self._frames = utils.aio.Chan[rtc.AudioFrame]()
        self.task = asyncio.create_task(
            self._synthesize(engine, conn_options, limiter), name="PipelinedTTS.piece"
        )

    async def _synthesize(
        self, engine: tts.TTS, conn_options: APIConnectOptions, limiter: asyncio.Semaphore
    ) -> None:
        try:
            if not self.text.strip():
                return
            async with limiter, engine.synthesize(self.text.strip(), conn_options=conn_options) as stream:
                async for audio in stream:
                    self._frames.send_nowait(audio.frame)
        finally:
            self._frames.close()

    async def frames(self) -> AsyncIterator[rtc.AudioFrame]:
        async for frame in self._frames:
            yield frame
        await self.task  # a failed synthesis fails the reply, as it would in LiveKit's adapter


class _PipelinedStream(StreamAdapterWrapper):
    _tts: PipelinedTTS

    async def _run(self, output_emitter: tts.AudioEmitter) -> None:
        output_emitter.initialize(
            request_id=utils.shortuuid(),
            sample_rate=self._tts.sample_rate,
            num_channels=self._tts.num_channels,
            mime_type="audio/pcm",
            stream=True,
        )
        output_emitter.start_segment(segment_id=utils.shortuuid())
        splitter = ReplySplitter(first_clause_min_words=self._tts.first_clause_min_words)
        limiter = asyncio.Semaphore(self._tts.lookahead)
        pieces = utils.aio.Chan[_Piece]()
        started: list[_Piece] = []

        def _start(texts: list[str]) -> None:
            for text in texts:
                piece = _Piece(text, self._tts.inner, self._wrapped_tts_conn_options, limiter)
                started.append(piece)
                pieces.send_nowait(piece)

        async def _forward_input() -> None:
            async for data in self._input_ch:
                _start(splitter.flush() if isinstance(data, self._FlushSentinel) else splitter.push(data))
            _start(splitter.flush())
            pieces.close()

        async def _emit() -> None:
            duration = 0.0
            async for piece in pieces:
                # the transcript synchronizer paces the captions on these timed pieces
                output_emitter.push_timed_transcript(TimedString(text=piece.text, start_time=duration))
                if piece.text.strip():
                    self._mark_started()
                async for frame in piece.frames():
                    output_emitter.push_frame(frame)
                    duration += frame.duration
                output_emitter.flush()

        tasks = [
            asyncio.create_task(_forward_input(), name="PipelinedTTS.forward_input"),
            asyncio.create_task(_emit(), name="PipelinedTTS.emit"),
        ]
        try:
            await asyncio.gather(*tasks)
        finally:
            await utils.aio.cancel_and_wait(*tasks, *(piece.task for piece in started))
            for piece in started:
                if piece.task.done() and not piece.task.cancelled():
                    with contextlib.suppress(BaseException):
                        piece.task.exception()  # retrieved: an interrupted reply's failures are moot
