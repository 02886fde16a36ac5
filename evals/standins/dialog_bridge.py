"""Chat Completions messages and tools in, the offline dialog engine's decision out (reply or tool call)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from livekit.agents import llm

from agent.providers.offline.dialog.conversation import parse_output, read_conversation
from agent.providers.offline.dialog.policy import ToolCall, decide

UNAVAILABLE_TOOL_REPLY = "I can't do that from here right now, but I can take a message."


@dataclass(frozen=True)
class Answer:
    text: str = ""
    tool_name: str = ""
    tool_arguments: str = ""
    """JSON text, as OpenAI streams it."""


def _text_of(content: Any) -> str:
    """Message content is a string or a list of parts ({"type": "text", "text": ...})."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""


def _looks_like_error(output: str) -> bool:
    # The wire drops LiveKit's is_error flag. This project's tools return dicts on success and
    # raise ToolError with a plain sentence otherwise, so plain text reads as an error.
    return not isinstance(parse_output(output), dict | list)


def _as_called(arguments: str) -> str:
    """A tool call's arguments as the engine made them: without the nulls `fit_strict` added.

    A strict schema makes every property required, so the wire carries `null` for each optional
    argument the engine left out. Read back as they are, the engine's own call no longer equals
    the call it wants (`{"date": ..., "end_date": None} != {"date": ...}`), so it asks for the
    same result again on every turn.
    """
    try:
        parsed = json.loads(arguments or "{}")
    except ValueError:
        return arguments
    if not isinstance(parsed, dict):
        return arguments
    return json.dumps({name: value for name, value in parsed.items() if value is not None})


def chat_context(messages: list[dict[str, Any]]) -> llm.ChatContext:
    """Rebuild LiveKit's chat context from the wire messages, so the engine reads what it always reads."""
    ctx = llm.ChatContext.empty()
    call_names: dict[str, str] = {}
    for message in messages:
        role = message.get("role")
        if role in ("user", "assistant", "system", "developer"):
            text = _text_of(message.get("content"))
            if text:
                ctx.add_message(role="system" if role == "developer" else role, content=text)
            for call in message.get("tool_calls") or []:
                function = call.get("function", {})
                call_names[call.get("id", "")] = function.get("name", "")
                ctx.items.append(
                    llm.FunctionCall(
                        call_id=call.get("id", ""),
                        name=function.get("name", ""),
                        arguments=_as_called(function.get("arguments", "")),
                    )
                )
        elif role == "tool":
            call_id = message.get("tool_call_id", "")
            output = _text_of(message.get("content"))
            ctx.items.append(
                llm.FunctionCallOutput(
                    call_id=call_id,
                    name=call_names.get(call_id, ""),
                    output=output,
                    is_error=_looks_like_error(output),
                )
            )
    return ctx


def _parameters(tools: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    found = {}
    for tool in tools:
        function = tool.get("function") if tool.get("type", "function") == "function" else None
        if isinstance(function, dict) and function.get("name"):
            found[function["name"]] = function.get("parameters") or {}
    return found


def _nullable(schema: dict[str, Any]) -> bool:
    kinds = schema.get("type")
    if kinds == "null" or (isinstance(kinds, list) and "null" in kinds):
        return True
    return any(_nullable(option) for option in schema.get("anyOf", []) if isinstance(option, dict))


def fit_strict(arguments: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any] | None:
    """Arguments for a strict schema: known names only, every property present (null when allowed)."""
    properties: dict[str, Any] = schema.get("properties", {})
    fitted = {name: value for name, value in arguments.items() if name in properties}
    for name in schema.get("required", []):
        if name in fitted:
            continue
        if not _nullable(properties.get(name, {})):
            return None
        fitted[name] = None
    return fitted


def answer(messages: list[dict[str, Any]], tools: list[dict[str, Any]], *, now: dt.datetime) -> Answer:
    schemas = _parameters(tools)
    conversation = read_conversation(chat_context(messages))
    decision = decide(conversation, now=now, tool_names=set(schemas))
    if isinstance(decision, ToolCall):
        arguments = fit_strict(decision.arguments, schemas.get(decision.name, {}))
        if decision.name in schemas and arguments is not None:
            return Answer(tool_name=decision.name, tool_arguments=json.dumps(arguments))
        return Answer(text=UNAVAILABLE_TOOL_REPLY)
    return Answer(text=decision.text)
