"""OpenAIChatStandIn: a test double of POST /v1/chat/completions, streamed as SSE, replies from the dialog engine."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import time
import uuid
from typing import Any

from aiohttp import web

from evals.standins.dialog_bridge import Answer, answer
from evals.standins.state import StandInState
from evals.standins.wire import Pacer, drop_connection, finish, hang_forever, write

logger = logging.getLogger("standins.openai_chat")

NAME = "OpenAIChatStandIn"
_ARGUMENT_PIECE = 12
"""Characters of tool-call arguments per delta; OpenAI streams them in small pieces too."""


def _tokens(text: str) -> list[str]:
    """Word-sized tokens, each with its leading space, as OpenAI's deltas carry them."""
    return re.findall(r"\s*\S+", text)


def _openai_error(status: int, message: str) -> web.Response:
    return web.json_response(
        {"error": {"message": message, "type": "server_error", "param": None, "code": None}}, status=status
    )


class OpenAIChatStandIn:
    """Test double of OpenAI chat completions: deterministic replies and real streamed tool-call deltas."""

    def __init__(self, state: StandInState) -> None:
        self.state = state

    async def models(self, _request: web.Request) -> web.Response:
        # the LiveKit plugin prewarms its connection with this call
        return web.json_response({"object": "list", "data": []})

    async def handle(self, request: web.Request) -> web.StreamResponse:
        stats = self.state.stats["llm"]
        stats.requests += 1
        fault = self.state.faults.get("llm")
        if fault != "none":
            stats.faulted += 1
        try:
            body = await request.json()
            messages: list[dict[str, Any]] = list(body["messages"])
            tools: list[dict[str, Any]] = list(body.get("tools") or [])
            model = str(body.get("model", "test-double"))
        except (ValueError, KeyError, TypeError):
            return web.json_response(
                {"error": {"message": "test double: malformed request", "type": "invalid_request_error"}},
                status=400,
            )
        if fault == "hang":
            return await hang_forever(NAME)
        if fault == "5xx":
            logger.info("%s: injected 5xx", NAME)
            return _openai_error(500, "test double: injected server error")

        reply = answer(messages, tools, now=dt.datetime.now())
        completion_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        if not body.get("stream"):
            return web.json_response(self._whole(completion_id, model, reply, messages))

        profile = self.state.profile
        first_s = self.state.delay_s(profile.llm_first_token_ms)
        every_s = 1.0 / max(1e-3, profile.llm_tokens_per_s.sample(self.state.rng))
        if fault == "slow-drip":
            every_s = self.state.drip.interval_ms / 1000
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-cache",
                "x-request-id": completion_id,
            }
        )
        await response.prepare(request)
        chunk = _Chunks(completion_id, model)
        pacer = Pacer(first_s, every_s)
        deltas = self._deltas(reply)
        for index, delta in enumerate(deltas):
            await pacer.wait()
            if not await write(response, chunk.sse(delta)):
                return response
            if fault == "disconnect" and index == 0:
                drop_connection(request, NAME)
                return response
        finish_reason = "tool_calls" if reply.tool_name else "stop"
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        await write(response, chunk.sse({}, finish_reason=finish_reason))
        if include_usage:
            await write(response, chunk.usage(_count_tokens(messages), len(deltas)))
        await write(response, b"data: [DONE]\n\n")
        await finish(response)
        stats.completed += 1
        if reply.tool_name:
            self.state.recent_tool_calls.append(reply.tool_name)
        else:
            self.state.recent_replies.append(reply.text)
        return response

    def _deltas(self, reply: Answer) -> list[dict[str, Any]]:
        if reply.tool_name:
            call_id = f"call_{uuid.uuid4().hex[:24]}"
            head = {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "index": 0,
                        "id": call_id,
                        "type": "function",
                        "function": {"name": reply.tool_name, "arguments": ""},
                    }
                ],
            }
            pieces = [
                reply.tool_arguments[i : i + _ARGUMENT_PIECE]
                for i in range(0, len(reply.tool_arguments), _ARGUMENT_PIECE)
            ]
            return [head] + [
                {"tool_calls": [{"index": 0, "function": {"arguments": piece}}]} for piece in pieces
            ]
        tokens = _tokens(reply.text) or [""]
        return [{"role": "assistant", "content": tokens[0]}] + [{"content": token} for token in tokens[1:]]

    def _whole(self, completion_id: str, model: str, reply: Answer, messages: list[dict[str, Any]]) -> dict:
        message: dict[str, Any] = {"role": "assistant", "content": reply.text or None}
        if reply.tool_name:
            message["tool_calls"] = [
                {
                    "id": f"call_{uuid.uuid4().hex[:24]}",
                    "type": "function",
                    "function": {"name": reply.tool_name, "arguments": reply.tool_arguments},
                }
            ]
        completion_tokens = len(_tokens(reply.text or reply.tool_arguments))
        prompt_tokens = _count_tokens(messages)
        return {
            "id": completion_id,
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": "tool_calls" if reply.tool_name else "stop",
                    "logprobs": None,
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }


def _count_tokens(messages: list[dict[str, Any]]) -> int:
    return sum(len(str(message.get("content") or "").split()) for message in messages)


class _Chunks:
    """chat.completion.chunk objects, as SSE lines."""

    def __init__(self, completion_id: str, model: str) -> None:
        self.completion_id = completion_id
        self.model = model
        self.created = int(time.time())

    def _base(self) -> dict[str, Any]:
        return {
            "id": self.completion_id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": "test-double",
        }

    def sse(self, delta: dict[str, Any], *, finish_reason: str | None = None) -> bytes:
        chunk = self._base() | {
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
            "usage": None,
        }
        return f"data: {json.dumps(chunk)}\n\n".encode()

    def usage(self, prompt_tokens: int, completion_tokens: int) -> bytes:
        chunk = self._base() | {
            "choices": [],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }
        return f"data: {json.dumps(chunk)}\n\n".encode()
