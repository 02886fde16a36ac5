"""In-process eSpeak NG synthesis through the library shipped by the espeakng-loader wheel."""

from __future__ import annotations

import ctypes
import threading

import espeakng_loader
import numpy as np

# espeak_AUDIO_OUTPUT.AUDIO_OUTPUT_SYNCHRONOUS: espeak_Synth returns only after every
# sample went through the callback, which keeps the engine usable from a worker thread.
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_ESPEAK_RATE = 1
_ESPEAK_PITCH = 3
_ESPEAK_CHARS_UTF8 = 1
_POS_CHARACTER = 1

_SynthCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


class EspeakError(RuntimeError):
    """The eSpeak NG library could not be loaded or refused a request."""


class EspeakEngine:
    """One process-wide eSpeak NG instance; the C library keeps global state, so calls are serialised."""

    _instance: EspeakEngine | None = None
    _instance_lock = threading.Lock()

    def __init__(self) -> None:
        try:
            self._lib = ctypes.CDLL(espeakng_loader.get_library_path())
        except OSError as exc:
            raise EspeakError(f"cannot load the eSpeak NG library: {exc}") from exc
        data_path = espeakng_loader.get_data_path().encode()
        rate = self._lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data_path, 0)
        if rate <= 0:
            raise EspeakError(f"eSpeak NG failed to initialise (code {rate})")
        self.sample_rate: int = int(rate)
        self._lock = threading.Lock()
        self._chunks: list[np.ndarray] = []
        # Keep a reference: ctypes callbacks are freed with their Python object.
        self._callback = _SynthCallback(self._on_samples)
        self._lib.espeak_SetSynthCallback(self._callback)
        self._lib.espeak_Synth.argtypes = [
            ctypes.c_char_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]

    @classmethod
    def shared(cls) -> EspeakEngine:
        with cls._instance_lock:
            if cls._instance is None:
                cls._instance = cls()
            return cls._instance

    def _on_samples(self, wav: ctypes.Array, num_samples: int, _events: int) -> int:
        if num_samples > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(num_samples,)).copy())
        return 0  # 0 = keep synthesising

    def synthesize(
        self, text: str, *, voice: str = "en-us", words_per_minute: int = 175, pitch: int = 50
    ) -> np.ndarray:
        """Return int16 mono samples at `self.sample_rate` for `text`."""
        encoded = text.encode("utf-8") + b"\0"
        with self._lock:
            if self._lib.espeak_SetVoiceByName(voice.encode()) != 0:
                raise EspeakError(f"unknown eSpeak NG voice {voice!r}")
            self._lib.espeak_SetParameter(_ESPEAK_RATE, int(words_per_minute), 0)
            self._lib.espeak_SetParameter(_ESPEAK_PITCH, int(pitch), 0)
            self._chunks = []
            status = self._lib.espeak_Synth(
                encoded, len(encoded), 0, _POS_CHARACTER, 0, _ESPEAK_CHARS_UTF8, None, None
            )
            if status != 0:
                raise EspeakError(f"eSpeak NG could not synthesise (code {status})")
            chunks, self._chunks = self._chunks, []
        if not chunks:
            return np.zeros(0, dtype=np.int16)
        return np.concatenate(chunks).astype(np.int16, copy=False)
