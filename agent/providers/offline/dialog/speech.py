"""Reads tool results for the dialog engine: what to say, which slots were offered, which ids exist."""

from __future__ import annotations

from typing import Any

_SPOKEN_KEYS = ("say", "spoken", "message", "summary", "text", "result", "status")
_SLOT_LIST_KEYS = ("slots", "open_slots", "availability", "options")


def describe_output(output: Any) -> str:
    """The sentence a tool meant to be said, or a plain rendering of a short result."""
    if isinstance(output, str):
        return output.strip()
    if isinstance(output, dict):
        for key in _SPOKEN_KEYS:
            if isinstance(output.get(key), str) and output[key].strip():
                return output[key].strip()
    return "Done."


def _slot_entries(output: Any) -> list[Any]:
    if isinstance(output, list):
        return output
    if isinstance(output, dict):
        for key in _SLOT_LIST_KEYS:
            if isinstance(output.get(key), list):
                return output[key]
    return []


def offered_slots(output: Any) -> list[tuple[str, str]]:
    """(slot id, spoken time) pairs, in the order the tool offered them."""
    slots = []
    for entry in _slot_entries(output):
        if not isinstance(entry, dict):
            continue
        slot_id = entry.get("slot_id") or entry.get("id")
        spoken = next(
            (entry[k] for k in ("spoken", "when", "label", "text", "start") if isinstance(entry.get(k), str)),
            None,
        )
        if slot_id and spoken:
            slots.append((str(slot_id), spoken))
    return slots


def first_id(output: Any, kind: str) -> str | None:
    """The first id of a `kind` ("appointment", "job") anywhere in a result."""
    if isinstance(output, dict):
        for key in (f"{kind}_id", f"{kind}s", "id"):
            value = output.get(key)
            if key.endswith("_id") and isinstance(value, str | int):
                return str(value)
            if isinstance(value, list):
                for item in value:
                    if isinstance(item, dict):
                        item_id = item.get(f"{kind}_id") or item.get("id")
                        if item_id:
                            return str(item_id)
        for value in output.values():
            if isinstance(value, dict | list) and (found := first_id(value, kind)):
                return found
    if isinstance(output, list):
        for item in output:
            if found := first_id(item, kind):
                return found
    return None
