"""The two-pass offline STT: interims while speaking, an accurate final, at any sample rate."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import numpy as np
import pytest
from livekit import rtc
from livekit.agents import stt
from livekit.plugins import silero

from agent.audio import resample
from agent.providers.offline.espeak import EspeakEngine
from agent.providers.offline.streaming_stt import OfflineStreamingSTT, _tail, _Utterance, said_so_far
from agent.providers.offline.whisper_decoder import Decoded
from agent.providers.offline.whisper_stt import WhisperSTT, load_whisper_model


@pytest.fixture(scope="module")
def engine() -> OfflineStreamingSTT:
    return OfflineStreamingSTT(
        whisper=WhisperSTT(load_whisper_model()), vad_model=silero.VAD.load(min_silence_duration=0.3)
    )


def utterance(text: str, rate: int) -> np.ndarray:
    voice = EspeakEngine.shared()
    speech = resample(voice.synthesize(text, words_per_minute=150), voice.sample_rate, rate)
    silence = np.zeros(rate // 2, np.int16)
    audio = np.concatenate([silence, speech, silence, silence])
    return np.concatenate([audio, np.zeros((-audio.size) % (rate // 100), np.int16)])


async def stream_in_real_time(
    engine: stt.STT, audio: np.ndarray, rate: int
) -> list[tuple[float, stt.SpeechEvent]]:
    stream = engine.stream()
    events: list[tuple[float, stt.SpeechEvent]] = []

    async def _listen() -> None:
        async for event in stream:
            events.append((time.perf_counter(), event))

    listener = asyncio.create_task(_listen())
    step = rate // 100
    started = time.perf_counter()
    for index, chunk in enumerate(audio.reshape(-1, step)):
        stream.push_frame(rtc.AudioFrame(chunk.tobytes(), rate, 1, step))
        await asyncio.sleep(max(0.0, started + (index + 1) * 0.01 - time.perf_counter()))
    stream.end_input()
    await listener
    return events


@pytest.mark.parametrize("rate", [8000, 16000, 48000])
async def test_interims_come_before_an_accurate_final(engine: OfflineStreamingSTT, rate: int) -> None:
    events = await stream_in_real_time(engine, utterance("I need a plumber tomorrow morning.", rate), rate)
    kinds = [event.type for _, event in events]
    assert kinds[0] == stt.SpeechEventType.START_OF_SPEECH
    assert kinds[-1] == stt.SpeechEventType.END_OF_SPEECH
    interims = [at for at, event in events if event.type == stt.SpeechEventType.INTERIM_TRANSCRIPT]
    finals = [
        (at, event.alternatives[0].text)
        for at, event in events
        if event.type == stt.SpeechEventType.FINAL_TRANSCRIPT
    ]
    assert interims, "no interim transcript while the caller spoke"
    assert finals and interims[0] <= finals[0][0]
    text = " ".join(t for _, t in finals).lower()
    assert "plumber" in text and "tomorrow" in text


async def test_silence_produces_no_events(engine: OfflineStreamingSTT) -> None:
    events = await stream_in_real_time(engine, np.zeros(16000, np.int16), 16000)
    assert events == []


def tone_frame(rate: int, seconds: float, amplitude: int) -> rtc.AudioFrame:
    count = int(rate * seconds)
    samples = (amplitude * np.sin(np.arange(count) * 2 * np.pi * 220 / rate)).astype(np.int16)
    return rtc.AudioFrame(samples.tobytes(), rate, 1, count)


def test_loud_noise_the_vad_calls_unvoiced_counts_as_quiet() -> None:
    """Steady background noise never falls 18 dB below the peak; the VAD's probability still
    tells it from voice, so the early final is not held back until the VAD's end of speech."""
    utterance = _Utterance([tone_frame(16000, 0.032, 8000)])
    assert utterance.add(tone_frame(16000, 0.032, 8000), speech_probability=0.9)
    assert utterance.quiet_s == 0.0
    assert not utterance.add(tone_frame(16000, 0.032, 6000), speech_probability=0.05)
    assert utterance.quiet_s == pytest.approx(0.032)
    assert not utterance.add(tone_frame(16000, 0.032, 50), speech_probability=0.9)  # voice-like, but faint
    assert utterance.last_loud == 2


