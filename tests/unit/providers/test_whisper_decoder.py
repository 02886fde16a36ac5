"""The short-window Whisper decoder: telephone renderings, the most confident reading, silence."""

from __future__ import annotations

import numpy as np
import pytest

from agent.audio import resample
from agent.providers.offline.espeak import EspeakEngine
from agent.providers.offline.whisper_decoder import (
    WHISPER_SAMPLE_RATE,
    Decoded,
    ShortWindowDecoder,
    most_trusted,
    said_once,
    to_whisper_inputs,
)
from agent.providers.offline.whisper_stt import DOMAIN_PROMPT, load_whisper_model


@pytest.fixture(scope="module")
def decoder() -> ShortWindowDecoder:
    return ShortWindowDecoder(load_whisper_model(), prompt=DOMAIN_PROMPT)


def speech(text: str, rate: int) -> np.ndarray:
    voice = EspeakEngine.shared()
    return resample(voice.synthesize(text, words_per_minute=150), voice.sample_rate, rate)


def band_energy_db(audio: np.ndarray, low_hz: float, high_hz: float) -> float:
    spectrum = np.abs(np.fft.rfft(audio)) ** 2
    freqs = np.fft.rfftfreq(audio.size, 1 / WHISPER_SAMPLE_RATE)
    band = spectrum[(freqs >= low_hz) & (freqs < high_hz)].sum()
    return 10 * np.log10(band / spectrum.sum() + 1e-12)


def test_telephone_audio_is_decoded_plain_and_with_its_band_widened() -> None:
    plain, widened = to_whisper_inputs(speech("The furnace stopped working.", 8000), 8000)
    assert plain.dtype == widened.dtype == np.float32
    assert abs(plain.size - widened.size) <= 2
    # a resampler leaves 4-8 kHz empty; the widened rendering mirrors the telephone band there
    assert band_energy_db(plain, 4300, 7700) < -40
    assert band_energy_db(widened, 4300, 7700) > -20


