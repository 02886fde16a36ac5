"""Word timestamps on a received clip, with the offline faster-whisper model the project ships.

Run between calls, never during one: a decode takes a core for ~0.5 s and would slow the worker
being measured.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from evals.latency.answer_words import Word
from evals.latency.received_audio import RECORD_RATE, Clip

if TYPE_CHECKING:
    from faster_whisper import WhisperModel


class ClipWords:
    """Loads tiny.en once (agent/providers/offline/whisper_stt.py) and lists the words of clips."""

    def __init__(self) -> None:
        from agent.providers.offline.whisper_stt import load_whisper_model

        # both cores: nothing else is running while a clip is decoded
        self._model: WhisperModel = load_whisper_model(cpu_threads=2, workers=1)

    def words(self, clip: Clip) -> list[Word]:
        if clip.samples.size == 0:
            return []
        assert clip.rate == RECORD_RATE, "Whisper reads 16 kHz audio"
        audio = clip.samples.astype(np.float32) / 32768.0
        segments, _info = self._model.transcribe(
            audio,
            language="en",
            word_timestamps=True,
            beam_size=5,
            # each clip is one reply heard afresh: no carried-over text, no domain prompt that
            # could make Whisper "hear" words the agent never said
            condition_on_previous_text=False,
            vad_filter=False,
        )
        return [
            Word(word.word.strip(), float(word.start), float(word.end))
            for segment in segments
            for word in (segment.words or [])
            if word.word.strip()
        ]
