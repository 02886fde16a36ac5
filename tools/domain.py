"""The front-desk domain: customers, slots, appointments, jobs, tickets and callbacks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

ServiceType = Literal["plumbing", "hvac", "electrical"]
SERVICE_TYPES: tuple[str, ...] = ("plumbing", "hvac", "electrical")
Urgency = Literal["low", "normal", "high", "emergency"]
URGENCIES: tuple[str, ...] = ("low", "normal", "high", "emergency")
TIMES_OF_DAY: dict[str, tuple[int, int]] = {
    "any": (0, 24),
    "morning": (6, 12),
    "afternoon": (12, 17),
    "evening": (17, 22),
}


@dataclass(frozen=True)
class Customer:
    customer_id: str
    first_name: str
    last_name: str
    phone: str  # E.164
    zip_code: str
    address: str

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class Slot:
    slot_id: str
    service_type: str
    starts_at: dt.datetime
    technician: str


@dataclass(frozen=True)
class Appointment:
    appointment_id: str
    customer_id: str
    slot_id: str
    service_type: str
    starts_at: dt.datetime
    problem: str
    status: str  # booked | cancelled | completed


@dataclass(frozen=True)
class Job:
    job_id: str
    customer_id: str
    service_type: str
    status: str  # scheduled | en_route | in_progress | completed
    summary: str
    updated_at: dt.datetime


@dataclass(frozen=True)
class Ticket:
    ticket_id: str
    customer_id: str | None
    summary: str
    urgency: str
    status: str


@dataclass(frozen=True)
class Callback:
    callback_id: str
    phone: str
    window_start: dt.datetime
    window_end: dt.datetime
    reason: str


@dataclass(frozen=True)
class ScheduledCallback:
    """A stored callback as the back office sees it: when, whom, why, and the caller's message."""

    callback_id: str
    phone: str
    window_start: dt.datetime
    window_end: dt.datetime
    reason: str
    message: str
    """The caller's own words, as transcribed (empty when the callback came from a plain request)."""
    message_audio: str
    """Path of the recorded message (WAV) in the data directory, or empty."""
    context: str
    """What the agent knew: JSON with the transcript, intent and transfer attempts, or plain text."""
    created_at: dt.datetime


@dataclass(frozen=True)
class History:
    appointments: list[Appointment] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)
    tickets: list[Ticket] = field(default_factory=list)
