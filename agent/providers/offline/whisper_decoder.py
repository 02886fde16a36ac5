"""One Whisper decode of one utterance, on a shorter encoder window than Whisper's 30 s.

faster-whisper's `transcribe` always pads the audio to Whisper's 30 s window, and the encoder
pass over 3,000 mel frames costs ~510 ms on this 2-core CPU however short the utterance.
CTranslate2's encoder accepts a shorter window, so utterances that fit are decoded on a 15 s
window instead: ~210 ms for a whole decode of a short utterance (the decoder's ~8 ms a token
dominates). Measured on the generated test set plus 28 short call phrases ("Yes please",
"Hello there"), beam 5: WER 17% on the clips and 14% on the phrases with 15 s, 21% and 18% with
10 s (which read "Hello there" as "below nearest"), 20% and 18% with 30 s. Windows cut to
the utterance's own length make tiny.en hallucinate. Rechecked this session, whole clips, beam
5: sentences 16% (15 s) vs 14% (10 s), 24 call phrases 32% vs 33%; streamed through `bench stt`
the 10 s window gave 19% against 16%, so 15 s stays (10 s saves ~60 ms a decode).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

import ctranslate2
import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.tokenizer import Tokenizer
from faster_whisper.transcribe import get_compression_ratio, get_suppressed_tokens

from agent.audio import resample
from agent.providers.offline.whisper_words import HeardWord, heard_words

logger = logging.getLogger(__name__)

WHISPER_SAMPLE_RATE = 16000
SAMPLES_PER_FRAME = 160
"""Whisper's mel hop: 100 frames a second."""
SHORT_WINDOW_FRAMES = 1500
"""The 15 s encoder window used for every utterance that fits it (with a margin of silence)."""
FULL_WINDOW_FRAMES = 3000
MARGIN_FRAMES = 50
RENDERINGS_AT_ONCE = 2
MAX_NEW_TOKENS = 96
"""Far more than an utterance says in one 15 s window; bounds the cost of a decode that loops."""
LOOPING_COMPRESSION_RATIO = 2.4
MIN_REPEATED_WORDS = 3
"""A reading said twice over is collapsed only when the repeated phrase is this long: "no, no"
stays as the caller said it."""
NO_SPEECH_PROBABILITY = 0.6
LOW_AVERAGE_LOGPROB = -1.0
"""faster-whisper's own silence rule: both together mean the window held no speech."""


@dataclass(frozen=True)
class Decoded:
    text: str
    no_speech_probability: float
    average_logprob: float
    words: tuple[HeardWord, ...] = ()
    """The words of `text` with Whisper's confidence in each (`whisper_words.py`); empty when
    they could not be lined up with the text."""
    tokens: tuple[int, ...] = field(default=(), repr=False, compare=False)
    """Every text token of the reading, the forced `said_before` ones included."""

    @property
    def looping(self) -> bool:
        """faster-whisper's own rule: text that gzip shrinks this much is a repetition loop."""
        return bool(self.text) and get_compression_ratio(self.text) > LOOPING_COMPRESSION_RATIO


