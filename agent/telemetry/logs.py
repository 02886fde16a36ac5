"""structlog for every log line (ours and LiveKit's stdlib logging): JSON in production, console
in dev, each line from a call carrying its call id, trace id and span id, with PII masked."""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from typing import Any

import structlog
from opentelemetry import trace

from agent.telemetry.redaction import active_redactor

CALL_FIELDS = ("call_id", "trace_id", "span_id")
# fields that are ids or clocks, never caller data: redacting them would only garble them
_NOT_REDACTED = {"timestamp", "level", "logger", "trace_id", "span_id", "call_id", "job_id", "pid"}


_RECORD_FIELDS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class _CallContext:
    """The call this job process is serving. One call per job process, so a process-wide
    holder also covers tasks LiveKit started before the entrypoint bound anything."""

    call_id: str | None = None
    call_span: trace.Span | None = None


def bind_call(call_id: str, call_span: trace.Span | None) -> None:
    _CallContext.call_id, _CallContext.call_span = call_id, call_span
    structlog.contextvars.bind_contextvars(call_id=call_id)


def call_fields() -> dict[str, str]:
    """call id plus the ids of the span current where the line was logged (else the call's span)."""
    if _CallContext.call_id is None:
        return {}
    span = trace.get_current_span()
    context = span.get_span_context()
    if not context.is_valid and _CallContext.call_span is not None:
        context = _CallContext.call_span.get_span_context()
    fields = {"call_id": _CallContext.call_id}
    if context.is_valid:
        fields.update(trace_id=f"{context.trace_id:032x}", span_id=f"{context.span_id:016x}")
    return fields


def add_call_fields(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, value in call_fields().items():
        event.setdefault(key, value)
    return event


def redact_event(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    redactor = active_redactor()
    if not redactor.enabled:
        return event
    for key, value in list(event.items()):
        if key not in _NOT_REDACTED:
            event[key] = redactor.value(value) if isinstance(value, str | list | tuple) else value
    return event


class CallFieldsFilter(logging.Filter):
    """Stamps call fields and masks PII on stdlib records in the job process, before LiveKit
    pickles them over to the worker process (where the call's context no longer exists)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in call_fields().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        redactor = active_redactor()
        if not redactor.enabled:
            return True
        try:
            record.msg, record.args = redactor(record.getMessage()), None
        except (TypeError, ValueError):  # a malformed format string: keep only the template
            record.msg, record.args = redactor(str(record.msg)), None
        # extras too: only this process knows the customer names to mask
        for key, value in list(vars(record).items()):
            if (
                key not in _RECORD_FIELDS
                and key not in _NOT_REDACTED
                and isinstance(value, str | list | tuple)
            ):
                setattr(record, key, redactor.value(value))
        return True


def _drop_record_internals(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    # a record forwarded from a job process carries its pre-formatted text as `message`
    for key in ("message", "taskName", "color_message"):
        event.pop(key, None)
    return event


def _shared_processors() -> list[Any]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        _drop_record_internals,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        add_call_fields,
        redact_event,
    ]


def formatter(*, dev: bool) -> structlog.stdlib.ProcessorFormatter:
    renderer: Any = (
        structlog.dev.ConsoleRenderer(colors=False) if dev else structlog.processors.JSONRenderer()
    )
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_shared_processors(),
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )


def configure_structlog() -> None:
    """structlog loggers become stdlib records (event + extra), so one set of handlers renders both
    and a job process's lines cross to the worker process like any other record."""
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.render_to_log_kwargs,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def install_worker_formatter(*, dev: bool) -> None:
    """Replace the root handlers' formatters (LiveKit's JSON or colour one) with structlog's."""
    configure_structlog()
    for handler in logging.getLogger().handlers:
        handler.setFormatter(formatter(dev=dev))


def install_job_filter() -> None:
    """In a job process: every root handler (LiveKit's log forwarder) stamps call fields."""
    configure_structlog()
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, CallFieldsFilter) for f in handler.filters):
            handler.addFilter(CallFieldsFilter())
