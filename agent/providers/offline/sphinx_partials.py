"""Fast, rough interim transcripts from pocketsphinx's bundled English model (the first pass)."""

from __future__ import annotations

import threading

import numpy as np
from pocketsphinx import Decoder

SPHINX_SAMPLE_RATE = 16000
SEARCH_SETTINGS: dict[str, float | int | bool] = {
    "lw": 2.0,
    "wip": 5.0,
    "ds": 2,
    "topn": 2,
    "maxwpf": 5,
    "beam": 1e-20,
    "wbeam": 1e-15,
    "pbeam": 1e-20,
    "maxhmmpf": 1500,
    # no second pass at the end of an utterance: nobody reads sphinx's final (Whisper writes it),
    # and the pass held the event loop ~90 ms at every end of speech, before the final's decode
    "fwdflat": False,
    "bestpath": False,
}
"""pocketsphinx's defaults hold a word back until the language model agrees (first partial p95
1.3 s after onset on the generated test set) and cost ~0.9x real time on one core. A low language
weight with a high word-insertion penalty commits the first word early, but widens the search to
~4x real time, which starves the VAD on a 2-core machine; narrow beams, half-rate frames (ds=2)
and a cap on active HMMs bring it to ~0.06x real time. Partials get rougher; they are only
interims, and Whisper writes the finals."""


NARROWBAND_RATE = 8000
HIGH_BAND_FLOOR_DBFS = -50.0
"""Telephone audio upsampled to 16 kHz has nothing above 4 kHz, which pocketsphinx's wideband
model never heard in training: it holds the first word back (p95 426 ms after onset on the clean
8 kHz clips of the generated test set). A faint noise floor up there, as any real wideband line
has, brings that to 234 ms. -60 and -40 dBFS did worse (298 ms). Only the interims hear it."""


class HighBandFloor:
    """Adds a faint 4-8 kHz noise floor to 16 kHz audio that came from a narrowband line."""

    def __init__(self, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        white = rng.standard_normal(SPHINX_SAMPLE_RATE)  # one second, played round and round
        spectrum = np.fft.rfft(white)
        spectrum[np.fft.rfftfreq(white.size, 1 / SPHINX_SAMPLE_RATE) < NARROWBAND_RATE / 2] = 0
        noise = np.fft.irfft(spectrum, white.size)
        self._noise = noise / np.sqrt(np.mean(noise**2)) * 32768 * 10 ** (HIGH_BAND_FLOOR_DBFS / 20)
        self._offset = 0

    def add(self, samples: np.ndarray) -> np.ndarray:
        indices = (self._offset + np.arange(samples.size)) % self._noise.size
        self._offset = (self._offset + samples.size) % self._noise.size
        return np.clip(samples + self._noise[indices], -32768, 32767).astype(np.int16)


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
