"""Builds the business context (backend, breaker, counters) once per worker process."""

from __future__ import annotations

import logging

from agent.config import Settings
from tools.backend import Backend
from tools.front_desk_tools import BusinessContext
from tools.resilience import CircuitBreaker, ToolMetrics, ToolPolicy, ToolRunner

logger = logging.getLogger("voice_agent.tools")

TOOL_METRICS = ToolMetrics()
"""Process-wide tool counters; the telemetry layer subscribes to them."""


def build_backend(settings: Settings) -> Backend:
    if settings.business_backend == "http":
        from tools.http_backend import HTTPBackend

        return HTTPBackend(
            settings.crm_base_url,
            api_key=settings.crm_api_key.get_secret_value() if settings.crm_api_key else "",
            timeout_s=settings.tool_deadline_s,
        )
    from tools.seed import seed
    from tools.sqlite_store import SQLiteBackend

    store = SQLiteBackend(settings.store_path)
    if store.count("customers") == 0:
        logger.info("empty business store: seeding the demo data", extra={"path": str(settings.store_path)})
        seed(store, progress=lambda message: logger.info(message))
    return store


def build_business(settings: Settings, backend: Backend) -> BusinessContext:
    runner = ToolRunner(
        breaker=CircuitBreaker(),
        metrics=TOOL_METRICS,
        policy=ToolPolicy(deadline_s=settings.tool_deadline_s),
    )
    return BusinessContext(backend=backend, runner=runner, filler_after_s=settings.tool_filler_after_s)
