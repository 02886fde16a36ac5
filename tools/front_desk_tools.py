"""The front desk's function tools: every call goes through the resilience layer.

Tools that change an account (book, reschedule, cancel) act only for a verified caller,
and only on that caller's own records. This is enforced here, in code: nothing the
caller says can skip it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from livekit.agents import RunContext, function_tool
from livekit.agents.llm import ToolError
from livekit.agents.voice import SpeechHandle

from agent.call_state import CallState
from agent.escalation.policy import FailureReason, Trigger, asks_for_manager
from tools import speech, validation
from tools.backend import Backend, BackendError, Stored
from tools.domain import SERVICE_TYPES, TIMES_OF_DAY, URGENCIES, Callback, Customer
from tools.resilience import CircuitOpenError, ToolRunner, derive_key
from tools.resilience.runner import ToolDeadlineExceeded

logger = logging.getLogger("voice_agent.tools")
T = TypeVar("T")

MAX_SLOTS_OFFERED = 3
FILLER = "One moment while I check that."
SAFETY_INSTRUCTIONS = {
    "gas_smell": "Please leave the house now. Don't touch any light switches or appliances, and call the gas company from outside.",
    "flooding": "If you can do it safely, shut off the main water valve, and stay away from outlets and appliances near the water.",
    "sparking": "Please stay away from it, and if you can do it safely, switch off that circuit at the breaker. If there is fire, call 911.",
}


@dataclass
class BusinessContext:
    backend: Backend
    runner: ToolRunner
    filler_after_s: float = 0.7


class FrontDeskTools:
    """Mixin for the Agent: the business tools, bound to one backend and one resilience layer."""

    business: BusinessContext

    def tool_filler(self) -> str | Callable[[int], SpeechHandle | str | None]:
        """What a tool still running after `filler_after_s` says (an Agent may say pre-rendered audio)."""
        return FILLER

    def tool_started(self, tool: str, call_id: str) -> None:
        """Called as each backend operation of a tool call starts: an Agent may say a confirm."""

    async def _guarded(
        self,
        ctx: RunContext[CallState],
        tool: str,
        operation: Callable[[str | None], Awaitable[T]],
        *,
        arguments: dict[str, Any] | None = None,
    ) -> T:
        """Run through the resilience layer; side effects pass `arguments` and get an idempotency key."""
        state = ctx.userdata
        key = derive_key(state.call_id, tool, arguments) if arguments is not None else None
        self.tool_started(tool, ctx.function_call.call_id)
        try:
            async with ctx.with_filler(self.tool_filler(), delay=self.business.filler_after_s):
                return await self.business.runner.run(
                    tool, lambda: operation(key), call_id=state.call_id, key=key, retry_safe=True
                )
        except BackendError as exc:
            self._failed(state, tool, str(exc))
            raise ToolError(_sentence(str(exc))) from None
        except ToolDeadlineExceeded:
            self._failed(state, tool, "deadline")
            raise ToolError(
                "Our system is slow to answer right now. I can take a message and have someone call you back."
            ) from None
        except CircuitOpenError:
            self._failed(state, tool, "circuit open")
            raise ToolError(
                "Our scheduling system is down at the moment. I can take a message and have someone call you back."
            ) from None

    @staticmethod
    def _failed(state: CallState, tool: str, reason: str) -> None:
        logger.info("tool failed", extra={"tool": tool, "reason": reason})
        state.record_failed_turn(FailureReason.TOOL_FAILED, f"{tool}: {reason}")

    @staticmethod
    def _verified(state: CallState) -> str:
        if state.verified_customer_id is None:
            # not a failed turn: asking for verification is the normal next step
            raise ToolError(
                "Please verify the caller first: ask for the last name and zip code on the account."
            )
        return state.verified_customer_id

    @function_tool
    async def find_customer(
        self, context: RunContext[CallState], phone: str = "", name: str = "", zip_code: str = ""
    ) -> dict[str, Any]:
        """Look up the caller's account by phone number, or by full name and zip code.

        Args:
            phone: the phone number on the account; leave empty to use the caller ID
            name: the account holder's full name
            zip_code: the five-digit zip code of the service address
        """
        state = context.userdata
        spoken_phone = validation.phone(phone) if phone.strip() else None
        backend = self.business.backend
        customer: Customer | None = None
        if spoken_phone or (not name.strip() and state.caller_phone):
            lookup = spoken_phone or state.caller_phone
            customer = await self._guarded(
                context, "find_customer", lambda _key: backend.find_customer_by_phone(lookup)
            )
        elif name.strip():
            last_name = validation.text(name, what="name", max_length=80).split()[-1]
            zip_value = validation.zip_code(zip_code)
            found = await self._guarded(
                context, "find_customer", lambda _key: backend.find_customers(last_name, zip_value)
            )
            customer = found[0] if len(found) == 1 else None
        else:
            raise ToolError("I need a phone number, or a name and zip code, to look up the account.")
        if customer is None:
            return {"found": False, "say": "I couldn't find an account with those details."}
        # caller ID, or name and zip together, verify; a spoken number alone does not
        by_caller_id = state.caller_phone is not None and customer.phone == state.caller_phone
        if by_caller_id or (name.strip() and zip_code.strip()):
            state.verified_customer_id = customer.customer_id
        else:
            state.candidate_customer_id = customer.customer_id
        state.customer = {
            "customer_id": customer.customer_id,
            "name": f"{customer.first_name} {customer.last_name}",
            "phone": customer.phone,
            "zip_code": customer.zip_code,
            "verified": state.verified_customer_id == customer.customer_id,
        }
        history = await self._guarded(
            context, "find_customer", lambda _key: backend.history(customer.customer_id)
        )
        upcoming = [a for a in history.appointments if a.status == "booked"]
        open_jobs = [j for j in history.jobs if j.status != "completed"]
        say = f"I found the account for {customer.first_name}."
        if upcoming:
            say += f" You have an appointment {speech.when(upcoming[0].starts_at)}."
        return {
            "found": True,
            "customer_id": customer.customer_id,
            "first_name": customer.first_name,
            "zip_code": customer.zip_code,
            "verified": state.verified_customer_id == customer.customer_id,
            "appointments": [
                {
                    "appointment_id": a.appointment_id,
                    "service_type": a.service_type,
                    "spoken": speech.when(a.starts_at),
                }
                for a in upcoming
            ],
            "jobs": [{"job_id": j.job_id, "status": j.status, "summary": j.summary} for j in open_jobs],
            "past_jobs": [j.summary for j in history.jobs if j.status == "completed"][:3],
            "open_tickets": [t.summary for t in history.tickets if t.status == "open"][:3],
            "say": say,
        }

    @function_tool
    async def verify_caller(
        self, context: RunContext[CallState], zip_code: str, last_name: str
    ) -> dict[str, Any]:
        """Verify the caller for the account found earlier, with the last name and zip code on file.

        Args:
            zip_code: the five-digit zip code on the account
            last_name: the account holder's last name
        """
        state = context.userdata
        candidate = state.candidate_customer_id or state.verified_customer_id
        if candidate is None:
            raise ToolError("Look up the account first, by phone number or by name and zip code.")
        zip_value = validation.zip_code(zip_code)
        last = validation.text(last_name, what="last name", max_length=80).split()[-1]
        backend = self.business.backend
        matches = await self._guarded(
            context, "verify_caller", lambda _key: backend.find_customers(last, zip_value)
        )
        if not any(c.customer_id == candidate for c in matches):
            state.record_failed_turn(FailureReason.TOOL_FAILED, "verification failed")
            raise ToolError("Those details don't match the account, so I can't make changes to it.")
        state.verified_customer_id = candidate
        return {"verified": True, "say": "Thanks, you're verified."}

    @function_tool
    async def check_availability(
        self,
        context: RunContext[CallState],
        service_type: str,
        date: str,
        zip_code: str,
        time_of_day: str = "any",
        end_date: str = "",
    ) -> dict[str, Any]:
        """Find open appointment times for a service on a day (or a range of days) in a zip code.

        Args:
            service_type: plumbing, hvac or electrical
            date: the first day, as YYYY-MM-DD
            zip_code: the five-digit zip code of the service address
            time_of_day: any, morning, afternoon or evening
            end_date: the last day of a range, as YYYY-MM-DD; empty for one day
        """
        service = validation.choice(service_type, SERVICE_TYPES, what="service type")
        first = validation.day(date)
        last = validation.day(end_date, what="end date") if end_date.strip() else first
        if last < first:
            raise ToolError("The end date is before the start date.")
        part = validation.choice(time_of_day, tuple(TIMES_OF_DAY), what="time of day")
        zip_value = validation.zip_code(zip_code)
        backend = self.business.backend
        if not await self._guarded(context, "check_availability", lambda _key: backend.serves_zip(zip_value)):
            raise ToolError("We don't serve that zip code yet. I can take a message instead.")
        slots = await self._guarded(
            context,
            "check_availability",
            lambda _key: backend.open_slots(service, first, last, zip_value, part),
        )
        offered = slots[:MAX_SLOTS_OFFERED]
        if not offered:
            return {"slots": [], "say": "I have nothing open then. Would another day work?"}
        spoken = [speech.when(s.starts_at) for s in offered]
        return {
            "slots": [
                {"slot_id": s.slot_id, "spoken": text} for s, text in zip(offered, spoken, strict=True)
            ],
            "say": f"I have {speech.listing(spoken)}.",
        }

    @function_tool
    async def book_appointment(
        self, context: RunContext[CallState], slot_id: str, service_type: str, problem: str
    ) -> dict[str, Any]:
        """Book an open slot for the verified caller.

        Args:
            slot_id: the slot id from check_availability
            service_type: plumbing, hvac or electrical
            problem: a short description of the problem, in the caller's words
        """
        customer_id = self._verified(context.userdata)
        arguments = {
            "slot_id": validation.reference(slot_id, what="time slot"),
            "service_type": validation.choice(service_type, SERVICE_TYPES, what="service type"),
            "problem": validation.text(problem, what="problem description"),
        }
        backend = self.business.backend
        stored = await self._guarded(
            context,
            "book_appointment",
            lambda key: backend.book(key=key or "", customer_id=customer_id, **arguments),
            arguments=arguments,
        )
        appointment = stored.value
        return {
            "appointment_id": appointment.appointment_id,
            "say": f"You're booked for {speech.when(appointment.starts_at)}. The technician will call when they're on the way.",
        }

    @function_tool
    async def reschedule_appointment(
        self, context: RunContext[CallState], appointment_id: str, new_slot_id: str
    ) -> dict[str, Any]:
        """Move the verified caller's appointment to another open slot.

        Args:
            appointment_id: the appointment to move
            new_slot_id: the new slot id from check_availability
        """
        customer_id = self._verified(context.userdata)
        arguments = {
            "appointment_id": validation.reference(appointment_id, what="appointment number"),
            "new_slot_id": validation.reference(new_slot_id, what="time slot"),
        }
        backend = self.business.backend
        stored = await self._guarded(
            context,
            "reschedule_appointment",
            lambda key: backend.reschedule(key=key or "", customer_id=customer_id, **arguments),
            arguments=arguments,
        )
        return {
            "appointment_id": stored.value.appointment_id,
            "say": f"Done. You're now booked for {speech.when(stored.value.starts_at)}.",
        }

    @function_tool
    async def cancel_appointment(self, context: RunContext[CallState], appointment_id: str) -> dict[str, Any]:
        """Cancel the verified caller's appointment.

        Args:
            appointment_id: the appointment to cancel
        """
        customer_id = self._verified(context.userdata)
        arguments = {"appointment_id": validation.reference(appointment_id, what="appointment number")}
        backend = self.business.backend
        stored = await self._guarded(
            context,
            "cancel_appointment",
            lambda key: backend.cancel(key=key or "", customer_id=customer_id, **arguments),
            arguments=arguments,
        )
        return {
            "appointment_id": stored.value.appointment_id,
            "say": f"Your appointment {speech.when(stored.value.starts_at)} is cancelled.",
        }

    @function_tool
    async def job_status(self, context: RunContext[CallState], reference: str) -> dict[str, Any]:
        """Say where a job or an appointment stands.

        Args:
            reference: the job or appointment number
        """
        ref = validation.reference(reference, what="job or appointment number")
        backend = self.business.backend
        found = await self._guarded(context, "job_status", lambda _key: backend.job_status(ref))
        if found is None:
            return {"found": False, "say": "I can't find that job number. Could you read it again?"}
        if hasattr(found, "job_id"):
            phrases = {"en_route": "Your technician is on the way.", "in_progress": "Your technician is working on it now.",
                       "scheduled": "That job is scheduled.", "completed": "That job is completed."}  # fmt: skip
            return {
                "found": True,
                "status": found.status,
                "say": phrases.get(found.status, f"That job is {found.status}."),
            }
        return {
            "found": True,
            "status": found.status,
            "say": f"That appointment is {found.status} for {speech.when(found.starts_at)}.",
        }

    @function_tool
    async def create_ticket(
        self, context: RunContext[CallState], summary: str, urgency: str
    ) -> dict[str, Any]:
        """Log an issue or a complaint for the team to follow up.

        Args:
            summary: what the issue is, in a sentence
            urgency: low, normal, high or emergency
        """
        state = context.userdata
        arguments = {
            "summary": validation.text(summary, what="summary"),
            "urgency": validation.choice(urgency, URGENCIES, what="urgency"),
        }
        backend = self.business.backend
        stored = await self._guarded(
            context,
            "create_ticket",
            lambda key: backend.create_ticket(
                key=key or "", customer_id=state.verified_customer_id, **arguments
            ),
            arguments=arguments,
        )
        return {
            "ticket_id": stored.value.ticket_id,
            "say": "I've logged that for our team, and they'll follow up.",
        }

    @function_tool
    async def schedule_callback(
        self, context: RunContext[CallState], phone: str, window_start: str, window_end: str, reason: str
    ) -> dict[str, Any]:
        """Schedule a call back from a person, with what was said on this call attached.

        Args:
            phone: the number to call back
            window_start: the earliest time to call, as YYYY-MM-DDTHH:MM
            window_end: the latest time to call, as YYYY-MM-DDTHH:MM
            reason: why the caller wants a call back
        """
        state = context.userdata
        start = validation.moment(window_start, what="start time")
        end = validation.moment(window_end, what="end time")
        if end <= start:
            raise ToolError("The end of the call-back window must be after its start.")
        if end < dt.datetime.now():
            raise ToolError("That time has already passed. When should we call?")
        arguments = {
            "phone": validation.phone(phone),
            "window_start": start.isoformat(timespec="minutes"),
            "window_end": end.isoformat(timespec="minutes"),
            "reason": validation.text(reason, what="reason"),
        }
        transcript = "\n".join(f"{role}: {text}" for role, text in state.transcript[-20:])
        stored = await self.store_callback(
            context.userdata, arguments, window_start=start, window_end=end, context=transcript, run=context
        )
        return {
            "callback_id": stored.value.callback_id,
            "say": f"Someone will call you back between {speech.clock(start)} and {speech.clock(end)}.",
        }

    async def store_callback(
        self,
        state: CallState,
        arguments: dict[str, str],
        *,
        window_start: dt.datetime,
        window_end: dt.datetime,
        context: str,
        message: str = "",
        message_audio: str = "",
        run: RunContext[CallState] | None = None,
    ) -> Stored[Callback]:
        """The one way a callback is stored: idempotent (keyed on the call and `arguments`), through
        the resilience layer; the schedule_callback tool and the voicemail both use it."""
        backend = self.business.backend

        def _operation(key: str | None) -> Awaitable[Stored[Callback]]:
            return backend.schedule_callback(
                key=key or "",
                phone=arguments["phone"],
                window_start=window_start,
                window_end=window_end,
                reason=arguments["reason"],
                context=context,
                message=message,
                message_audio=message_audio,
            )

        if run is not None:
            return await self._guarded(run, "schedule_callback", _operation, arguments=arguments)
        key = derive_key(state.call_id, "schedule_callback", arguments)
        return await self.business.runner.run(
            "schedule_callback", lambda: _operation(key), call_id=state.call_id, key=key, retry_safe=True
        )

    @function_tool
    async def report_emergency(
        self, context: RunContext[CallState], kind: str, details: str = ""
    ) -> dict[str, Any]:
        """Emergency fast path: gas smell, flooding or sparking. Gives the safety instruction first.

        Args:
            kind: gas_smell, flooding or sparking
            details: what the caller described
        """
        state = context.userdata
        emergency = validation.choice(kind, tuple(SAFETY_INSTRUCTIONS), what="emergency kind")
        instruction = SAFETY_INSTRUCTIONS[emergency]
        escalation = state.request_escalation(Trigger.EMERGENCY, f"emergency: {emergency.replace('_', ' ')}")
        arguments = {
            "summary": validation.text(f"EMERGENCY {emergency}: {details}", what="details"),
            "urgency": "emergency",
        }
        backend = self.business.backend
        # the safety instruction and the escalation matter more than the ticket
        with contextlib.suppress(ToolError):
            await self._guarded(
                context,
                "report_emergency",
                lambda key: backend.create_ticket(
                    key=key or "", customer_id=state.verified_customer_id, **arguments
                ),
                arguments=arguments,
            )
        escalation = escalation or state.policy.escalation
        if state.handoff is not None and escalation is not None:
            # the handoff speaks the instruction first, then says what it is actually doing
            return state.handoff(escalation, instruction)
        return {"say": f"{instruction} If anyone is in danger, call 911 now."}

    @function_tool
    async def transfer_to_human(self, context: RunContext[CallState], reason: str) -> Any:
        """Hand the call to a person on our team, with everything said so far. Use it when the
        caller asks for a person or a manager, or when you cannot help them. The caller is put
        on hold while a person is briefed; say nothing yourself after calling it.

        Args:
            reason: why the call needs a person, in a few words
        """
        state = context.userdata
        last_said = next((text for role, text in reversed(state.transcript) if role == "user"), "")
        trigger = Trigger.MANAGER if asks_for_manager(f"{reason} {last_said}") else Trigger.CALLER_ASKED
        why = " ".join(reason.split())[:200] or "the caller asked for a person"
        escalation = state.request_escalation(trigger, why) or state.policy.escalation
        if state.handoff is None or escalation is None:
            raise ToolError("Transfers are not available on this line. Offer to take a message instead.")
        logger.info("transfer requested", extra={"trigger": escalation.trigger.value})
        return state.handoff(escalation, "")


def _sentence(message: str) -> str:
    message = message.strip()
    message = message[:1].upper() + message[1:]
    return message if message.endswith((".", "?", "!")) else message + "."
