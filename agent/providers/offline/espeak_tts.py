"""Offline text-to-speech: eSpeak NG, synthesised sentence by sentence."""

from __future__ import annotations

import asyncio
import uuid

from livekit.agents import tts
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, APIConnectOptions

from agent.providers.offline.espeak import EspeakEngine

PUSH_CHUNK_S = 0.1
"""A sentence is handed on in pieces this long. LiveKit's transcript synchronizer estimates the
speaking rate of whatever audio it is given in one go, on the event loop: a whole sentence
at once held the loop for 60-80 ms just as the reply started, and the caller heard a gap."""


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
        chunk = max(1, int(PUSH_CHUNK_S * engine.sample_rate))
        for start in range(0, samples.size, chunk):
            output_emitter.push(samples[start : start + chunk].tobytes())
            await asyncio.sleep(0)  # let the reply's first frames reach the room in between
        output_emitter.flush()
