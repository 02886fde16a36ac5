"""The one entry point the worker uses: everything telemetry does for one call, wired in two steps
(before `session.start`, and once the room's audio input and output exist)."""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Iterator
from dataclasses import dataclass

from livekit.agents import AgentSession
from opentelemetry import trace

from agent.call_state import CallState
from agent.config import Settings
from agent.telemetry.budget_monitor import BudgetMonitor, RepeatedBreachHook
from agent.telemetry.budgets import DEFAULT_BUDGETS, BudgetFile, load_budget_file
from agent.telemetry.call_observer import CallObserver
from agent.telemetry.failovers import watch_failovers
from agent.telemetry.logs import bind_call
from agent.telemetry.media_clock import MediaClock, TimedAudioInput
from agent.telemetry.metrics import VoiceMetrics
from agent.telemetry.redaction import active_redactor
from agent.telemetry.setup import setup_metrics, setup_tracing
from agent.telemetry.turns import CallSpans

TRACER_NAME = "voice-agent"

_by_session: weakref.WeakKeyDictionary[AgentSession, CallTelemetry] = weakref.WeakKeyDictionary()


@dataclass
class CallTelemetry:
    session: AgentSession[CallState]
    observer: CallObserver
    monitor: BudgetMonitor
    budgets: BudgetFile
    clock: MediaClock

    @property
    def on_repeated_breach(self) -> list[RepeatedBreachHook]:
        """Hooks called with a hop name when it breaches its allowance several turns in a row."""
        return self.monitor.on_repeated_breach

    @contextlib.contextmanager
    def current(self) -> Iterator[None]:
        """Makes `voice.call` the current span, so LiveKit's session spans nest under it."""
        with trace.use_span(self.observer.spans.call_span, end_on_exit=False):
            yield

    def attach_media(self) -> None:
        """After `session.start`: date the caller's frames, and hear when replies reach the room."""
        session = self.session
        if session.input.audio is not None and not isinstance(session.input.audio, TimedAudioInput):
            session.input.audio = TimedAudioInput(session.input.audio, self.clock)
        if session.output.audio is not None:
            session.output.audio.on("playback_started", self.observer.on_playback_started)

    def note_confirm(self, text: str, *, predicted_wait_s: float) -> None:
        """A quick confirm played as the turn ended: the trace shows it, and why."""
        if (turn := self.observer.spans.turn) is not None:
            turn.span.add_event(
                "voice.quick_confirm", {"text": text, "predicted_wait_ms": round(predicted_wait_s * 1000)}
            )


def observe_call(
    session: AgentSession[CallState],
    state: CallState,
    settings: Settings,
    *,
    chain: str,
    adapters: dict[str, object] | None = None,
) -> CallTelemetry:
    redactor = active_redactor()
    provider = setup_tracing(settings, redactor)
    setup_metrics()
    budgets = load_budget_file(settings.budgets_path or DEFAULT_BUDGETS)
    monitor = BudgetMonitor(
        budgets.budgets_ms, repeat_after=budgets.actions.repeated_breach_turns, cloud_ms=budgets.cloud_ms
    )
    metrics = VoiceMetrics()
    spans = CallSpans(
        provider.get_tracer(TRACER_NAME),
        call_attributes={
            "voice.call_id": state.call_id,
            "voice.room": state.room,
            "voice.transport": state.transport,
            "voice.provider_chain": chain,
        },
        monitor=monitor,
        metrics=metrics,
    )
    bind_call(state.call_id, spans.call_span)
    transcripts = None
    if settings.trace_transcripts != "off":
        # "full" is masked too while REDACT_PII is on; "redacted" always is
        transcripts = redactor.with_enabled(settings.redact_pii or settings.trace_transcripts == "redacted")
    clock = MediaClock()
    observer = CallObserver(session, state, spans, metrics, clock=clock, transcripts=transcripts)

    def _failover(hop: str, provider_label: str, available: bool) -> None:
        if (turn := spans.turn) is not None:
            turn.span.add_event(
                "voice.provider_availability_changed",
                {"hop": hop, "provider": provider_label, "available": available},
            )

    watch_failovers(adapters or {}, metrics, _failover)
    telemetry = CallTelemetry(session, observer, monitor, budgets, clock)
    _by_session[session] = telemetry
    return telemetry


def telemetry_for(session: AgentSession) -> CallTelemetry | None:
    return _by_session.get(session)