def test_tail_keeps_the_last_seconds_of_the_frames() -> None:
    frames = [tone_frame(8000, 0.1, 1000) for _ in range(5)]
    (tail,) = _tail(frames, 0.15)
    assert tail.sample_rate == 8000 and tail.samples_per_channel == 1200
    assert _tail(frames, 10.0)[0].samples_per_channel == 4000
    assert _tail(frames, 0.0) == [] and _tail([], 1.0) == []


def test_narrowband_audio_gets_a_faint_high_band_floor_for_the_interims() -> None:
    from agent.providers.offline.sphinx_partials import HIGH_BAND_FLOOR_DBFS, HighBandFloor

    floor = HighBandFloor()
    silence = np.zeros(16000, np.int16)
    noise = np.concatenate([floor.add(silence[:7000]), floor.add(silence[7000:])]).astype(np.float64)
    level = 20 * np.log10(np.sqrt(np.mean(noise**2)) / 32768)
    assert abs(level - HIGH_BAND_FLOOR_DBFS) < 1.5
    spectrum = np.abs(np.fft.rfft(noise)) ** 2
    freqs = np.fft.rfftfreq(noise.size, 1 / 16000)
    assert spectrum[freqs < 3900].sum() < 0.01 * spectrum.sum()  # the telephone band is untouched


class SlowWhisperTestDouble:
    """Stands in for WhisperSTT: each decode takes `seconds`, half "encoding" and half "searching",
    and like the real one gives up between the two when `still_wanted()` has turned False.
    Records how many ran at once and how many were given up."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.running = 0
        self.most_at_once = 0
        self.calls = 0
        self.abandoned = 0
        self.heard: list[tuple[float, str]] = []
        """Each decode's audio length in seconds and the words it was told came before."""

    def transcribe(
        self,
        samples: np.ndarray,
        sample_rate: int,
        *,
        said_before: str = "",
        still_wanted: Callable[[], bool] = lambda: True,
    ) -> str | None:
        self.calls += 1
        self.heard.append((samples.size / sample_rate, said_before))
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        try:
            time.sleep(self.seconds / 2)
            if not still_wanted():
                self.abandoned += 1
                return None
            time.sleep(self.seconds / 2)
            return f"{samples.size / sample_rate:.2f} seconds of speech"
        finally:
            self.running -= 1

    def transcribe_words(
        self,
        samples: np.ndarray,
        sample_rate: int,
        *,
        said_before: str = "",
        still_wanted: Callable[[], bool] = lambda: True,
    ) -> Decoded | None:
        text = self.transcribe(samples, sample_rate, said_before=said_before, still_wanted=still_wanted)
        return Decoded(text, 0.0, 0.0) if text is not None else None


