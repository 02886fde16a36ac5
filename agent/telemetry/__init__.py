"""Telemetry: voice.* spans from a session observer, metrics, structlog logs, PII masking, live budgets, trace review."""
