"""PII masking: phone numbers, emails, card numbers (digits or spoken), known names."""

from __future__ import annotations

import pytest

from agent.telemetry.redaction import Redactor, luhn_valid


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("call me on 555-867-5309", "call me on [phone]"),
        ("+1 (415) 555-0100 is my cell", "[phone] is my cell"),
        ("card 4111 1111 1111 1111 please", "card [card] please"),
        ("4111-1111-1111-1112", "[number]"),  # 16 digits failing Luhn: still masked
        ("it's five five five, eight six seven, five three oh nine", "it's [phone]"),
        ("four one one one one one one one one one one one one one one one", "[card]"),
        ("mail jane.doe+x@example.co.uk now", "mail [email] now"),
        ("this is Maria Okafor calling", "this is [name] [name] calling"),
        ("book two rooms at 3 for 4 people", "book two rooms at 3 for 4 people"),
        ("trace 0af7651916cd43dd8448eb211c80319c", "trace 0af7651916cd43dd8448eb211c80319c"),
    ],
)
def test_masks(text: str, expected: str) -> None:
    assert Redactor(["Maria", "Okafor"])(text) == expected


def test_luhn() -> None:
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")


def test_names_come_from_a_callable_and_disabled_is_a_no_op() -> None:
    calls = []

    def names() -> list[str]:
        calls.append(1)
        return ["Quinn"]

    redactor = Redactor(names)
    assert redactor("Quinn here") == "[name] here" and redactor("quinn again") == "[name] again"
    assert len(calls) == 1  # read once, not on every line
    assert Redactor(enabled=False)("555-867-5309") == "555-867-5309"
    assert redactor.value(["555-867-5309", 3]) == ["[phone]", 3]
