"""The offline stack's models, loaded once per process and shared by every call it runs.

livekit-agents 1.8.9 runs the prewarm once per job executor, and with the thread executor that
is once per call, into the one worker process: each call loaded its own Whisper, Silero and
pocketsphinx (~173 MB a thread, measured). Here each model is loaded at most once per process.

What may run concurrently, and what may not:

- **Silero**: one ONNX session; onnxruntime runs a session from several threads at once. Each
  call still gets its own `silero.VAD` object on it, because a VAD emits its streams' metrics to
  whoever listens on it: one VAD shared by two sessions would report each call's VAD to both.
- **Whisper**: one CTranslate2 model, and one decode lock per model (`whisper_stt.decode_lock`):
  `ShortWindowDecoder` is not safe to run from two threads, so calls in one process take turns
  at decoding.
- **pocketsphinx**: a decoder holds one utterance's search, so it cannot be shared; decoders are
  lent to one stream at a time (`take_partials` / `give_back_partials`) and reused by the next.
"""

from __future__ import annotations

import threading
from dataclasses import replace

from faster_whisper import WhisperModel
from livekit.plugins import silero

from agent.providers.offline.sphinx_partials import SphinxPartials
from agent.providers.offline.whisper_stt import load_whisper_model

_loading = threading.Lock()
"""Held while a model loads: two thread executors warming at once load it once, not twice."""
_whisper: WhisperModel | None = None
_silero: silero.VAD | None = None
_spare_partials: list[SphinxPartials] = []
_spares_lock = threading.Lock()


def whisper_model() -> WhisperModel:
    global _whisper
    with _loading:
        if _whisper is None:
            _whisper = load_whisper_model()
        return _whisper


def call_vad(min_silence_duration: float) -> silero.VAD:
    """A Silero VAD for one call, on the process's one ONNX session."""
    global _silero
    with _loading:
        if _silero is None:
            _silero = silero.VAD.load(min_silence_duration=min_silence_duration)
        template = _silero
    options = replace(template._opts, min_silence_duration=min_silence_duration)
    return silero.VAD(session=template._onnx_session, opts=options)


def keep_spare_partials() -> None:
    """Load one pocketsphinx decoder ahead of the first offline stream, unless one is waiting."""
    with _spares_lock:
        if _spare_partials:
            return
    spare = SphinxPartials()  # ~0.3 s of CPU: outside the lock
    give_back_partials(spare)


def take_partials() -> SphinxPartials | None:
    """A decoder no stream is using, or None (the caller loads one, off the event loop)."""
    with _spares_lock:
        return _spare_partials.pop() if _spare_partials else None


def give_back_partials(partials: SphinxPartials) -> None:
    partials.stop()
    with _spares_lock:
        _spare_partials.append(partials)
