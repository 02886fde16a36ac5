"""The offline dialog engine as a livekit-agents `llm.LLM`: real tool calls, streamed replies."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import uuid
from collections.abc import Callable

from livekit.agents import llm
from livekit.agents.llm import utils as llm_utils
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, NOT_GIVEN, APIConnectOptions, NotGivenOr

from agent.providers.offline.dialog.conversation import read_conversation
from agent.providers.offline.dialog.policy import Reply, ToolCall, decide

logger = logging.getLogger("voice_agent.dialog")

_CHUNK_WORDS = 4
DEGRADED_NOTICE = "I'm running on my backup system, so I'll keep this simple."

FailedTurnHook = Callable[[str], None]


def tool_schemas(tools: list[llm.Tool]) -> dict[str, dict]:
    """JSON schema of each function tool's parameters, keyed by tool name."""
    schemas = {}
    for tool in tools:
        if isinstance(tool, llm.FunctionTool):
            schema = llm_utils.build_legacy_openai_schema(tool)["function"]
            schemas[schema["name"]] = schema["parameters"]
    return schemas


def fit_arguments(arguments: dict, schema: dict) -> dict | None:
    """Keep only the schema's parameters; None when a required one is missing."""
    properties = schema.get("properties", {})
    fitted = {name: value for name, value in arguments.items() if name in properties}
    if any(name not in fitted for name in schema.get("required", [])):
        return None
    return fitted


class DialogEngineLLM(llm.LLM):
    """Deterministic front-desk dialog: intents and slots in, tool calls or short replies out."""

    def __init__(
        self,
        *,
        degraded_notice: bool = False,
        on_failed_turn: FailedTurnHook | None = None,
        clock: Callable[[], dt.datetime] = dt.datetime.now,
    ) -> None:
        super().__init__()
        self._degraded_notice_pending = degraded_notice
        self._on_failed_turn = on_failed_turn
        self._clock = clock

    @property
    def model(self) -> str:
        return "dialog-engine"

    @property
    def provider(self) -> str:
        return "offline"

    def chat(
        self,
        *,
        chat_ctx: llm.ChatContext,
        tools: list[llm.Tool] | None = None,
        conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS,
        parallel_tool_calls: NotGivenOr[bool] = NOT_GIVEN,
        tool_choice: NotGivenOr[llm.ToolChoice] = NOT_GIVEN,
        extra_kwargs: NotGivenOr[dict] = NOT_GIVEN,
    ) -> llm.LLMStream:
        return _DialogStream(self, chat_ctx=chat_ctx, tools=tools or [], conn_options=conn_options)

    def _take_degraded_notice(self) -> str:
        notice = DEGRADED_NOTICE + " " if self._degraded_notice_pending else ""
        self._degraded_notice_pending = False
        return notice


class _DialogStream(llm.LLMStream):
    async def _run(self) -> None:
        engine = self._llm
        assert isinstance(engine, DialogEngineLLM)
        schemas = tool_schemas(self.tools)
        view = read_conversation(self.chat_ctx)
        decision = decide(view, now=engine._clock(), tool_names=set(schemas))
        request_id = uuid.uuid4().hex

        if isinstance(decision, ToolCall):
            arguments = fit_arguments(decision.arguments, schemas.get(decision.name, {}))
            if decision.name in schemas and arguments is not None:
                call = llm.FunctionToolCall(
                    name=decision.name, arguments=json.dumps(arguments), call_id=f"call_{request_id[:12]}"
                )
                self._event_ch.send_nowait(
                    llm.ChatChunk(id=request_id, delta=llm.ChoiceDelta(role="assistant", tool_calls=[call]))
                )
                return
            logger.info("dialog engine: tool unavailable", extra={"tool": decision.name})
            decision = Reply("I can't do that from here right now, but I can take a message.", failed=True)

        if decision.failed and engine._on_failed_turn is not None:
            engine._on_failed_turn("not_understood")  # the escalation policy's FailureReason
        words = (engine._take_degraded_notice() + decision.text).split(" ")
        for start in range(0, len(words), _CHUNK_WORDS):
            chunk = " ".join(words[start : start + _CHUNK_WORDS])
            if start + _CHUNK_WORDS < len(words):
                chunk += " "
            self._event_ch.send_nowait(
                llm.ChatChunk(id=request_id, delta=llm.ChoiceDelta(role="assistant", content=chunk))
            )
            await asyncio.sleep(0)
