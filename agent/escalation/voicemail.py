"""Voicemail when no person can take the call: the caller's message (audio and words), a callback
window and a number read back digit by digit, stored as a real callback before it is promised."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import re
import wave
from collections.abc import AsyncIterable
from enum import StrEnum
from pathlib import Path

import numpy as np
from livekit import rtc
from livekit.agents import Agent, ModelSettings, get_job_context, llm, stt
from livekit.agents.llm import ToolError

from agent.call_state import CallState
from agent.escalation.packet import build_packet
from agent.escalation.policy import Escalation
from agent.escalation.transfer import EscalationDeps, call_span
from agent.providers.offline.dialog.slots import digits_from_words, extract_slots
from tools import validation

logger = logging.getLogger("voice_agent.escalation")

MAX_NUMBER_TRIES = 3
_WINDOWS = {"morning": (8, 12), "afternoon": (12, 17), "evening": (17, 20)}
INTRO = {
    "after_hours": "Our team is away right now, so I'll take a message and schedule a call back.",
    "nobody_available": "Nobody from our team can take your call right now, so I'll take a message and schedule a call back.",
    "nobody_answered": "I couldn't reach anyone on our team, so I'll take a message and schedule a call back.",
}


class Step(StrEnum):
    MESSAGE = "message"
    WINDOW = "window"
    NUMBER = "number"
    CONFIRM = "confirm"
    DONE = "done"


def digit_by_digit(e164: str) -> str:
    """+13125550198 -> "3 1 2, 5 5 5, 0 1 9 8": read back in the groups people say them."""
    digits = e164.removeprefix("+1") if e164.startswith("+1") and len(e164) == 12 else e164.lstrip("+")
    groups = [digits[:3], digits[3:6], digits[6:]] if len(digits) == 10 else [digits]
    return ", ".join(" ".join(group) for group in groups if group)


def spoken_window(start: dt.datetime, end: dt.datetime, now: dt.datetime) -> str:
    offset = (start.date() - now.date()).days
    day = "today" if offset == 0 else "tomorrow" if offset == 1 else start.strftime("%A")

    def clock(moment: dt.datetime) -> str:
        hour = moment.hour % 12 or 12
        return f"{hour}" if moment.minute == 0 else f"{hour}:{moment.minute:02d}"

    return f"between {clock(start)} and {clock(end)} {day}"


def heard_number(text: str, now: dt.datetime) -> str | None:
    """The callback number in an answer to "what number?": a phone number in the words, else
    all the digits said (people pause, and STTs group digits in odd ways), when they make one."""
    found = extract_slots(text, now=now).phone
    if not found:
        digits = re.sub(r"\D", "", digits_from_words(text))
        found = digits if len(digits) in (10, 11) else None
    try:
        number = validation.phone(found) if found else None
    except ToolError:
        return None
    # a North American number has ten digits; fewer means some were not heard, so ask again
    if number is not None and number.startswith("+1") and len(number) != 12:
        return None
    return number


class VoicemailDesk(Agent):
    """Deterministic message taking: the same steps whichever STT, LLM and TTS the call uses."""

    def __init__(self, *, why: str, escalation: Escalation, deps: EscalationDeps) -> None:
        super().__init__(instructions="You are taking a message for a call back.", llm=None)
        self._why = why
        self._escalation = escalation
        self._deps = deps
        self.step = Step.MESSAGE
        self._message: list[str] = []
        self._frames: list[rtc.AudioFrame] = []
        self._window: tuple[dt.datetime, dt.datetime] | None = None
        self._phone: str | None = None
        self._number_tries = 0

    async def on_enter(self) -> None:
        call_span(self.session).add_event("voice.voicemail.started", {"why": self._why})
        logger.info("taking a voicemail", extra={"why": self._why})
        self.session.input.set_audio_enabled(True)
        danger = "If anyone is in danger, hang up and call 911 now. " if self._escalation.emergency else ""
        intro = INTRO.get(self._why, INTRO["nobody_available"])
        self._ask(f"{danger}{intro} What would you like our team to know?")

    def _ask(self, text: str) -> None:
        self.session.say(text, allow_interruptions=True)

    def stt_node(
        self, audio: AsyncIterable[rtc.AudioFrame], model_settings: ModelSettings
    ) -> AsyncIterable[stt.SpeechEvent | str] | None:
        async def _recording() -> AsyncIterable[rtc.AudioFrame]:
            async for frame in audio:
                if self.step is Step.MESSAGE:
                    self._frames.append(frame)
                yield frame

        return Agent.default.stt_node(self, _recording(), model_settings)

    async def on_user_turn_completed(self, turn_ctx: llm.ChatContext, new_message: llm.ChatMessage) -> None:
        text = (new_message.text_content or "").strip()
        state: CallState = self.session.userdata
        if text:
            state.transcript.append(("user", text))
        if not text or self.step is Step.DONE:
            return
        now = self._deps.hours.now()
        if self.step is Step.MESSAGE:
            self._message.append(text)
            self.step = Step.WINDOW
            self._ask("Thank you. When is a good time to call you back? For example, tomorrow morning.")
        elif self.step is Step.WINDOW:
            self._window = self._parse_window(text, now)
            self._phone = self._known_number(state)
            self._ask_for_number()
        elif self.step is Step.NUMBER:
            self._phone = heard_number(text, now)
            self._number_tries += 1
            self._ask_for_number()
        elif self.step is Step.CONFIRM:
            slots = extract_slots(text, now=now)
            if slots.yes:
                await self._schedule(state)
            else:
                self._phone = None
                self._ask_for_number()

    def _known_number(self, state: CallState) -> str | None:
        for candidate in (state.caller_phone, (state.customer or {}).get("phone")):
            if candidate:
                return str(candidate)
        return None

    def _ask_for_number(self) -> None:
        if self._phone is not None:
            self.step = Step.CONFIRM
            self._ask(f"I have the number {digit_by_digit(self._phone)}. Is that the right number to call?")
        elif self._number_tries >= MAX_NUMBER_TRIES:
            self.step = Step.DONE
            self._ask(
                "I'm sorry, I couldn't get the number, so I can't schedule a call back. Please call us again."
            )
        else:
            self.step = Step.NUMBER
            self._ask("What number should we call you back on? Please say it digit by digit.")

    def _parse_window(self, text: str, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
        slots = extract_slots(text, now=now)
        if slots.date is None and slots.time_of_day is None and slots.time is None:
            return self._deps.hours.next_window(now)
        day = slots.date or now.date()
        if slots.time is not None:
            start = dt.datetime.combine(day, slots.time)
            end = start + dt.timedelta(hours=1)
        else:
            first, last = _WINDOWS.get(slots.time_of_day or "", (9, 17))
            start, end = dt.datetime.combine(day, dt.time(first)), dt.datetime.combine(day, dt.time(last))
        if end <= now:
            start, end = start + dt.timedelta(days=1), end + dt.timedelta(days=1)
        return max(start, now.replace(second=0, microsecond=0)), end

    async def _schedule(self, state: CallState) -> None:
        assert self._window is not None and self._phone is not None
        start, end = self._window
        message = " ".join(self._message)
        audio_path = await asyncio.to_thread(self._save_audio, state.call_id)
        packet = await build_packet(state, self._escalation, self._deps.backend)
        arguments = {
            "phone": self._phone,
            "window_start": start.isoformat(timespec="minutes"),
            "window_end": end.isoformat(timespec="minutes"),
            "reason": self._escalation.reason[:200],
        }
        self.step = Step.DONE
        try:
            stored = await self._deps.store_callback(
                state, arguments, window_start=start, window_end=end, context=json.dumps(packet),
                message=message, message_audio=str(audio_path or ""),
            )  # fmt: skip
        except Exception as exc:  # BackendError, deadline, open circuit: all end the same way
            # the recording stays in the data directory; the caller is told the truth
            logger.error("voicemail: the callback was not stored", extra={"reason": type(exc).__name__})
            self._ask("I'm sorry, I couldn't save the call back in our system. Please call us again later.")
            return
        state.outcome = "voicemail"
        call_span(self.session).add_event("voice.voicemail.stored", {"callback_id": stored.value.callback_id})
        logger.info("voicemail stored", extra={"callback_id": stored.value.callback_id})
        handle = self.session.say(
            f"Done. Someone from our team will call you at {digit_by_digit(self._phone)} "
            f"{spoken_window(start, end, self._deps.hours.now())}. Thanks for calling, goodbye.",
            allow_interruptions=False,
        )
        await handle
        with contextlib.suppress(RuntimeError):
            job = get_job_context()
            await asyncio.sleep(0.5)  # the goodbye's last syllable reaches the caller first
            # the call is over: hang up everyone (a SIP caller would otherwise sit in an empty room)
            await job.delete_room()
            job.shutdown(reason="voicemail taken")

    def _save_audio(self, call_id: str) -> Path | None:
        frames, self._frames = self._frames, []
        if not frames:
            return None
        directory = self._deps.settings.voicemail_dir
        directory.mkdir(parents=True, exist_ok=True)
        rate = frames[0].sample_rate
        samples = np.concatenate(
            [
                np.frombuffer(f.data, dtype=np.int16).reshape(-1, f.num_channels)[:, 0]
                for f in frames
                if f.sample_rate == rate
            ]
        )
        path = directory / f"{call_id}.wav"
        with wave.open(str(path), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(rate)
            wav.writeframes(samples.tobytes())
        return path
