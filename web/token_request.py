"""What a browser may ask of POST /api/token (LiveKit's standard endpoint fields), and what it may not."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

STANDARD_FIELDS = frozenset(
    {
        "room_name",
        "participant_identity",
        "participant_name",
        "participant_metadata",
        "participant_attributes",
        "room_config",
    }
)
MAX_NAME_CHARS = 64
DEFAULT_NAME = "Web caller"


class Refused(Exception):
    """A request the endpoint will not serve: an HTTP status, a stable code and one readable line."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True)
class CallerRequest:
    """The only choice a browser caller makes: the name shown to others in the call."""

    participant_name: str


def _forbidden(field: str, why: str) -> Refused:
    return Refused(403, "field_not_allowed", f"{field}: {why}")


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == {} or value == []


def _display_name(value: Any) -> str:
    if value is None or value == "":
        return DEFAULT_NAME
    if not isinstance(value, str):
        raise Refused(400, "invalid_field", "participant_name: must be a string")
    name = value.strip()
    if len(name) > MAX_NAME_CHARS:
        raise Refused(400, "invalid_field", f"participant_name: at most {MAX_NAME_CHARS} characters")
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        raise Refused(400, "invalid_field", "participant_name: no control characters")
    return name or DEFAULT_NAME


def _check_room_config(value: Any, agent_name: str) -> None:
    """Only the dispatch of our own agent, as LiveKit's SDKs package `agentName`; nothing else."""
    if _is_empty(value):
        return
    if not isinstance(value, dict):
        raise Refused(400, "invalid_field", "room_config: must be an object")
    others = sorted(key for key, item in value.items() if key != "agents" and not _is_empty(item))
    if others:
        raise _forbidden("room_config", f"the server sets {', '.join(others)}")
    agents = value.get("agents") or []
    if not isinstance(agents, list) or not all(isinstance(a, dict) for a in agents):
        raise Refused(400, "invalid_field", "room_config.agents: must be a list of objects")
    if len(agents) > 1:
        raise _forbidden("room_config.agents", "one agent per call")
    for dispatch in agents:
        if dispatch.get("agent_name") not in (None, "", agent_name):
            raise _forbidden("room_config.agents", f"this service only dispatches {agent_name!r}")
        extras = sorted(key for key, item in dispatch.items() if key != "agent_name" and not _is_empty(item))
        if extras:
            # dispatch metadata steers the worker (a call handed on from the waiting line, a rescue)
            raise _forbidden("room_config.agents", f"the server sets {', '.join(extras)}")


def parse_caller_request(body: Any, *, agent_name: str) -> CallerRequest:
    """Validates a token request body; raises Refused with the first problem found."""
    if not isinstance(body, dict):
        raise Refused(400, "invalid_body", "the body must be a JSON object")
    unknown = sorted(set(body) - STANDARD_FIELDS)
    if unknown:
        raise Refused(400, "unknown_field", f"unknown field(s): {', '.join(unknown)[:200]}")
    if not _is_empty(body.get("room_name")):
        raise _forbidden("room_name", "the server picks a fresh room for every call")
    if not _is_empty(body.get("participant_identity")):
        raise _forbidden("participant_identity", "the server picks the caller's identity")
    if not _is_empty(body.get("participant_metadata")):
        raise _forbidden("participant_metadata", "not settable by a browser")
    attributes = body.get("participant_attributes")
    if attributes is not None and not isinstance(attributes, dict):
        raise Refused(400, "invalid_field", "participant_attributes: must be an object")
    if attributes:
        # attributes mark roles the agent trusts (voice.role, sip.*): a page must not claim them
        raise _forbidden("participant_attributes", "not settable by a browser")
    _check_room_config(body.get("room_config"), agent_name)
    return CallerRequest(participant_name=_display_name(body.get("participant_name")))
