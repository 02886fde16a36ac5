"""Idempotency keys: derived from the call, the tool and the normalised arguments."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from typing import Any


def _normalise(value: Any) -> Any:
    if isinstance(value, str):
        return " ".join(unicodedata.normalize("NFKC", value).split()).casefold()
    if isinstance(value, dict):
        return {str(k): _normalise(v) for k, v in sorted(value.items())}
    if isinstance(value, list | tuple):
        return [_normalise(v) for v in value]
    return value


def derive_key(call_id: str, tool: str, arguments: dict[str, Any]) -> str:
    """Same call, tool and (normalised) arguments give the same key: the LLM repeating a call,
    a retry, or a worker restarted mid-call all land on the first result."""
    payload = json.dumps({"call": call_id, "tool": tool, "args": _normalise(arguments)}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def hash_key(key: str) -> str:
    """A short, non-reversible form for logs and spans."""
    return hashlib.sha256(key.encode()).hexdigest()[:16]
