"""Reads span files: our JSON lines, and an OpenTelemetry Collector file exporter's OTLP JSON.

Bad input never stops the read: each problem is one line naming the file and line, and
every good line still counts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Span:
    name: str
    trace_id: str
    span_id: str
    parent_span_id: str | None
    start_ns: int
    end_ns: int
    attributes: dict[str, Any]

    @property
    def duration_ms(self) -> float:
        return (self.end_ns - self.start_ns) / 1e6


@dataclass
class ReadResult:
    spans: list[Span] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _otlp_value(value: dict[str, Any]) -> Any:
    for kind in ("stringValue", "boolValue", "doubleValue"):
        if kind in value:
            return value[kind]
    if "intValue" in value:
        return int(value["intValue"])
    if "arrayValue" in value:
        return [_otlp_value(v) for v in value["arrayValue"].get("values", [])]
    return None


def _from_otlp(document: dict[str, Any]) -> list[Span]:
    spans = []
    for resource in document["resourceSpans"]:
        for scope in resource.get("scopeSpans", []):
            for raw in scope.get("spans", []):
                spans.append(
                    Span(
                        name=raw["name"],
                        trace_id=raw["traceId"],
                        span_id=raw["spanId"],
                        parent_span_id=raw.get("parentSpanId") or None,
                        start_ns=int(raw["startTimeUnixNano"]),
                        end_ns=int(raw["endTimeUnixNano"]),
                        attributes={
                            a["key"]: _otlp_value(a.get("value", {})) for a in raw.get("attributes", [])
                        },
                    )
                )
    return spans


def _from_ours(document: dict[str, Any]) -> Span:
    return Span(
        name=document["name"],
        trace_id=document["trace_id"],
        span_id=document["span_id"],
        parent_span_id=document.get("parent_span_id") or None,
        start_ns=int(document["start_ns"]),
        end_ns=int(document["end_ns"]),
        attributes=dict(document.get("attributes") or {}),
    )


def read_span_files(paths: list[Path]) -> ReadResult:
    result = ReadResult()
    for path in paths:
        try:
            lines = path.read_text().splitlines()
        except FileNotFoundError:
            result.problems.append(f"{path}: no such file")
            continue
        except (OSError, UnicodeDecodeError) as exc:
            result.problems.append(f"{path}: cannot read it ({type(exc).__name__})")
            continue
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                document = json.loads(line)
            except json.JSONDecodeError:
                result.problems.append(f"{path}:{number}: not JSON")
                continue
            try:
                if isinstance(document, dict) and "resourceSpans" in document:
                    result.spans.extend(_from_otlp(document))
                elif isinstance(document, dict) and {"name", "trace_id", "span_id"} <= document.keys():
                    result.spans.append(_from_ours(document))
                else:
                    result.problems.append(
                        f"{path}:{number}: not a span (expected our span lines or OTLP resourceSpans)"
                    )
            except (KeyError, TypeError, ValueError) as exc:
                result.problems.append(f"{path}:{number}: span is missing or has a bad field ({exc})")
    return result
