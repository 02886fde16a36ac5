"""Offline text-to-speech: eSpeak NG, synthesised sentence by sentence."""

from __future__ import annotations

import asyncio
import uuid

from livekit.agents import tts
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, APIConnectOptions

from agent.providers.offline.espeak import EspeakEngine


class EspeakTTS(tts.TTS):
    """Non-streaming per request; the session's `tts.StreamAdapter` feeds it one sentence at a time,
    so the first sentence is heard before the rest of the reply is synthesised."""

    def __init__(self, *, voice: str = "en-us", words_per_minute: int = 175) -> None:
        self._engine = EspeakEngine.shared()
        super().__init__(
            capabilities=tts.TTSCapabilities(streaming=False),
            sample_rate=self._engine.sample_rate,
            num_channels=1,
        )
        self._voice = voice
        self._words_per_minute = words_per_minute

    @property
    def model(self) -> str:
        return "espeak-ng"

    @property
    def provider(self) -> str:
        return "offline"

    def synthesize(
        self, text: str, *, conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS
    ) -> tts.ChunkedStream:
        return _EspeakChunkedStream(tts=self, input_text=text, conn_options=conn_options)


class _EspeakChunkedStream(tts.ChunkedStream):
    def __init__(self, *, tts: EspeakTTS, input_text: str, conn_options: APIConnectOptions) -> None:
        super().__init__(tts=tts, input_text=input_text, conn_options=conn_options)
        self._espeak_tts = tts

    async def _run(self, output_emitter: tts.AudioEmitter) -> None:
        engine = self._espeak_tts._engine
        samples = await asyncio.to_thread(
            engine.synthesize,
            self.input_text,
            voice=self._espeak_tts._voice,
            words_per_minute=self._espeak_tts._words_per_minute,
        )
        output_emitter.initialize(
            request_id=uuid.uuid4().hex,
            sample_rate=engine.sample_rate,
            num_channels=1,
            mime_type="audio/pcm",
        )
        output_emitter.push(samples.tobytes())
        output_emitter.flush()