async def test_one_early_decode_at_a_time_and_the_final_covers_the_whole_utterance() -> None:
    """A decode started in a short gap the caller speaks through must not queue a second one
    behind it: the final would wait for both. When it ends, the next gap decodes again."""
    rate = 16000
    whisper = SlowWhisperTestDouble(seconds=1.5)  # still decoding when the caller stops again
    engine = OfflineStreamingSTT(
        whisper=whisper,  # type: ignore[arg-type]
        vad_model=silero.VAD.load(min_silence_duration=0.3),
    )
    gap = np.zeros(int(0.15 * rate), np.int16)  # quiet enough to start a decode, too short to end speech
    first, second = speech_at(rate, "I need a plumber"), speech_at(rate, "tomorrow morning")
    audio = np.concatenate([np.zeros(rate // 2, np.int16), first, gap, second, np.zeros(rate, np.int16)])
    audio = np.concatenate([audio, np.zeros((-audio.size) % (rate // 100), np.int16)])
    events = await stream_in_real_time(engine, audio, rate)
    finals = [e.alternatives[0].text for _, e in events if e.type == stt.SpeechEventType.FINAL_TRANSCRIPT]
    assert whisper.calls >= 2, "the gap should have started an early decode"
    assert whisper.most_at_once == 1
    assert whisper.abandoned == 1, "the guess the caller spoke past should stop after its encoder"
    assert len(finals) == 1, finals  # the guess made in the gap was dropped, not emitted
    spoken_s = (first.size + gap.size + second.size) / rate
    assert float(finals[0].split()[0]) >= spoken_s


async def test_after_an_early_final_the_next_decode_hears_the_whole_utterance() -> None:
    """A caller who pauses long enough for an early final and then goes on: the rest is decoded
    with the start of the utterance still heard, told the words already emitted, so Whisper
    does not read the second half as a context-free fragment."""
    rate = 16000
    whisper = SlowWhisperTestDouble(seconds=0.04)  # done well inside the pause
    engine = OfflineStreamingSTT(
        whisper=whisper,  # type: ignore[arg-type]
        vad_model=silero.VAD.load(min_silence_duration=0.5),
    )
    pause = np.zeros(int(0.3 * rate), np.int16)  # an early final, but not the VAD's end of speech
    first, second = speech_at(rate, "I need a plumber"), speech_at(rate, "tomorrow morning")
    audio = np.concatenate([np.zeros(rate // 2, np.int16), first, pause, second, np.zeros(rate, np.int16)])
    audio = np.concatenate([audio, np.zeros((-audio.size) % (rate // 100), np.int16)])
    events = await stream_in_real_time(engine, audio, rate)
    finals = [e.alternatives[0].text for _, e in events if e.type == stt.SpeechEventType.FINAL_TRANSCRIPT]
    assert len(finals) == 2, finals
    (_, told_first), (second_heard, told_second) = whisper.heard[0], whisper.heard[-1]
    assert told_first == "" and told_second == finals[0]
    assert second_heard >= (first.size + pause.size + second.size) / rate


def speech_at(rate: int, text: str) -> np.ndarray:
    voice = EspeakEngine.shared()
    return resample(voice.synthesize(text, words_per_minute=170), voice.sample_rate, rate)


@pytest.mark.parametrize("rate", [16000, 48000])
def test_a_continuation_after_a_final_cut_off_with_dots_is_heard(
    engine: OfflineStreamingSTT, rate: int
) -> None:
    """Issue 21's "No, that time is too early.": eSpeak's pauses give early finals "No." and
    "That time is too...". Forced to begin with those dots, Whisper put "early." on no sound
    (confidence 0.0), and the turn detector, taking it for an invented word, judged the turn by
    "... too...": unfinished, answered after 1.6 s. The continuation's prompt drops the dots."""
    from livekit.agents.types import TimedString

    from agent.turns.end_of_turn import Verdict, judge_doubting
    from agent.turns.word_confidence import MIN_WORD_CONFIDENCE, UNHEARD_WORD_CONFIDENCE, unsure_tail

    voice = EspeakEngine.shared()
    speech = resample(
        voice.synthesize("No, that time is too early.", words_per_minute=150), voice.sample_rate, rate
    )
    finals = ["No.", "That time is too..."]
    decoded = engine._whisper.transcribe_words(speech, rate, said_before=said_so_far(finals))
    assert decoded is not None and decoded.text == "early.", decoded
    assert decoded.words[-1].confidence >= MIN_WORD_CONFIDENCE, decoded.words  # 0.0-0.14 with the dots
    words = [TimedString(word.text, confidence=word.confidence) for word in decoded.words]
    unheard = unsure_tail(words, UNHEARD_WORD_CONFIDENCE)
    turn = " ".join([*finals, decoded.text])
    assert judge_doubting(turn, unsure_words=unheard) is Verdict.FINISHED
