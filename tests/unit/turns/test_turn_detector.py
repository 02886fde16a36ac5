"""The probability LiveKit gets is the words' verdict on the turn in the chat context."""

from livekit.agents import llm

from agent.turns.turn_detector import THRESHOLD, WordsTurnDetector


def _context(*messages: tuple[str, str]) -> llm.ChatContext:
    chat_ctx = llm.ChatContext.empty()
    for role, text in messages:
        chat_ctx.add_message(role=role, content=text)  # type: ignore[arg-type]
    return chat_ctx


async def test_finished_words_clear_the_threshold_and_unfinished_ones_do_not() -> None:
    detector = WordsTurnDetector()
    finished = await detector.predict_end_of_turn(_context(("user", "I need a plumber tomorrow morning.")))
    unfinished = await detector.predict_end_of_turn(_context(("user", "I need a plumber for")))
    assert finished >= THRESHOLD > unfinished
    assert await detector.unlikely_threshold("en") == THRESHOLD


async def test_the_agent_s_question_makes_a_bare_yes_finished() -> None:
    detector = WordsTurnDetector()
    asked = _context(("assistant", "Tuesday at nine. Shall I book it?"), ("user", "yes"))
    assert await detector.predict_end_of_turn(asked) == 1.0


async def test_only_english_is_judged() -> None:
    detector = WordsTurnDetector()
    assert await detector.supports_language("en")
    assert not await detector.supports_language("de")  # type: ignore[arg-type]
