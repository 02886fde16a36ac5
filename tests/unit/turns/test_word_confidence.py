"""A last word the STT was unsure of cannot finish a turn the words before it leave open."""

from collections.abc import AsyncIterator

from livekit.agents import llm, stt
from livekit.agents.types import TimedString
from livekit.plugins.deepgram.stt import live_transcription_to_speech_data

from agent.turns.end_of_turn import Verdict, judge_doubting
from agent.turns.turn_detector import WordsTurnDetector
from agent.turns.word_confidence import LastFinal, heard_final, unsure_tail


def _words(*pairs: tuple[str, float | None]) -> list[TimedString]:
    return [TimedString(text) if conf is None else TimedString(text, confidence=conf) for text, conf in pairs]


def _final(text: str, words: list[TimedString] | None) -> stt.SpeechData:
    return stt.SpeechData(language="en", text=text, words=words)  # type: ignore[arg-type]


def test_only_the_trailing_run_of_unsure_words_counts() -> None:
    words = _words(("I", 0.2), ("need", 0.9), ("a", 0.4), ("plumber", 0.3))
    assert unsure_tail(words, 0.5) == 2
    assert unsure_tail(_words(("it.", None)), 0.5) == 0  # no confidence reported: taken at its word
    assert unsure_tail(None, 0.5) == 0


def test_words_that_do_not_line_up_with_the_text_are_not_read() -> None:
    assert heard_final(_final("I need a plumber for it.", _words(("it.", 0.0)))).unsure_tail == 0


def test_a_guessed_ending_does_not_finish_an_open_phrase() -> None:
    assert judge_doubting("I need a plumber for it.", unsure_words=1) is Verdict.UNFINISHED
    assert judge_doubting("I need a plumber for it.", unsure_words=0) is Verdict.FINISHED
    assert judge_doubting("My phone number is 312 407 2681.", unsure_words=1) is Verdict.UNFINISHED


def test_an_unsure_ending_of_a_finished_phrase_stands() -> None:
    assert judge_doubting("I need a plumber tomorrow morning.", unsure_words=1) is Verdict.FINISHED
    asked = "Tuesday at nine. Shall I book it?"
    assert judge_doubting("Yes.", unsure_words=1, agent_last_said=asked) is Verdict.FINISHED
    assert judge_doubting("I want to book a repair event.", unsure_words=1) is Verdict.FINISHED


def test_the_doubt_applies_only_to_a_turn_that_ends_with_the_latest_final() -> None:
    heard = LastFinal(0.5)
    heard.heard(_final("for it.", _words(("for", 0.9), ("it.", 0.0))))
    assert heard.unsure_words_at_end_of("I need a plumber for it.") == 1
    assert heard.unsure_words_at_end_of("Tomorrow morning.") == 0


def _context(*messages: tuple[str, str]) -> llm.ChatContext:
    chat_ctx = llm.ChatContext.empty()
    for role, text in messages:
        chat_ctx.add_message(role=role, content=text)  # type: ignore[arg-type]
    return chat_ctx


async def _events(*finals: stt.SpeechData) -> AsyncIterator[stt.SpeechEvent]:
    for data in finals:
        yield stt.SpeechEvent(type=stt.SpeechEventType.FINAL_TRANSCRIPT, alternatives=[data])


async def test_a_word_deepgram_heard_but_was_unsure_of_still_ends_the_phrase() -> None:
    """The Deepgram plugin's own conversion carries the word confidences through unchanged, and
    an unsure "it." is still a word the caller said after "for": no reason to wait."""
    words = [("i", "I", 0.99), ("need", "need", 0.98), ("a", "a", 0.97), ("plumber", "plumber", 0.95)]
    words += [("for", "for", 0.93), ("it", "it.", 0.31)]
    data = {
        "channel": {
            "alternatives": [
                {
                    "transcript": "I need a plumber for it.",
                    "confidence": 0.9,
                    "words": [
                        {
                            "word": w,
                            "punctuated_word": p,
                            "start": i * 0.3,
                            "end": i * 0.3 + 0.25,
                            "confidence": c,
                        }
                        for i, (w, p, c) in enumerate(words)
                    ],
                }
            ]
        }
    }
    [final] = live_transcription_to_speech_data("en", data, is_final=True, start_time_offset=0.0)
    detector = WordsTurnDetector()
    async for _event in detector.heard.watch(_events(final)):
        pass
    turn = _context(("user", "I need a plumber for it."))
    assert detector.heard.unsure_words_at_end_of("I need a plumber for it.") == 1
    assert detector.heard.unheard_words_at_end_of("I need a plumber for it.") == 0
    assert await detector.predict_end_of_turn(turn) == 1.0


def _offline_final(*pairs: tuple[str, float]) -> stt.SpeechData:
    return _final(" ".join(text for text, _ in pairs), _words(*pairs))


async def _detector_after(final: stt.SpeechData) -> WordsTurnDetector:
    detector = WordsTurnDetector()
    async for _event in detector.heard.watch(_events(final)):
        pass
    return detector


async def test_a_misread_last_word_does_not_leave_the_phrase_before_it_open() -> None:
    """Issue 21: the offline STT's final for eSpeak's "I would rather have it at noon." (words and
    confidences as the call's stt_node saw them). "noon." has speech under it at 0.26: misread
    perhaps, but said. Doubting it judged the turn by "... at" and answered after 1.6 s."""
    final = _offline_final(
        ("I", 0.76),
        ("will", 0.82),
        ("rather", 0.23),
        ("have", 0.9),
        ("it", 0.74),
        ("at", 0.59),
        ("noon.", 0.26),
    )
    detector = await _detector_after(final)
    turn = _context(("assistant", "What time works for you?"), ("user", final.text))
    assert await detector.predict_end_of_turn(turn) == 1.0


async def test_an_invented_last_word_still_leaves_the_phrase_before_it_open() -> None:
    """Whisper's "it." after "I need a plumber for" has no speech under it: confidence 0."""
    final = _offline_final(
        ("I", 0.9), ("need", 0.95), ("a", 0.95), ("plumber", 0.9), ("for", 0.77), ("it.", 0.0)
    )
    detector = await _detector_after(final)
    assert await detector.predict_end_of_turn(_context(("user", final.text))) == 0.0
