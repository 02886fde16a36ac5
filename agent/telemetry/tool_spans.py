"""`voice.hop.tool` spans: fed by the tools' resilience hook, else derived from LiveKit's
`function_tools_executed` event for tools that bypass that layer."""

from __future__ import annotations

from livekit.agents.voice.events import FunctionToolsExecutedEvent

from agent.telemetry.metrics import VoiceMetrics
from agent.telemetry.turns import CallSpans

SUCCESS = {"ok", "replayed"}


def record_tool_call(
    spans: CallSpans,
    metrics: VoiceMetrics,
    *,
    name: str,
    started_at: float,
    ended_at: float,
    outcome: str,
    attempts: int = 1,
    key_hash: str | None = None,
    served_from_storage: bool = False,
) -> None:
    """One tool call → one span under the current turn (and a failure count when it failed).

    `key_hash` is the idempotency key's hash, never the key: the key embeds the call id and
    the request's content."""
    spans.hop(
        "voice.hop.tool",
        started_at,
        ended_at,
        **{
            "tool.name": name,
            "tool.attempts": attempts,
            "tool.outcome": outcome,
            "tool.idempotency_key_hash": key_hash or "",
            "tool.served_from_storage": served_from_storage,
        },
    )
    if outcome not in SUCCESS:
        metrics.tool_failures.add(1, {"tool": name, "outcome": outcome})


def record_executed_tools(spans: CallSpans, metrics: VoiceMetrics, event: FunctionToolsExecutedEvent) -> None:
    """Spans for the tools in `event` that the resilience hook did not already report this turn."""
    turn = spans.turn
    if turn is None:
        return
    for call, output in zip(event.function_calls, event.function_call_outputs, strict=False):
        if turn.tools_from_hook[call.name] > 0:
            turn.tools_from_hook[call.name] -= 1
            continue
        record_tool_call(
            spans,
            metrics,
            name=call.name,
            started_at=call.created_at,
            ended_at=output.created_at if output is not None else event.created_at,
            outcome="failed" if output is None or output.is_error else "ok",
        )
