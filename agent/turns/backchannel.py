"""Is what the caller said over the agent only an acknowledgement or a noise?"""

from __future__ import annotations

from agent.turns.words import BACKCHANNEL_MAX_TOKENS, BACKCHANNEL_TOKENS, tokens


def is_backchannel(text: str) -> bool:
    """True for "uh-huh", "yeah", "okay", "I see", "got it", and for no words at all (a cough, a knock).

    "No", "stop", "wait" and anything with content are not: those stop the agent.
    """
    words = tokens(text)
    return len(words) <= BACKCHANNEL_MAX_TOKENS and all(word in BACKCHANNEL_TOKENS for word in words)
