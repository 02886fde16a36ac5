"""Counts provider failovers: each hop's FallbackAdapter reports a provider going unavailable."""

from __future__ import annotations

from collections.abc import Callable

from livekit.agents import llm, stt, tts

from agent.telemetry.metrics import VoiceMetrics

OnFailover = Callable[[str, str, bool], None]


def watch_failovers(
    adapters: dict[str, object], metrics: VoiceMetrics, on_change: OnFailover | None = None
) -> None:
    """`adapters` maps hop ("stt", "llm", "tts") to the provider the session uses; only fallback
    chains report anything."""
    for hop, adapter in adapters.items():
        if not isinstance(adapter, stt.FallbackAdapter | llm.FallbackAdapter | tts.FallbackAdapter):
            continue

        def _changed(event: object, hop: str = hop) -> None:
            provider = getattr(getattr(event, hop, None), "label", "unknown")
            available = bool(getattr(event, "available", False))
            if not available:
                metrics.failovers.add(1, {"hop": hop, "provider": provider})
            if on_change is not None:
                on_change(hop, provider, available)

        adapter.on(f"{hop}_availability_changed", _changed)
