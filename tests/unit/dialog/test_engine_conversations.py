"""The dialog engine through a real AgentSession in text mode, against tool test doubles."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from livekit.agents import Agent, AgentSession, function_tool

from agent.providers.offline.dialog.engine_llm import DialogEngineLLM

NOW = dt.datetime(2026, 11, 24, 10, 0)


class FrontDeskToolsTestDouble(Agent):
    """Tools with the production names and arguments, recording calls instead of touching a store."""

    def __init__(self) -> None:
        super().__init__(instructions="test")
        self.calls: list[tuple[str, dict[str, Any]]] = []

    @function_tool
    async def find_customer(self, phone: str = "", name: str = "", zip_code: str = "") -> dict:
        """Find a customer."""
        self.calls.append(("find_customer", {"phone": phone, "name": name, "zip_code": zip_code}))
        return {
            "customer_id": "C-1",
            "name": "Dana Whitfield",
            "zip_code": "60614",
            "verified": True,
            "appointments": [{"appointment_id": "A-77", "spoken": "Friday at 9 AM"}],
        }

    @function_tool
    async def check_availability(
        self, service_type: str, date: str, zip_code: str, time_of_day: str = "any"
    ) -> dict:
        """Check open slots."""
        self.calls.append(
            (
                "check_availability",
                {
                    "service_type": service_type,
                    "date": date,
                    "zip_code": zip_code,
                    "time_of_day": time_of_day,
                },
            )
        )
        return {
            "slots": [
                {"slot_id": "S-1", "spoken": "Wednesday at 9 AM"},
                {"slot_id": "S-2", "spoken": "Wednesday at 11 AM"},
            ]
        }

    @function_tool
    async def book_appointment(self, slot_id: str, service_type: str, problem: str) -> dict:
        """Book."""
        self.calls.append(
            ("book_appointment", {"slot_id": slot_id, "service_type": service_type, "problem": problem})
        )
        return {"say": "You're booked for Wednesday at 11 AM."}

    @function_tool
    async def cancel_appointment(self, appointment_id: str) -> dict:
        """Cancel."""
        self.calls.append(("cancel_appointment", {"appointment_id": appointment_id}))
        return {"say": "Your Friday appointment is cancelled."}

    @function_tool
    async def report_emergency(self, kind: str, details: str = "") -> dict:
        """Emergency."""
        self.calls.append(("report_emergency", {"kind": kind}))
        return {"say": "Leave the house now and call the gas company from outside."}

    @function_tool
    async def job_status(self, reference: str) -> dict:
        """Status."""
        self.calls.append(("job_status", {"reference": reference}))
        return {"say": "Your technician is on the way."}


@pytest.fixture
def engine() -> DialogEngineLLM:
    return DialogEngineLLM(clock=lambda: NOW)


async def test_booking_asks_for_missing_slots_confirms_then_books(engine: DialogEngineLLM) -> None:
    agent = FrontDeskToolsTestDouble()
    async with engine, AgentSession(llm=engine) as session:
        await session.start(agent)
        result = await session.run(user_input="My kitchen sink is leaking")
        result.expect.next_event().is_message(role="assistant")
        assert agent.calls == []  # it asked who is calling first
        await session.run(user_input="This is Dana Whitfield, zip 60614")
        result = await session.run(user_input="Tomorrow morning please")
        assert [name for name, _ in agent.calls] == ["find_customer", "check_availability"]
        assert agent.calls[1][1] == {
            "service_type": "plumbing",
            "date": "2026-11-25",
            "zip_code": "60614",
            "time_of_day": "morning",
        }
        await session.run(user_input="No, something later")
        await session.run(user_input="Yes, that works")
        assert agent.calls[-1] == (
            "book_appointment",
            {"slot_id": "S-2", "service_type": "plumbing", "problem": "My kitchen sink is leaking"},
        )


async def test_emergency_calls_the_fast_path_first(engine: DialogEngineLLM) -> None:
    agent = FrontDeskToolsTestDouble()
    async with engine, AgentSession(llm=engine) as session:
        await session.start(agent)
        result = await session.run(user_input="I smell gas in the basement")
        assert agent.calls[0] == ("report_emergency", {"kind": "gas_smell"})
        text = result.expect[-1].event().item.text_content
        assert text.startswith("Leave the house now")


async def test_not_understood_is_a_failed_turn(engine: DialogEngineLLM) -> None:
    failed: list[str] = []
    engine._on_failed_turn = failed.append
    async with engine, AgentSession(llm=engine) as session:
        await session.start(FrontDeskToolsTestDouble())
        await session.run(user_input="purple monkey dishwasher")
    assert failed == ["not_understood"]
