"""Fast, rough interim transcripts from pocketsphinx's bundled English model (the first pass)."""

from __future__ import annotations

import threading

import numpy as np
from pocketsphinx import Decoder

SPHINX_SAMPLE_RATE = 16000
SEARCH_SETTINGS: dict[str, float | int] = {
    "lw": 2.0,
    "wip": 5.0,
    "ds": 2,
    "topn": 2,
    "maxwpf": 5,
    "beam": 1e-20,
    "wbeam": 1e-15,
    "pbeam": 1e-20,
    "maxhmmpf": 1500,
}
"""pocketsphinx's defaults hold a word back until the language model agrees (first partial p95
1.3 s after onset on the generated test set) and cost ~0.9x real time on one core. A low language
weight with a high word-insertion penalty commits the first word early, but widens the search to
~4x real time, which starves the VAD on a 2-core machine; narrow beams, half-rate frames (ds=2)
and a cap on active HMMs bring it to ~0.06x real time. Partials get rougher; they are only
interims, and Whisper writes the finals."""


class SphinxPartials:
    """One utterance at a time: feed 16 kHz int16 audio, read the growing hypothesis."""

    def __init__(self) -> None:
        self._decoder = Decoder(samprate=SPHINX_SAMPLE_RATE, loglevel="FATAL", **SEARCH_SETTINGS)
        self._lock = threading.Lock()
        self._in_utterance = False

    def start(self) -> None:
        with self._lock:
            if self._in_utterance:
                self._decoder.end_utt()
            self._decoder.start_utt()
            self._in_utterance = True

    def feed(self, samples: np.ndarray) -> str:
        """Decode more audio of the current utterance and return the hypothesis so far."""
        with self._lock:
            if not self._in_utterance or samples.size == 0:
                return ""
            self._decoder.process_raw(samples.astype(np.int16).tobytes(), False, False)
            hypothesis = self._decoder.hyp()
            return hypothesis.hypstr if hypothesis is not None else ""

    def stop(self) -> None:
        with self._lock:
            if self._in_utterance:
                self._decoder.end_utt()
                self._in_utterance = False
