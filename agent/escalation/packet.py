"""The context packet a human gets before talking to the caller, and its short spoken brief."""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from agent.call_state import CallState
from agent.escalation.policy import Escalation
from agent.providers.offline.dialog.intents import Intent, classify
from agent.providers.offline.dialog.slots import extract_slots
from tools.backend import Backend, BackendError

logger = logging.getLogger("voice_agent.escalation")

MAX_PACKET_BYTES = 12_000
"""LiveKit's RPC payload limit is 15 KiB: the oldest transcript lines go first to fit."""
_NOT_A_TASK = {Intent.UNKNOWN, Intent.GREETING, Intent.GOODBYE, Intent.HUMAN}


def detected_intent(user_texts: list[str]) -> str:
    """The caller's latest task (book, cancel, ...), whichever brain ran the call."""
    for text in reversed(user_texts):
        intent = classify(text)
        if intent not in _NOT_A_TASK:
            return intent.value
    return "unknown"


def collected_slots(user_texts: list[str], now: dt.datetime) -> dict[str, str]:
    slots: dict[str, str] = {}
    for text in user_texts:
        found = extract_slots(text, now=now)
        for name in ("date", "time", "time_of_day", "phone", "name", "zip_code", "reference"):
            value = getattr(found, name)
            if value:
                slots[name] = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return slots


async def _history(backend: Backend, customer_id: str) -> dict[str, Any]:
    try:
        history = await backend.history(customer_id)
    except BackendError as exc:
        # the human still gets everything else; they can look the account up themselves
        logger.info("no history for the brief", extra={"reason": str(exc)})
        return {"unavailable": str(exc)}
    return {
        "appointments": [
            {"appointment_id": a.appointment_id, "service_type": a.service_type,
             "starts_at": a.starts_at.isoformat(timespec="minutes"), "status": a.status}
            for a in history.appointments
        ][-5:],
        "jobs": [{"job_id": j.job_id, "status": j.status, "summary": j.summary} for j in history.jobs][-5:],
        "tickets": [{"ticket_id": t.ticket_id, "status": t.status, "summary": t.summary} for t in history.tickets][-5:],
    }  # fmt: skip


async def build_packet(
    state: CallState, escalation: Escalation, backend: Backend | None, *, now: dt.datetime | None = None
) -> dict[str, Any]:
    now = now or dt.datetime.now()
    user_texts = [text for role, text in state.transcript if role == "user"]
    customer = dict(state.customer) if state.customer else None
    if customer is not None and backend is not None:
        customer["history"] = await _history(backend, customer["customer_id"])
    slots = collected_slots(user_texts, now)
    packet: dict[str, Any] = {
        "call_id": state.call_id,
        "room": state.room,
        "transport": state.transport,
        "caller_number": state.caller_phone or (customer or {}).get("phone") or slots.get("phone"),
        "reason": escalation.reason,
        "trigger": escalation.trigger.value,
        "emergency": escalation.emergency,
        "intent": detected_intent(user_texts),
        "slots": slots,
        "customer": customer,
        "tried": [{"reason": f.reason.value, "detail": f.detail} for f in state.policy.failures],
        "attempts": [a.to_json() for a in state.transfer_attempts],
        "transcript": [{"role": role, "text": text} for role, text in state.transcript],
    }
    while len(json.dumps(packet)) > MAX_PACKET_BYTES and packet["transcript"]:
        packet["transcript"].pop(0)
    return packet


def spoken_brief(packet: dict[str, Any]) -> str:
    """A few short sentences only the human hears, before the caller does; the rest is on screen."""
    parts = [f"{'Emergency' if packet['emergency'] else 'Transfer'}: {packet['reason']}."]
    customer = packet.get("customer")
    if customer:
        parts.append(f"{customer['name']}, {'verified' if customer.get('verified') else 'not verified'}.")
    else:
        parts.append("No account found.")
    if packet["intent"] != "unknown":
        parts.append(f"Wants to {packet['intent'].replace('_', ' ')}.")
    attempts = packet.get("attempts") or []
    if attempts:
        parts.append(f"{attempts[-1]['tier'].capitalize()} tier {attempts[-1]['outcome'].replace('_', ' ')}.")
    last = next((t["text"] for t in reversed(packet["transcript"]) if t["role"] == "user"), None)
    if last:
        parts.append(f"Last said: {last}")
    return " ".join(parts)
