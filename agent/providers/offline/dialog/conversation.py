"""A read-only view of the chat context: what the caller said and what the tools returned.

The dialog engine keeps no state of its own: like a real LLM it re-reads the whole
conversation on every request, so it survives restarts and agrees with the transcript.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass, field
from typing import Any

from livekit.agents import llm

from agent.telephony.caller_id import CALLER_ID_NOTE


@dataclass
class ToolOutcome:
    name: str
    arguments: dict[str, Any]
    output: Any
    is_error: bool
    after_user_turn: int
    """How many caller utterances came before this result."""


@dataclass
class Conversation:
    user_texts: list[str] = field(default_factory=list)
    last_assistant_text: str = ""
    tool_outcomes: list[ToolOutcome] = field(default_factory=list)
    last_item_is_tool_output: bool = False
    user_turns_since_last_tool: int = 0
    caller_id_known: bool = False
    """A phone call whose caller ID the worker noted (agent/telephony/caller_id.py)."""

    @property
    def last_user_text(self) -> str:
        return self.user_texts[-1] if self.user_texts else ""

    def outcomes(self, name: str) -> list[ToolOutcome]:
        return [o for o in self.tool_outcomes if o.name == name]

    def last_outcome(self, name: str) -> ToolOutcome | None:
        found = self.outcomes(name)
        return found[-1] if found else None


def parse_output(text: str) -> Any:
    """Tool outputs arrive as text: JSON, a Python literal, or plain words."""
    for parse in (json.loads, ast.literal_eval):
        try:
            return parse(text)
        except (ValueError, SyntaxError, TypeError):
            continue
    return text


def read_conversation(chat_ctx: llm.ChatContext) -> Conversation:
    view = Conversation()
    calls: dict[str, llm.FunctionCall] = {}
    for item in chat_ctx.items:
        view.last_item_is_tool_output = item.type == "function_call_output"
        if item.type == "message" and item.role == "user":
            view.user_texts.append(item.text_content or "")
            view.user_turns_since_last_tool += 1
        elif item.type == "message" and item.role == "assistant":
            view.last_assistant_text = item.text_content or ""
        elif item.type == "message" and CALLER_ID_NOTE in (item.text_content or ""):
            view.caller_id_known = True
        elif item.type == "function_call":
            calls[item.call_id] = item
        elif item.type == "function_call_output":
            call = calls.get(item.call_id)
            arguments = parse_output(call.arguments) if call else {}
            view.tool_outcomes.append(
                ToolOutcome(
                    name=item.name or (call.name if call else ""),
                    arguments=arguments if isinstance(arguments, dict) else {},
                    output=parse_output(item.output),
                    is_error=item.is_error,
                    after_user_turn=len(view.user_texts),
                )
            )
            view.user_turns_since_last_tool = 0
    return view
