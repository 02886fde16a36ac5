"""Finds the first word of the actual answer in what Whisper heard, past acknowledgements and fillers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

FILLER_PHRASES: tuple[str, ...] = (
    "one moment",
    "just a moment",
    "one second",
    "just a second",
    "okay",
    "ok",
    "sure",
    "alright",
    "all right",
    "got it",
    "thanks",
    "thank you",
    "let me check",
    "let me check that",
    "let me see",
    "let me look",
    "of course",
    "sure thing",
    "i'm checking now",
    "just checking that for you",
    "mm-hmm",
    "right",
    # the agent's own fillers: the late-token "One moment." (agent/telemetry/budgets.toml) and the
    # slow-tool "One moment while I check that." (tools/front_desk_tools.py); neither is an answer
    "while i check that",
)
"""Leading phrases that are not the answer; matched whole, ignoring case and punctuation."""


def normalize(word: str) -> str:
    """Lower case, letters and digits only: "Mm-hmm," and "mmhmm" compare equal."""
    return re.sub(r"[^0-9a-z]", "", word.lower())


def _confirm_phrases() -> tuple[str, ...]:
    """The agent's own quick confirms (agent/replies), when that module is there: whatever it may
    say before an answer is, by its own definition, not the answer."""
    try:
        from agent.replies.quick_confirms import all_phrases
    except ImportError:
        return ()
    return tuple(all_phrases())


_FILLERS = sorted(
    {tuple(normalize(part) for part in phrase.split()) for phrase in (*FILLER_PHRASES, *_confirm_phrases())},
    key=len,
    reverse=True,  # longest first: "thank you" must win over a shorter phrase that starts the same
)


@dataclass(frozen=True)
class Word:
    """One word as Whisper heard it, timed in seconds from the start of its clip."""

    text: str
    start_s: float
    end_s: float


@dataclass(frozen=True)
class Answer:
    """Where the answer starts: its first word (None when only fillers were heard) and what was skipped."""

    first_word: Word | None
    skipped: list[str] = field(default_factory=list)


def _filler_at(words: list[str], index: int) -> int:
    """How many of `words` from `index` make one filler phrase; 0 when none starts there."""
    for phrase in _FILLERS:
        # Whisper may split one spoken token ("Mm-", "hmm") or join two ("alright"): compare the
        # letters of the next few words against the phrase's letters, never across a partial word
        wanted = "".join(phrase)
        joined = ""
        for count in range(1, len(phrase) + 2):
            if index + count > len(words):
                break
            joined += words[index + count - 1]
            if joined == wanted:
                return count
            if not wanted.startswith(joined):
                break
    return 0


NEAR_MISS_MAX_WORDS = 5
"""Whisper tiny mishears a word of a confirm now and then ("I'm checking out." for "I'm checking
now."): a sentence this short that shares all but one word with a filler phrase is that filler."""


def _sentence_end(texts: list[str], index: int) -> int:
    """Index just past the sentence that starts at `index` (Whisper punctuates its sentences)."""
    end = index
    while end < len(texts):
        end += 1
        if texts[end - 1].rstrip().endswith((".", "?", "!")):
            break
    return end


def _near_filler(words: list[str]) -> bool:
    """`words` (normalized, one sentence) are a filler phrase of three or more words with one
    word misheard, added or lost."""
    present = [word for word in words if word]
    if not 3 <= len(present) <= NEAR_MISS_MAX_WORDS:
        return False
    for phrase in _FILLERS:
        if len(phrase) >= 3 and abs(len(phrase) - len(present)) <= 1:
            shared = sum(1 for word in phrase if word in present)
            if shared >= len(phrase) - 1 and shared >= len(present) - 1:
                return True
    return False


def find_answer(words: list[Word]) -> Answer:
    """Skip whole leading filler phrases (repeatedly: "Okay, one moment."), then the next word is the answer.

    Two allowances for Whisper's mishearings of a longer filler: the one-word rest of a sentence
    right after a filler of three or more words that ran on without punctuation ("Let me check
    now." for "Let me check that."), and a short sentence one word away from a filler phrase.
    """
    texts = [word.text.strip() for word in words]
    normalized = [normalize(text) for text in texts]
    skipped: list[str] = []
    last_filler_words = 0  # how many words the filler just skipped had
    index = 0
    while index < len(words):
        if not normalized[index]:  # a bare punctuation token is no word
            index += 1
            continue
        count = _filler_at(normalized, index)
        if count == 0:
            end = _sentence_end(texts, index)
            # the filler's last word had no punctuation: it ran on into this word
            ran_on = last_filler_words >= 3 and skipped[-1][-1:].isalnum()
            if (ran_on and end - index == 1) or _near_filler(normalized[index:end]):
                count = end - index
            else:
                return Answer(words[index], skipped)
        last_filler_words = count
        skipped.extend(texts[index : index + count])
        index += count
    return Answer(None, skipped)
