"""Fast, rough interim transcripts from pocketsphinx's bundled English model (the first pass)."""

from __future__ import annotations

import threading

import numpy as np
from pocketsphinx import Decoder

SPHINX_SAMPLE_RATE = 16000


class SphinxPartials:
    """One utterance at a time: feed 16 kHz int16 audio, read the growing hypothesis."""

    def __init__(self) -> None:
        self._decoder = Decoder(samprate=SPHINX_SAMPLE_RATE, loglevel="FATAL")
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
