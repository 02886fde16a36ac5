"""Word-level reading of a transcript: tokens, digits, and the closed word classes the policies use."""

from __future__ import annotations

import re

_TOKEN = re.compile(r"[a-z0-9]+(?:['-][a-z0-9]+)*")
_ANNOTATION = re.compile(r"[\[(][^\])]*[\])]")
"""Whisper writes non-speech as "[coughs]" or "(knocking)": no words were said."""

BACKCHANNEL_TOKENS = frozenset(
    {
        "uh-huh", "uh", "huh", "mm-hmm", "mhm", "mm", "hmm", "hm", "mmhmm", "um-hum", "uh-hum",
        "yeah", "yep", "yes", "ok", "okay", "right", "sure", "alright", "aha", "ah", "oh",
        "i", "see", "got", "it", "cool", "great", "fine", "good", "gotcha", "true", "exactly",
    }
)  # fmt: skip
"""Tokens that make up acknowledgements ("uh-huh", "I see", "got it"); a turn made only of these
says "go on", never "stop"."""
BACKCHANNEL_MAX_TOKENS = 3
"""Longer runs of acknowledgement words ("yes yes okay right fine") are a real reply."""

DANGLING_WORDS = frozenset(
    {
        # conjunctions and prepositions: the sentence goes on after them
        "and", "or", "but", "so", "because", "if", "for", "to", "of", "in", "on", "at", "with",
        "from", "about", "by", "into", "than", "then", "when", "where", "that", "which", "who",
        # articles, possessives and auxiliaries: a noun or verb must follow
        "a", "an", "the", "my", "your", "our", "their", "his", "her", "its", "this", "these",
        "is", "are", "was", "were", "be", "am", "will", "would", "can", "could", "should", "have",
        "has", "do", "does", "did", "need", "want", "like", "get", "book",
        # fillers: the speaker is still planning
        "um", "uh", "er", "erm", "uhm", "hmm",
    }
)  # fmt: skip
"""Last words after which an English sentence is not finished, whoever says it."""

FLOOR_TAKING_TOKENS = frozenset(
    {
        "sorry", "stop", "wait", "hold", "on", "hang", "excuse", "me", "no", "actually", "sec",
        "second", "one", "moment", "please", "just", "um", "uh", "oh", "well", "so", "okay", "ok",
    }
)  # fmt: skip
"""A turn made only of these ("Sorry, stop.", "Wait, wait.", "Hold on.") takes the floor: the
request comes next, so it is no turn to answer yet."""

YES_NO_ANSWERS = frozenset(
    {"yes", "no", "yeah", "yep", "nope", "sure", "okay", "ok", "correct", "right", "please", "thanks"}
)
YES_NO_OPENERS = frozenset(
    {
        "shall",
        "should",
        "can",
        "could",
        "do",
        "does",
        "did",
        "is",
        "are",
        "was",
        "would",
        "will",
        "may",
        "want",
    }
)


def tokens(text: str) -> list[str]:
    """Lower-case words and numbers of `text`, without punctuation or non-speech annotations."""
    return _TOKEN.findall(_ANNOTATION.sub(" ", text.lower()))


TIME_PREPOSITIONS = frozenset({"at", "by", "around", "after", "before", "until", "till", "from"})
"""Before a number, these make it a clock time ("at 3.", "by 10?"), said whole, not a digit group."""

NUMBER_WORDS = frozenset(
    {"zero", "oh", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"}
)
"""Digits as an STT may spell them out when they are read one by one."""


def is_number(token: str) -> bool:
    return token.replace("-", "").isdigit() or token in NUMBER_WORDS


def digit_count(text: str) -> int:
    """Digits said: numerals' digits plus spelled-out digits ("three one two" is 3)."""
    return sum(ch.isdigit() for ch in text) + sum(token in NUMBER_WORDS for token in tokens(text))
