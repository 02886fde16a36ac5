"""What the caller says on every call: lines the agent answers by itself, and lines that need its tools."""

from __future__ import annotations

import numpy as np

from agent.audio import first_audible_sample
from agent.caller import AUDIBLE_DBFS, SAMPLE_RATE, Utterance, synthesize_utterance

LINES: tuple[str, ...] = (
    "Hi, I'd like to book a plumber.",  # no tool: asks who is calling
    "Is there anything open on Saturday morning?",  # no tool: still needs the name and zip code
    "My name is Dana Whitfield and my zip code is 60614.",  # find_customer, then check_availability
    "How much does a visit usually cost?",  # no tool: the slot on offer again
    "Yes, please go ahead and book it.",  # book_appointment
    "No, that's all. Thank you, goodbye.",  # no tool: the goodbye
)
"""A booking through the offline dialog engine (the chat stand-in answers with it). Dana Whitfield
is a seeded customer (tools/seed.py): a name the store does not know ends the booking early."""


def trimmed_to_last_audible(utterance: Utterance) -> Utterance:
    """The utterance without the synthesizer's trailing silence (eSpeak leaves up to ~0.4 s).

    The microphone reports when an utterance's last sample left; with the quiet tail cut off, that
    is the last audible sample, the instant a caller stops talking. The mic sends silence after it
    anyway, so the agent hears the same audio.
    """
    samples = utterance.samples
    from_end = first_audible_sample(samples[::-1].copy(), SAMPLE_RATE, threshold_dbfs=AUDIBLE_DBFS)
    if from_end is None:
        return utterance
    # windows of the reversed audio line up with the end: the audible one ends `from_end` before it
    end = samples.size - from_end
    return Utterance(label=utterance.label, samples=np.ascontiguousarray(samples[:end]))


def caller_lines(lines: tuple[str, ...] | list[str] = LINES) -> list[Utterance]:
    """Each line synthesized once and trimmed, so every call says exactly the same audio."""
    return [trimmed_to_last_audible(synthesize_utterance(text)) for text in lines]
