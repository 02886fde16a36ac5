"""What every scripted caller says, in order: a front-desk booking the offline dialog engine follows."""

from __future__ import annotations

SCRIPT = (
    "I need a plumber tomorrow morning",
    "My name is Dana Whitfield",
    "The zip code is 60614",
    "Yes, that works",
    "No, that is all, thank you",
)
