"""What counts as an acknowledgement said over the agent."""

import pytest

from agent.turns.backchannel import is_backchannel


@pytest.mark.parametrize(
    "text",
    ["uh-huh", "Uh-huh.", "Mm-hmm.", "yeah", "Okay.", "Right.", "I see.", "Got it.", "Sure.", "", "[coughs]"],
)
def test_acknowledgements_and_noises(text: str) -> None:
    assert is_backchannel(text)


@pytest.mark.parametrize(
    "text",
    [
        "No.",
        "Stop.",
        "Wait.",
        "Sorry, stop.",
        "Okay, I need a plumber.",
        "Yes yes okay right fine",
        "Hold on.",
    ],
)
def test_anything_with_content_is_not(text: str) -> None:
    assert not is_backchannel(text)
