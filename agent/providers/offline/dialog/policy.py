"""The offline dialog policy: from the conversation so far, the next tool call or reply."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from agent.providers.offline.dialog.conversation import Conversation, ToolOutcome
from agent.providers.offline.dialog.intents import Intent, classify, emergency_kind, service_type
from agent.providers.offline.dialog.slots import Slots, extract_slots
from agent.providers.offline.dialog.speech import describe_output, first_id, offered_slots

CONFIRM = "Shall I go ahead?"
SIDE_EFFECT_TOOLS = {
    "book_appointment",
    "reschedule_appointment",
    "cancel_appointment",
    "create_ticket",
    "schedule_callback",
}
_TASKS = {
    Intent.BOOK,
    Intent.AVAILABILITY,
    Intent.CANCEL,
    Intent.RESCHEDULE,
    Intent.STATUS,
    Intent.CALLBACK,
    Intent.TICKET,
}
SAFETY_FIRST = {
    "gas_smell": "Please leave the house now, don't touch any switches, and call the gas company from outside.",
    "flooding": "If you can do it safely, shut off the main water valve and keep away from outlets near the water.",
    "sparking": "Please keep away from it and, if you can do it safely, switch off the breaker.",
}
"""Said first when the emergency tool is not available; the tool's own instruction wins otherwise."""
_SERVICE_WORDS = {"plumbing": "plumbing", "hvac": "heating and cooling", "electrical": "electrical"}


@dataclass
class ToolCall:
    name: str
    arguments: dict[str, Any]


@dataclass
class Reply:
    text: str
    failed: bool = False
    """The engine could not understand the caller: a failed turn for the escalation policy."""


Decision = ToolCall | Reply


@dataclass
class _Task:
    intent: Intent
    start: int
    """Index of the caller utterance that started the task."""
    texts: list[str]
    slots: Slots
    now: dt.datetime
    outcomes: list[ToolOutcome] = field(default_factory=list)

    def outcome(self, name: str) -> ToolOutcome | None:
        found = [o for o in self.outcomes if o.name == name]
        return found[-1] if found else None

    def problem(self) -> str:
        return self.texts[0].strip().rstrip(".")[:200]


def _merge(slot_list: list[Slots]) -> Slots:
    merged = Slots()
    for slots in slot_list:
        for name, value in vars(slots).items():
            if value not in (None, False, {}):
                setattr(merged, name, value)
    last = slot_list[-1] if slot_list else Slots()
    merged.yes, merged.no = last.yes, last.no  # yes/no only ever answer the latest question
    return merged


_FAMILY = {Intent.AVAILABILITY: Intent.BOOK}
"""Intents that continue one another: asking for times and then saying "book it" is one task."""


def _family(intent: Intent) -> Intent:
    return _FAMILY.get(intent, intent)


def _active_task(view: Conversation, now: dt.datetime) -> _Task | None:
    latest = next(
        (i for i in range(len(view.user_texts) - 1, -1, -1) if classify(view.user_texts[i]) in _TASKS), None
    )
    if latest is None:
        return None
    intent = classify(view.user_texts[latest])
    start = latest
    # walk back over earlier turns of the same task, unless a side effect finished it in between
    for index in range(latest - 1, -1, -1):
        earlier = classify(view.user_texts[index])
        finished = any(
            o.name in SIDE_EFFECT_TOOLS and not o.is_error and index < o.after_user_turn <= start
            for o in view.tool_outcomes
        )
        if finished or (earlier in _TASKS and _family(earlier) != _family(intent)):
            break
        if earlier in _TASKS:
            start, intent = index, earlier if _family(earlier) == earlier else intent
    texts = view.user_texts[start:]
    return _Task(
        intent=intent,
        start=start,
        texts=texts,
        slots=_merge([extract_slots(text, now=now) for text in texts]),
        now=now,
        outcomes=[o for o in view.tool_outcomes if o.after_user_turn > start],
    )


def _confirming(view: Conversation) -> bool:
    return view.last_assistant_text.rstrip().endswith(CONFIRM)


def decide(view: Conversation, *, now: dt.datetime, tool_names: set[str]) -> Decision:
    latest = view.last_user_text
    intent = classify(latest)

    if view.last_item_is_tool_output and view.tool_outcomes:
        last = view.tool_outcomes[-1]
        if last.name == "report_emergency":
            return Reply(describe_output(last.output))
    if intent is Intent.EMERGENCY and "report_emergency" in tool_names:
        return ToolCall(
            "report_emergency", {"kind": emergency_kind(latest) or "gas_smell", "details": latest[:200]}
        )
    if intent is Intent.HUMAN:
        if "transfer_to_human" in tool_names:
            return ToolCall("transfer_to_human", {"reason": "the caller asked for a person"})
        # no promise of a person the line cannot deliver
        return Reply("I can't transfer calls from here, but I can take a message for our team.", failed=True)
    if intent is Intent.GOODBYE:
        return Reply("Thanks for calling Northside Home Services. Goodbye!")

    task = _active_task(view, now)
    if task is None:
        if intent is Intent.GREETING:
            return Reply("Hi! How can I help you today?")
        return Reply(
            "Sorry, I didn't catch that. I can book a visit, check on a job, or take a message.",
            failed=True,
        )
    return _continue_task(task, view, tool_names)


