"""Intent recognition for the offline dialog engine: weighted keyword rules, first strong match wins."""

from __future__ import annotations

import re
from enum import StrEnum


class Intent(StrEnum):
    EMERGENCY = "emergency"
    HUMAN = "human"
    CANCEL = "cancel"
    RESCHEDULE = "reschedule"
    STATUS = "status"
    CALLBACK = "callback"
    AVAILABILITY = "availability"
    BOOK = "book"
    TICKET = "ticket"
    GOODBYE = "goodbye"
    GREETING = "greeting"
    UNKNOWN = "unknown"


# Order matters: safety first, then explicit requests, then the broad "I have a problem".
_RULES: list[tuple[Intent, re.Pattern[str]]] = [
    (Intent.EMERGENCY, re.compile(
        r"\b(smell(s|ing)? (of )?gas|gas (leak|smell)|flood(ing|ed)?|water everywhere|burst pipe|"
        r"spark(s|ing)?|smok(e|ing)|on fire|electrical fire|shock(ed)?|(smell|smells|smelling) (something )?burn\w*|burning smell)\b", re.I)),
    (Intent.HUMAN, re.compile(
        r"\b(human|real person|a person|someone real|representative|operator|agent|manager|"
        r"supervisor|speak to (someone|somebody)|talk to (someone|somebody))\b", re.I)),
    (Intent.CANCEL, re.compile(r"\b(cancel|call off)\b", re.I)),
    (Intent.RESCHEDULE, re.compile(r"\b(reschedule|move (my|the) appointment|change (my|the) (appointment|time|date)|push (it|my appointment) back)\b", re.I)),
    (Intent.STATUS, re.compile(r"\b(status|where is (my|the) (tech|technician)|on (the|their|his|her) way|update on|eta|when will (the|my) (tech|technician))\b", re.I)),
    (Intent.CALLBACK, re.compile(r"\b(call (me )?back|callback|ring me back|have someone call)\b", re.I)),
    (Intent.AVAILABILITY, re.compile(r"\b(availab\w*|open slots?|openings?|what times?|when can|free slots?)\b", re.I)),
    (Intent.TICKET, re.compile(r"\b(ticket|complaint|complain|file a report|report (a|an|the) (issue|problem)|log (it|this|a))\b", re.I)),
    (Intent.BOOK, re.compile(
        r"\b(book|schedule|appointment|set up a visit|send (someone|a tech|a technician|a plumber|an electrician)|"
        r"come (out|over|by)|plumber|electrician|technician|need an? (tech|repair)|someone come|fix|repair|"
        r"leak\w*|drip\w*|clog\w*|broken|not working|stopped working|won'?t (turn|start|heat|cool)|no (heat|hot water|power)|"
        r"noise|noisy|tripp\w*|outlet|breaker|furnace|boiler|water heater|toilet|sink|drain|thermostat|"
        r"air condition\w*|a/?c\b|problem|issue|flicker\w*|buzz\w*|humming|warm air|not (heating|cooling)|"
        r"heating|cooling|lights?|disposal|jammed|rattl\w*|backed up|overflow\w*)\b", re.I)),
    (Intent.GOODBYE, re.compile(r"\b(bye|goodbye|that's all|that is all|nothing else|thanks,? that's it|have a good)\b", re.I)),
    (Intent.GREETING, re.compile(r"^\W*(hi|hello|hey|good (morning|afternoon|evening))\b", re.I)),
]  # fmt: skip

_SERVICE_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("plumbing", re.compile(r"\b(water heater|hot water)\b", re.I)),  # before hvac's "heater"
    ("electrical", re.compile(r"\b(electric\w*|outlet|breaker|wiring|lights?|power|spark\w*|switch|panel|fuse)\b", re.I)),
    ("hvac", re.compile(r"\b(furnace|heat(ing|er)?(?! water)|boiler|a/?c\b|air condition\w*|cooling|thermostat|hvac|vent|duct)\b", re.I)),
    ("plumbing", re.compile(r"\b(plumb\w*|disposal|leak\w*|drip\w*|pipe|sink|toilet|drain|clog\w*|faucet|water heater|hot water|sewer|shower)\b", re.I)),
]  # fmt: skip

_EMERGENCY_KINDS: list[tuple[str, re.Pattern[str]]] = [
    ("gas_smell", re.compile(r"\bgas\b", re.I)),
    ("sparking", re.compile(r"\b(spark\w*|smok\w*|fire|shock\w*|burn\w*)\b", re.I)),
    ("flooding", re.compile(r"\b(flood\w*|water everywhere|burst)\b", re.I)),
]


def classify(text: str) -> Intent:
    for intent, pattern in _RULES:
        if pattern.search(text):
            return intent
    return Intent.UNKNOWN


def service_type(text: str) -> str | None:
    for name, pattern in _SERVICE_RULES:
        if pattern.search(text):
            return name
    return None


def emergency_kind(text: str) -> str | None:
    for name, pattern in _EMERGENCY_KINDS:
        if pattern.search(text):
            return name
    return None
