"""How sure Whisper is of each word it read: its token probability, and whether any sound is under it.

Whisper tiny completes phrases the caller has not finished: "I need a plumber for" comes back as
"I need a plumber for it." The invented "it" is read with a probability of 0.46-0.82, no lower
than many real words, but Whisper's own cross-attention alignment (the one faster-whisper's
`word_timestamps` uses) puts it on no sound: it starts where the caller's last sound ends (within
10 ms) or later, or spans no audio at all. A real last word had 0.28 s or more of sound under it.
So a word is reported with its probability, and with confidence 0 when no sound is under it.
The alignment is one teacher-forced decoder pass over the reading: ~10 ms for tiny.en.
"""

from __future__ import annotations

from dataclasses import dataclass

import ctranslate2
import numpy as np
from faster_whisper.tokenizer import Tokenizer

ALIGNMENT_FRAMES_PER_S = 50
"""The encoder's frame rate: two mel frames per encoder frame."""
MIN_HEARD_WORD_S = 0.05
"""A word with less sound than this under it (its aligned span, cut at the audio's last sound) was
not heard, only predicted. Real words span 0.14 s or more; the alignment's step is 20 ms."""
AUDIBLE_BELOW_PEAK_DB = 35.0
"""The audio's sound ends at its last 10 ms this close to its loudest."""
PUNCTUATION = frozenset(".,?!:;-…'\"")


@dataclass(frozen=True)
class HeardWord:
    text: str
    """As in the reading, punctuation attached ("it.")."""
    confidence: float


def audible_end_s(audio: np.ndarray, sample_rate: int = 16000) -> float:
    """End of the last 10 ms of `audio` (float, 16 kHz) within `AUDIBLE_BELOW_PEAK_DB` of its loudest."""
    hop = sample_rate // 100
    frames = audio[: audio.size // hop * hop].reshape(-1, hop)
    if frames.size == 0:
        return 0.0
    energy = 10 * np.log10(np.mean(frames.astype(np.float64) ** 2, axis=1) + 1e-12)
    loud = np.flatnonzero(energy >= energy.max() - AUDIBLE_BELOW_PEAK_DB)
    return float((loud[-1] + 1) * hop / sample_rate)


def heard_words(
    model: ctranslate2.models.Whisper,
    tokenizer: Tokenizer,
    encoded: ctranslate2.StorageView,
    tokens: list[int],
    audio: np.ndarray,
) -> list[HeardWord]:
    """Each whitespace-separated word of the reading `tokens` (text tokens only) and its confidence."""
    if not tokens:
        return []
    # mel frames with audio in them, within the encoder's window (two mel frames per encoder frame)
    num_frames = min(audio.size // 160, encoded.shape[1] * 2)
    alignment = model.align(encoded, list(tokenizer.sot_sequence), [tokens], num_frames)[0]
    probabilities = np.asarray(alignment.text_token_probs, dtype=np.float64)
    text_indices = np.array([pair[0] for pair in alignment.alignments])
    time_indices = np.array([pair[1] for pair in alignment.alignments])
    jumps = np.pad(np.diff(text_indices), (1, 0), constant_values=1).astype(bool)
    jump_times = time_indices[jumps] / ALIGNMENT_FRAMES_PER_S
    if jump_times.size == 0:
        return []
    pieces, piece_tokens = tokenizer.split_to_word_tokens([*tokens, tokenizer.eot])
    sound_ends = audible_end_s(audio)
    words: list[tuple[str, float, float, list[float]]] = []  # text, start, end, token probabilities
    position = 0
    for piece, its_tokens in zip(pieces[:-1], piece_tokens[:-1], strict=True):
        start = float(jump_times[min(position, jump_times.size - 1)])
        end = float(jump_times[min(position + len(its_tokens), jump_times.size - 1)])
        probs = list(probabilities[position : position + len(its_tokens)])
        position += len(its_tokens)
        if words and (not piece.startswith(" ") or piece.strip() in PUNCTUATION):
            text, first, _, word_probs = words[-1]
            # punctuation and word pieces join the word before; the probability stays the word's own
            more = [] if piece.strip() in PUNCTUATION else probs
            words[-1] = (text + piece, first, end, word_probs + more)
        else:
            words.append((piece, start, end, probs))
    return [
        HeardWord(text.strip(), _confidence(start, min(end, sound_ends), probs))
        for text, start, end, probs in words
    ]


def _confidence(start: float, sound_ends: float, probabilities: list[float]) -> float:
    if sound_ends - start < MIN_HEARD_WORD_S or not probabilities:
        return 0.0
    return float(np.mean(probabilities))