def _verification(task: _Task, tool_names: set[str]) -> Decision | None:
    """Account changes need a verified caller; the tools enforce it, the engine asks for the answer."""
    errors = [o for o in task.outcomes if o.is_error and "verif" in describe_output(o.output).lower()]
    verified = task.outcome("verify_caller")
    if not errors or (verified is not None and not verified.is_error):
        return None
    name = task.slots.name.split()[-1] if task.slots.name else None
    fresh_answer = verified is None or verified.after_user_turn < task.start + len(task.texts)
    if fresh_answer and name and task.slots.zip_code and "verify_caller" in tool_names:
        return ToolCall("verify_caller", {"zip_code": task.slots.zip_code, "last_name": name})
    return Reply("To protect your account, what is the last name and zip code on file?")


def _continue_task(task: _Task, view: Conversation, tool_names: set[str]) -> Decision:
    last = view.tool_outcomes[-1] if view.last_item_is_tool_output else None
    if last is not None and last.name in SIDE_EFFECT_TOOLS | {"job_status"}:
        if last.is_error:
            if (ask := _verification(task, tool_names)) is not None:
                return ask
            return Reply(f"{describe_output(last.output)} Is there anything else I can do?", failed=True)
        return Reply(f"{describe_output(last.output)} Is there anything else I can help with?")
    if (ask := _verification(task, tool_names)) is not None:
        return ask

    handlers = {
        Intent.BOOK: _book,
        Intent.AVAILABILITY: _book,
        Intent.CANCEL: _cancel,
        Intent.RESCHEDULE: _reschedule,
        Intent.STATUS: _status,
        Intent.CALLBACK: _callback,
        Intent.TICKET: _ticket,
    }
    return handlers[task.intent](task, view, tool_names)


def _customer(task: _Task, view: Conversation, tool_names: set[str]) -> Decision | ToolOutcome:
    found = view.last_outcome("find_customer")
    # a caller ID that matches no account is no reason to say "I couldn't find": just ask who they are
    caller_id_missed = found is not None and not any(found.arguments.values()) and _not_found(found.output)
    if found is not None and not found.is_error and not caller_id_missed:
        return found
    slots = task.slots
    if found is None and view.caller_id_known and not (slots.phone or slots.name):
        return ToolCall("find_customer", {"phone": "", "name": "", "zip_code": ""})  # by caller ID
    if slots.phone or (slots.name and slots.zip_code):
        args = {"phone": slots.phone or "", "name": slots.name or "", "zip_code": slots.zip_code or ""}
        if found is None or found.arguments != args:
            return ToolCall("find_customer", args)
    if found is not None and not caller_id_missed:
        return Reply("I couldn't find that account. Could you give me the phone number on the account?")
    return Reply("Can I have your name and zip code, or the phone number on your account?")


def _not_found(output: object) -> bool:
    return isinstance(output, dict) and output.get("found") is False


def _slot_on_offer(
    task: _Task, view: Conversation, service: str, zip_code: str
) -> Decision | tuple[str, str]:
    """The slot to offer now: checks availability for the asked day first, and moves past
    each offer the caller turned down. A Decision when there is something to do or say instead."""
    assert task.slots.date is not None
    args = {
        "service_type": service,
        "date": task.slots.date.isoformat(),
        "zip_code": zip_code,
        "time_of_day": task.slots.time_of_day or "any",
    }
    availability = task.outcome("check_availability")
    if availability is None or availability.arguments != args:
        return ToolCall("check_availability", args)
    slots = offered_slots(availability.output)
    answers = view.user_texts[availability.after_user_turn :]
    declined = sum(1 for text in answers if extract_slots(text, now=task.now).no)
    if availability.is_error:
        return Reply(f"{describe_output(availability.output)} Would another day work?")
    if declined >= len(slots):
        return Reply("I have nothing else open then. Would another day work?")
    return slots[declined]


def _book(task: _Task, view: Conversation, tool_names: set[str]) -> Decision:
    service = service_type(" ".join(task.texts))
    if service is None:
        return Reply("Is this for plumbing, heating and cooling, or electrical?")
    customer = _customer(task, view, tool_names)
    if not isinstance(customer, ToolOutcome):
        return customer
    if task.slots.date is None:
        return Reply(f"What day works for your {_SERVICE_WORDS[service]} visit?")
    zip_code = task.slots.zip_code or _field(customer.output, "zip_code") or ""
    offer = _slot_on_offer(task, view, service, zip_code)
    if not isinstance(offer, tuple):
        return offer
    slot_id, spoken = offer
    if _confirming(view) and task.slots.yes:
        return ToolCall(
            "book_appointment", {"slot_id": slot_id, "service_type": service, "problem": task.problem()}
        )
    if task.intent is Intent.AVAILABILITY:
        return Reply(f"The first opening is {spoken}. Would you like me to book it? {CONFIRM}")
    return Reply(f"I can send someone {spoken}. {CONFIRM}")