def said_once(text: str) -> str:
    """Whisper's other loop: the whole reading said two or more times over ("I need a plumber
    tomorrow. I need a plumber tomorrow."), which the compression-ratio rule lets through. Seen
    on the generated 8 kHz clips; one copy is what the caller said."""
    words = text.split()
    keys = [re.sub(r"[^\w']", "", word.lower()) for word in words]
    for size in range(MIN_REPEATED_WORDS, len(words) // 2 + 1):
        if len(words) % size == 0 and all(keys[i] == keys[i % size] for i in range(len(words))):
            return " ".join(words[:size]).rstrip(",;")
    return text


def most_trusted(readings: list[Decoded]) -> Decoded:
    """Words over silence, then a reading that does not loop, then the surest one."""
    return max(
        readings, key=lambda reading: (bool(reading.text), not reading.looping, reading.average_logprob)
    )


def widen_telephone_band(samples: np.ndarray, resampled: np.ndarray) -> np.ndarray:
    """8 kHz int16 `samples` → 16 kHz float32 with the 0-4 kHz band mirrored into 4-8 kHz;
    `resampled` is the same audio already resampled to 16 kHz (float32, full scale 1.0).

    A clean resampler leaves 4-8 kHz empty, where Whisper looks for fricatives ("s", "f", "sh").
    Half of the upsampled signal is zero-stuffed instead of filtered, so its spectral image
    (spectral folding, the oldest bandwidth-extension trick) puts a mirror of the telephone band
    there.
    """
    stuffed = np.zeros(samples.size * 2, np.float32)
    stuffed[::2] = samples.astype(np.float32) * (2 / 32768.0)
    length = min(resampled.size, stuffed.size)
    return 0.5 * resampled[:length] + 0.5 * stuffed[:length]


def to_whisper_inputs(samples: np.ndarray, sample_rate: int) -> list[np.ndarray]:
    """int16 mono at any rate → the float32 16 kHz renderings Whisper decodes side by side.

    Telephone audio (8 kHz) gets two: plainly resampled, and with its band widened. Neither
    wins on its own (on the generated 8 kHz clips the widened one is better in noise, the plain
    one on clean lines), but the one Whisper is surer of (higher average log-probability) is
    right more often than either: WER 35% plain, 32% widened, 25% picked. The two decode side
    by side on two CTranslate2 workers, so a telephone final costs about what a wideband one
    does on a 2-core machine.
    """
    plain = resample(samples, sample_rate, WHISPER_SAMPLE_RATE).astype(np.float32) / 32768.0
    if sample_rate == 8000:
        return [plain, widen_telephone_band(samples, plain)]
    return [plain]


class ShortWindowDecoder:
    """Greedy (or beam) decode of one utterance. Not thread-safe: callers hold a lock."""

    def __init__(self, model: WhisperModel, *, prompt: str, beam_size: int = 5) -> None:
        self._model = model
        self._tokenizer = Tokenizer(
            model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language="en"
        )
        tokenizer = self._tokenizer
        prompt_tokens = tokenizer.encode(" " + prompt.strip()) if prompt else []
        self._prompt = (
            ([tokenizer.sot_prev, *prompt_tokens] if prompt_tokens else [])
            + list(tokenizer.sot_sequence)
            + [tokenizer.no_timestamps]
        )
        self._suppress = get_suppressed_tokens(tokenizer, [-1])
        self._beam_size = beam_size
        self._renderings = ThreadPoolExecutor(max_workers=RENDERINGS_AT_ONCE, thread_name_prefix="whisper")
        """Each rendering of a telephone utterance goes to its own CTranslate2 worker
        (`load_whisper_model(workers=2)`), so the two decode side by side, one core each."""

    def decode(
        self,
        audios: list[np.ndarray],
        *,
        said_before: str = "",
        still_wanted: Callable[[], bool] = lambda: True,
    ) -> Decoded | None:
        """Decode renderings of one utterance (float32 16 kHz mono, each at most 30 s; longer
        audio is cut to its first 30 s) side by side; the most confident reading wins.

        None when `still_wanted()` turns False by the time the encoder is done: CTranslate2
        cannot stop a decode part-way, but a guess the caller has already spoken past is
        abandoned before its token search (about half the cost), so the decode that matters
        starts sooner.

        `said_before` is what an earlier final already took from the start of this audio (the
        caller paused, then went on). Whisper is made to begin its reading with those words, so
        the rest is read with the whole utterance heard, not as a context-free fragment, and
        only the new words come back."""
        longest = max(audio.size for audio in audios) // SAMPLES_PER_FRAME + MARGIN_FRAMES
        window = SHORT_WINDOW_FRAMES if longest <= SHORT_WINDOW_FRAMES else FULL_WINDOW_FRAMES
        encoded = list(self._renderings.map(lambda audio: self._encode(audio, window), audios))
        if not still_wanted():
            return None
        prompt = self._prompt + (
            self._tokenizer.encode(" " + said_before.strip()) if said_before.strip() else []
        )
        readings = self._generate(encoded, prompt)
        if all(reading.looping for reading in readings):
            # Whisper's known failure: a phrase repeated to the token limit. Decode once more
            # with no trigram allowed twice (rare, so the extra decode is affordable).
            readings = self._generate(encoded, prompt, no_repeat_ngram_size=3)
        best = most_trusted(readings)
        chosen = readings.index(best)
        return self._with_words(best, encoded[chosen], audios[chosen])

    def _with_words(self, reading: Decoded, encoded: ctranslate2.StorageView, audio: np.ndarray) -> Decoded:
        """The reading with each of its words' confidence: the end-of-turn policy doubts a last
        word Whisper guessed (agent/turns/word_confidence.py)."""
        said = reading.text.split()
        if not said:
            return reading
        try:
            words = heard_words(self._model.model, self._tokenizer, encoded, list(reading.tokens), audio)
        except Exception:  # the words' confidence is a refinement: never lose the final over it
            logger.warning("Whisper word alignment failed", exc_info=True)
            return reading
        if len(words) < len(said) or [w.text for w in words[-len(said) :]] != said:
            return reading  # said_once() shortened it, or the pieces split differently
        return replace(reading, words=tuple(words[-len(said) :]))

    def _encode(self, audio: np.ndarray, window: int) -> ctranslate2.StorageView:
        features = self._features(audio, window)[np.newaxis]
        return self._model.model.encode(
            ctranslate2.StorageView.from_array(np.ascontiguousarray(features, dtype=np.float32)),
            to_cpu=False,
        )

    def _generate(
        self, encoded: list[ctranslate2.StorageView], prompt: list[int], *, no_repeat_ngram_size: int = 0
    ) -> list[Decoded]:
        return list(
            self._renderings.map(
                lambda one: self._generate_one(one, prompt, no_repeat_ngram_size=no_repeat_ngram_size),
                encoded,
            )
        )

    def _generate_one(
        self, encoded: ctranslate2.StorageView, prompt: list[int], *, no_repeat_ngram_size: int
    ) -> Decoded:
        results = self._model.model.generate(
            encoded,
            [prompt],
            beam_size=self._beam_size,
            max_length=len(prompt) + MAX_NEW_TOKENS,
            suppress_blank=True,
            suppress_tokens=self._suppress,
            no_repeat_ngram_size=no_repeat_ngram_size,
            return_scores=True,
            return_no_speech_prob=True,
        )
        # the words forced after the start-of-transcript tokens come back too: drop them
        return self._reading(results[0], skip=len(prompt) - len(self._prompt))

    def _features(self, audio: np.ndarray, window: int) -> np.ndarray:
        # padded with silence before the mel transform, as Whisper's own 30 s padding is
        padded = np.zeros(window * SAMPLES_PER_FRAME + SAMPLES_PER_FRAME, np.float32)
        used = min(audio.size, window * SAMPLES_PER_FRAME)
        padded[:used] = audio[:used]
        return self._model.feature_extractor(padded)[:, :window]

    def _reading(self, result: ctranslate2.models.WhisperGenerationResult, *, skip: int = 0) -> Decoded:
        everything = [token for token in result.sequences_ids[0] if token < self._tokenizer.eot]
        tokens = [token for token in result.sequences_ids[0][skip:] if token < self._tokenizer.eot]
        # with length_penalty 1 CTranslate2 divides the summed log-probs by the length: an average
        average = float(result.scores[0]) if result.scores else 0.0
        decoded = Decoded(
            text=said_once(self._tokenizer.decode(tokens).strip()),
            no_speech_probability=float(result.no_speech_prob),
            average_logprob=average,
            tokens=tuple(everything),
        )
        if (
            decoded.no_speech_probability > NO_SPEECH_PROBABILITY
            and decoded.average_logprob < LOW_AVERAGE_LOGPROB
        ):
            return Decoded("", decoded.no_speech_probability, decoded.average_logprob)
        return decoded
