"""Telemetry: latency budgets and the trace review tool (span emission is still to come)."""