def _appointment_id(task: _Task, customer: ToolOutcome) -> str | None:
    return task.slots.reference or first_id(customer.output, "appointment")


def _cancel(task: _Task, view: Conversation, tool_names: set[str]) -> Decision:
    customer = _customer(task, view, tool_names)
    if not isinstance(customer, ToolOutcome):
        return customer
    appointment = _appointment_id(task, customer)
    if appointment is None:
        return Reply("I don't see an upcoming appointment. Which appointment should I cancel?")
    if _confirming(view) and task.slots.yes:
        return ToolCall("cancel_appointment", {"appointment_id": appointment})
    if _confirming(view) and task.slots.no:
        return Reply("All right, I'll leave it as it is. Anything else?")
    return Reply(f"I'll cancel your upcoming appointment. {CONFIRM}")


def _reschedule(task: _Task, view: Conversation, tool_names: set[str]) -> Decision:
    customer = _customer(task, view, tool_names)
    if not isinstance(customer, ToolOutcome):
        return customer
    appointment = _appointment_id(task, customer)
    if appointment is None:
        return Reply("Which appointment would you like to move?")
    if task.slots.date is None:
        return Reply("What day would you like instead?")
    service = service_type(" ".join(task.texts)) or _field(customer.output, "service_type") or "plumbing"
    zip_code = task.slots.zip_code or _field(customer.output, "zip_code") or ""
    offer = _slot_on_offer(task, view, service, zip_code)
    if not isinstance(offer, tuple):
        return offer
    slot_id, spoken = offer
    if _confirming(view) and task.slots.yes:
        return ToolCall("reschedule_appointment", {"appointment_id": appointment, "new_slot_id": slot_id})
    return Reply(f"I can move it to {spoken}. {CONFIRM}")


def _status(task: _Task, view: Conversation, tool_names: set[str]) -> Decision:
    if task.slots.reference:
        return ToolCall("job_status", {"reference": task.slots.reference})
    customer = _customer(task, view, tool_names)
    if not isinstance(customer, ToolOutcome):
        return customer
    reference = first_id(customer.output, "job") or first_id(customer.output, "appointment")
    if reference is None:
        return Reply("I don't see an open job on your account. Do you have a job number?")
    return ToolCall("job_status", {"reference": reference})


def _callback(task: _Task, view: Conversation, tool_names: set[str]) -> Decision:
    phone = task.slots.phone or (
        _field(view.last_outcome("find_customer").output, "phone")
        if view.last_outcome("find_customer")
        else None
    )
    if not phone:
        return Reply("What number should we call you back on?")
    start, end = {"morning": (8, 12), "afternoon": (12, 17), "evening": (17, 20)}.get(
        task.slots.time_of_day or "", (9, 17)
    )
    day = task.slots.date or task.now.date()
    if dt.datetime.combine(day, dt.time(end)) <= task.now:
        day += dt.timedelta(days=1)  # today's window is over: the same window tomorrow
    args = {
        "phone": phone,
        "window_start": dt.datetime.combine(day, dt.time(start)).isoformat(timespec="minutes"),
        "window_end": dt.datetime.combine(day, dt.time(end)).isoformat(timespec="minutes"),
        "reason": task.problem(),
    }
    if _confirming(view) and task.slots.yes:
        return ToolCall("schedule_callback", args)
    return Reply(f"I'll have someone call you back {_window(day, start, end, task.now)}. {CONFIRM}")


def _window(day: dt.date, start: int, end: int, now: dt.datetime) -> str:
    offset = (day - now.date()).days
    named = "today" if offset == 0 else "tomorrow" if offset == 1 else day.strftime("%A")
    return f"between {start % 12 or 12} and {end % 12 or 12} {named}"


def _ticket(task: _Task, view: Conversation, tool_names: set[str]) -> Decision:
    urgency = (
        "high"
        if any(w in " ".join(task.texts).lower() for w in ("urgent", "asap", "right away"))
        else "normal"
    )
    if _confirming(view) and task.slots.yes:
        return ToolCall("create_ticket", {"summary": task.problem(), "urgency": urgency})
    return Reply(f"I'll log that for our team. {CONFIRM}")


def _field(output: Any, name: str) -> str | None:
    """The first value of `name` anywhere in a tool result (nested records included)."""
    if isinstance(output, dict):
        if name in output and isinstance(output[name], str | int):
            return str(output[name])
        children = list(output.values())
    elif isinstance(output, list):
        children = output
    else:
        return None
    for child in children:
        if isinstance(child, dict | list) and (found := _field(child, name)):
            return found
    return None
