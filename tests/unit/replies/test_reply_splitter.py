"""Reply text is cut into a first clause, then whole sentences; times and abbreviations stay whole."""

from __future__ import annotations

import pytest

from agent.replies.reply_splitter import ReplySplitter


def split(chunks: list[str], first_clause_min_words: int = 3) -> list[str]:
    splitter = ReplySplitter(first_clause_min_words=first_clause_min_words)
    pieces = [piece for chunk in chunks for piece in splitter.push(chunk)]
    return [piece.strip() for piece in pieces + splitter.flush()]


def tokens(text: str) -> list[str]:
    """Streamed the way an LLM streams: a few characters at a time."""
    return [text[i : i + 3] for i in range(0, len(text), 3)]


def test_the_first_piece_ends_at_a_clause_later_ones_at_sentences() -> None:
    text = "I have Saturday at 9 a.m. open, with Sam. Shall I book it, or keep looking? Thanks."
    assert split(tokens(text)) == [
        "I have Saturday at 9 a.m. open,",
        "with Sam.",
        "Shall I book it, or keep looking?",
        "Thanks.",
    ]


def test_a_short_opening_clause_waits_for_its_sentence() -> None:
    assert split(tokens("Sure, I can help. What is your zip code?")) == [
        "Sure, I can help.",
        "What is your zip code?",
    ]


@pytest.mark.parametrize("text", ["It is 9 a.m. on Saturday.", "That costs $89.50 for the visit."])
def test_times_and_prices_are_not_sentence_ends(text: str) -> None:
    assert split(tokens(text)) == [text]


def test_a_piece_is_handed_over_as_soon_as_it_is_complete() -> None:
    splitter = ReplySplitter()
    assert splitter.push("Thanks for calling. ") == []  # the next character may still be lower case
    assert [p.strip() for p in splitter.push("What")] == ["Thanks for calling."]
    assert splitter.flush() == ["What"]
    assert splitter.flush() == []