@pytest.mark.parametrize("rate", [16000, 48000])
def test_wideband_audio_is_decoded_once_at_16_khz(rate: int) -> None:
    samples = speech("The furnace stopped working.", rate)
    (rendering,) = to_whisper_inputs(samples, rate)
    assert abs(rendering.size - samples.size * WHISPER_SAMPLE_RATE // rate) <= 2
    assert np.abs(rendering).max() <= 1.0


def test_the_reading_with_words_wins_over_silence(decoder: ShortWindowDecoder) -> None:
    (words,) = to_whisper_inputs(speech("I need a plumber tomorrow morning.", 16000), 16000)
    silence = np.zeros(WHISPER_SAMPLE_RATE, np.float32)
    for batch in ([silence, words], [words, silence]):
        text = decoder.decode(batch).text.lower()
        assert "plumber" in text and "tomorrow" in text


def test_silence_reads_as_nothing(decoder: ShortWindowDecoder) -> None:
    assert decoder.decode([np.zeros(2 * WHISPER_SAMPLE_RATE, np.float32)]).text == ""


@pytest.mark.parametrize("rate", [8000, 16000])
def test_words_said_before_are_not_read_again(decoder: ShortWindowDecoder, rate: int) -> None:
    renderings = to_whisper_inputs(speech("I need a plumber tomorrow morning.", rate), rate)
    rest = decoder.decode(renderings, said_before="I need a plumber").text.lower()
    assert "tomorrow" in rest and "plumber" not in rest and "need" not in rest


def test_a_decode_no_longer_wanted_stops_after_the_encoder(
    decoder: ShortWindowDecoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    searched: list[int] = []
    monkeypatch.setattr(decoder, "_generate", lambda encoded, prompt, **_: searched.append(1) or [])
    renderings = to_whisper_inputs(speech("I need a plumber.", 8000), 8000)
    assert decoder.decode(renderings, still_wanted=lambda: False) is None
    assert searched == []


def test_audio_longer_than_the_short_window_uses_the_full_window(decoder: ShortWindowDecoder) -> None:
    (words,) = to_whisper_inputs(speech("Please call me back this evening.", 16000), 16000)
    padded = np.concatenate([np.zeros(11 * WHISPER_SAMPLE_RATE, np.float32), words])
    assert "call me back" in decoder.decode([padded]).text.lower()


@pytest.mark.parametrize("text", ["Hello.", "Hi there.", "Thank you.", "Okay."])
@pytest.mark.parametrize("rate", [8000, 16000, 48000])
def test_short_call_phrases_are_read_back(decoder: ShortWindowDecoder, text: str, rate: int) -> None:
    """Greetings and short answers are much of a call. Not eSpeak's "Hello there": tiny.en reads
    it at about -1.0 average log-probability, right at its decision boundary, and what it hears
    depends on the CPU kernels CTranslate2 picks. Probed on 2026-12-03 with `CT2_FORCE_CPU_ISA`
    AVX512, AVX2, AVX and GENERIC and with `CT2_USE_MKL=1`: "below there", "Hello, air", "Hello,
    Mayor?" or right, by rate and kernel; CI's machine heard "below there" at 48 kHz. The phrases
    here were read right at every rate on all five."""
    silence = np.zeros(rate // 3, np.int16)
    renderings = to_whisper_inputs(np.concatenate([silence, speech(text, rate), silence]), rate)
    heard = decoder.decode(renderings).text.lower()
    assert text.split()[0].lower().strip(".,") in heard


def test_a_repetition_loop_loses_to_a_plain_reading_even_when_surer() -> None:
    loop = Decoded("What can I tell you, " + "can I tell you, " * 12, 0.0, -0.2)
    plain = Decoded("Can someone come out on the booth?", 0.0, -0.9)
    silence = Decoded("", 0.9, -0.1)
    assert loop.looping and not plain.looping and not silence.looping
    assert not Decoded("No, no, no, I need a plumber tomorrow.", 0.0, -0.3).looping
    assert most_trusted([loop, plain, silence]) is plain
    assert most_trusted([loop, silence]) is loop  # words, even looping, over nothing
    assert most_trusted([Decoded("a", 0, -0.5), Decoded("b", 0, -0.4)]).text == "b"


@pytest.mark.parametrize(
    ("reading", "said"),
    [
        (
            "I need to plumber tomorrow morning. I need to plumber tomorrow morning.",
            "I need to plumber tomorrow morning.",
        ),
        ("Cancel my visit, cancel my visit, cancel my visit", "Cancel my visit"),
        ("No, no.", "No, no."),  # too short to be Whisper's loop: callers say this
        ("I need a plumber. I need a plumber tomorrow.", "I need a plumber. I need a plumber tomorrow."),
        ("", ""),
    ],
)
def test_a_reading_said_twice_over_is_kept_once(reading: str, said: str) -> None:
    assert said_once(reading) == said


def test_when_every_reading_loops_it_decodes_again_with_no_trigram_twice(
    decoder: ShortWindowDecoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    loop = Decoded("Can I tell you, " * 12, 0.0, -0.3)
    asked: list[int] = []

    def generate(encoded: list[object], prompt: list[int], *, no_repeat_ngram_size: int = 0) -> list[Decoded]:
        asked.append(no_repeat_ngram_size)
        return (
            [loop] * len(encoded)
            if not no_repeat_ngram_size
            else [Decoded("Can someone come out?", 0.0, -0.8)]
        )

    monkeypatch.setattr(decoder, "_generate", generate)
    silence = np.zeros(WHISPER_SAMPLE_RATE, np.float32)
    assert decoder.decode([silence, silence]).text == "Can someone come out?"
    assert asked == [0, 3]
    # one reading that does not loop is enough: no second decode
    asked.clear()
    monkeypatch.setattr(decoder, "_generate", lambda encoded, prompt, **_: [loop, Decoded("Fine.", 0, -2)])
    assert decoder.decode([silence, silence]).text == "Fine."
