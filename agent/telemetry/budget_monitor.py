"""Live budgets: judges each hop against its allowance, and calls `on_repeated_breach` hooks when
one hop keeps breaching turn after turn (the provider chains subscribe to fail over)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from agent.telemetry.budgets import OFFLINE_PROVIDER

logger = logging.getLogger("voice_agent.telemetry")

RepeatedBreachHook = Callable[[str], None]


class BudgetMonitor:
    def __init__(
        self,
        allowances_ms: dict[str, float],
        *,
        repeat_after: int = 3,
        cloud_ms: dict[str, float] | None = None,
    ) -> None:
        self.allowances_ms = allowances_ms
        self.cloud_ms = cloud_ms or {}
        """Allowances for a hop a cloud provider served: a cloud turn is not "over budget" by the
        offline stack's numbers on every turn."""
        self.repeat_after = repeat_after
        self.on_repeated_breach: list[RepeatedBreachHook] = []
        """Called with the hop name (e.g. "voice.hop.llm") once per streak of `repeat_after` turns."""
        self._streaks: dict[str, int] = {}

    def breached(self, hop: str, latency_ms: float, *, provider: str | None = None) -> bool:
        """Over the allowance of the chain that served the hop (`provider`: None when not known)."""
        allowance = self.allowances_ms.get(hop)
        if provider is not None and provider != OFFLINE_PROVIDER:
            allowance = self.cloud_ms.get(hop, allowance)
        return allowance is not None and latency_ms > allowance

    def end_turn(self, breached_hops: set[str]) -> list[str]:
        """Update the streaks; returns the hops whose hooks fired."""
        fired = []
        for hop in set(self._streaks) | breached_hops:
            streak = self._streaks.get(hop, 0) + 1 if hop in breached_hops else 0
            self._streaks[hop] = streak
            if streak == self.repeat_after:
                fired.append(hop)
                self._fire(hop)
        return fired

    def _fire(self, hop: str) -> None:
        logger.warning("hop repeatedly over budget", extra={"hop": hop, "turns": self.repeat_after})
        for hook in list(self.on_repeated_breach):
            try:
                hook(hop)
            except Exception:
                # a subscriber's failure must not take the call's telemetry down with it
                logger.exception("on_repeated_breach hook failed", extra={"hop": hop})
