"""The worker's load and capacity policy: calls in progress against WORKER_MAX_CALLS, not the machine's
CPU, and a waiting line for calls beyond it, so no call is ever left in silence."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from livekit.agents import AgentServer
from livekit.agents.types import ATTRIBUTE_AGENT_NAME, NOT_GIVEN, NotGivenOr
from livekit.agents.worker import ASSIGNMENT_TIMEOUT, ServerEnvOption
from livekit.protocol import agent

from agent.config import Settings
from agent.overflow.held_call import HeldCall, is_handoff
from agent.overflow.hold_audio import HoldAudio, render_hold_audio
from agent.overflow.rescue import RescueSweeper
from agent.overflow.waiting_line import WaitingLine
from agent.telemetry.call_telemetry import TRACER_NAME
from agent.telemetry.setup import setup_tracing

logger = logging.getLogger("voice_agent.capacity")

QUEUEING_LOAD = 0.999
"""The load a worker with every call slot taken reports while its waiting line has room.

LiveKit's server only offers a job to a worker marked available with load under 1, picking among
them with weight 1 - load, and drops a job that no worker takes without telling anyone. So a full
worker stays available, at a weight of 1 in 1,000 against an idle one: a worker with a free slot
gets nearly every call, and a call reaches a waiting line only when the slots are (nearly) all taken."""
WAITING_LINE_ROLE = "waiting-line"
"""`voice.role` of the participant that holds a call in line (callers and tests tell it from the agent)."""


@dataclass(frozen=True)
class CallCapacity:
    """How many calls one worker runs at once, expressed as the load livekit-agents gates on."""

    max_calls: int
    """Calls this worker takes at once; the next one waits in line, or goes to another worker."""

    def __post_init__(self) -> None:
        if self.max_calls < 1:
            raise ValueError("max_calls must be at least 1")

    @property
    def load_threshold(self) -> float:
        """livekit-agents refuses a call once load >= threshold. Half a call under full keeps
        the float comparison off the boundary: exactly `max_calls` calls fit."""
        return (self.max_calls - 0.5) / self.max_calls

    def load(self, calls: int) -> float:
        """0 with no call, 1 at capacity. LiveKit's dispatcher weights workers by 1 - load."""
        return min(max(calls, 0) / self.max_calls, 1.0)

    def warm_target(self, calls: int, warm_processes: int) -> int:
        """Warm processes worth keeping with `calls` running: never more than the calls still
        to come, since a warm process past capacity holds ~230 MB and is never handed a call."""
        return max(0, min(warm_processes, self.max_calls - calls))

    def load_of(self, server: AgentServer) -> float:
        """The `load_fnc` for AgentServer: this worker's calls only, so other processes on the
        box (the server, a test's callers, another worker) never make it refuse a call.

        A job process counts from the moment a call is launched on it until the process exits,
        which includes the few seconds a finished call takes to shut down: that process still
        holds its memory and cannot take another call."""
        return self.load(len(server.active_jobs))

    def reported_load(self, load: float, *, line_has_room: bool) -> float:
        """What the server is told: the real load, held just under 1 while calls can still wait in line."""
        return min(load, QUEUEING_LOAD) if line_has_room else load


class CapacityServer(AgentServer):
    """An AgentServer that takes exactly `max_calls` calls, however many arrive at once, and holds
    the calls beyond them in a waiting line until an agent is free (agent/overflow/).

    livekit-agents books a call it accepted but has not launched at `load / active calls`, or,
    while no call runs yet, at `threshold / num_idle_processes`. With one warm process that is the
    whole threshold, so the 2nd..Nth call of a burst reaching an idle worker was refused, and
    LiveKit never retries a refused dispatch. Here every call, running or being set up, costs one
    slot, however many processes are kept warm.
    """

    def __init__(self, capacity: CallCapacity, *, settings: Settings | None = None, **options: Any) -> None:
        super().__init__(load_fnc=capacity.load_of, load_threshold=capacity.load_threshold, **options)
        self.capacity = capacity
        self._settings = settings
        self.line = WaitingLine(settings.queue_max_calls if settings is not None else 0)
        self._held: set[asyncio.Task[None]] = set()
        self._hold_audio: asyncio.Task[HoldAudio] | None = None
        self._rescue = RescueSweeper(settings) if settings is not None else None
        self.on("worker_started", self._follow_launches)

    # --- admission ------------------------------------------------------------------------

    def calls_in_progress(self) -> int:
        """Calls running, plus calls accepted and not yet launched on a process."""
        return len(self.active_jobs) + self._reserved_slots

    def _is_available(self) -> bool:
        # Overrides livekit-agents 1.8.9's private hook that `_answer_availability` asks before it
        # launches a job on a process: only a free call slot admits one (the line is ours).
        return not self._draining and self.calls_in_progress() < self.capacity.max_calls

    def _get_effective_load(self) -> float:
        # Overrides livekit-agents 1.8.9's private hook; tests/unit/test_capacity.py fails if an
        # upgrade renames any of the names overridden here.
        return self.capacity.load(self.calls_in_progress())

    async def _invoke_load_fnc(self) -> float:
        # livekit-agents runs load_fnc on a thread; ours only counts processes, and running it
        # inline means no await between "a slot is free" and booking it (no double booking).
        # Calls accepted but not yet launched count too: the server routes on this figure.
        return self.capacity.load(self.calls_in_progress())

    async def _answer_availability(
        self, msg: agent.AvailabilityRequest, *, received_at: float | None = None
    ) -> None:
        if self._draining or self._is_available() or not self.line.max_calls:
            await super()._answer_availability(msg, received_at=received_at)
            await self._report_load_now()
            return
        if is_handoff(msg.job.metadata) or not self.line.has_room():
            # a call handed on from a line stays in that line until a worker with a free slot takes it
            await self._refuse(msg.job.id)
            return
        self.line.join(msg.job.id)
        if not self.line.has_room():
            await self._report_load_now()  # full, line included: the server must stop offering calls
        try:
            assignment = await self._accept_for_line(msg.job)
        except Exception:
            self.line.leave(msg.job.id)
            raise
        if assignment is not None:
            self._hold(msg.job, assignment)

    async def _report_load_now(self) -> None:
        """Tell the server about a call just booked, instead of at the next 0.5 s tick: calls
        arriving within that tick were routed on the old load, and a worker that had just filled
        up got the next call over one with a free slot (seen: a call in line with a slot free)."""
        self._worker_load = await self._invoke_load_fnc()
        await self._update_worker_status()

    async def _refuse(self, job_id: str) -> None:
        refusal = agent.WorkerMessage()
        refusal.availability.job_id = job_id
        refusal.availability.available = False
        await self._queue_msg(refusal)

    async def _accept_for_line(self, job: agent.Job) -> agent.JobAssignment | None:
        """Take the job as the waiting line's participant; the server's assignment, or None if it never came."""
        answer = agent.WorkerMessage()
        answer.availability.job_id = job.id
        answer.availability.available = True
        answer.availability.participant_identity = f"{WAITING_LINE_ROLE}-{job.id[-10:]}"
        answer.availability.participant_name = "Waiting line"
        answer.availability.participant_attributes[ATTRIBUTE_AGENT_NAME] = self._agent_name
        answer.availability.participant_attributes["voice.role"] = WAITING_LINE_ROLE
        assigned = asyncio.get_running_loop().create_future()
        self._pending_assignments[job.id] = assigned
        await self._queue_msg(answer)
        try:
            return await asyncio.wait_for(assigned, ASSIGNMENT_TIMEOUT)
        except TimeoutError:
            self._pending_assignments.pop(job.id, None)
            self.line.leave(job.id)
            logger.warning(
                "the server never assigned a call taken into the waiting line", extra={"job_id": job.id}
            )
            return None

    def _hold(self, job: agent.Job, assignment: agent.JobAssignment) -> None:
        assert self._settings is not None
        settings = self._settings
        logger.info(
            "every call slot is taken: the call waits in line",
            extra={
                "room": job.room.name,
                "position": self.line.position(job.id),
                "calls": self.calls_in_progress(),
            },
        )

        async def _run() -> None:
            try:
                held = HeldCall(
                    settings=settings,
                    line=self.line,
                    hold_audio=await self._rendered_hold_audio(),
                    job_id=job.id,
                    room_name=job.room.name,
                    url=assignment.url or self._ws_url,
                    token=assignment.token,
                    retry_every_s=settings.queue_retry_every_s,
                    hold_update_every_s=settings.hold_update_every_s,
                    tracer=setup_tracing(settings).get_tracer(TRACER_NAME),
                )
                await held.run()
            finally:
                self.line.leave(job.id)
                await self._report_job_done(job.id)

        task = asyncio.create_task(_run(), name=f"waiting-line-{job.id}")
        self._held.add(task)
        task.add_done_callback(self._held.discard)

    async def _report_job_done(self, job_id: str) -> None:
        update = agent.WorkerMessage(
            update_job=agent.UpdateJobStatus(job_id=job_id, status=agent.JobStatus.JS_SUCCESS)
        )
        try:
            await self._queue_msg(update)
        except Exception:  # the connection is closing: the server ends the job with the worker
            logger.debug("could not report a waiting-line job as done", exc_info=True)

    async def _rendered_hold_audio(self) -> HoldAudio:
        if self._hold_audio is None:
            self._hold_audio = asyncio.create_task(self._render_hold_audio())
        return await asyncio.shield(self._hold_audio)

    async def _render_hold_audio(self) -> HoldAudio:
        assert self._settings is not None
        return await render_hold_audio(
            hold_audio=self._settings.hold_audio,
            voice=self._settings.offline_tts_voice,
            words_per_minute=self._settings.offline_tts_words_per_minute,
        )

    # --- status -----------------------------------------------------------------------------

    async def _update_worker_status(self) -> None:
        # Overrides livekit-agents 1.8.9's private status report: available while a slot is free
        # or the line has room, so the server never drops a call that could wait (QUEUEING_LOAD).
        if self._draining:
            await super()._update_worker_status()
            return
        line_has_room = self.line.has_room()
        available = self.calls_in_progress() < self.capacity.max_calls or line_has_room
        status = agent.WorkerStatus.WS_AVAILABLE if available else agent.WorkerStatus.WS_FULL
        if status != self._previous_status:
            self._previous_status = status
            extra = {"calls": self.calls_in_progress(), "waiting": len(self.line)}
            logger.info("worker is %s", "taking calls" if available else "full, line included", extra=extra)
        update = agent.UpdateWorkerStatus(
            load=self.capacity.reported_load(self._worker_load, line_has_room=line_has_room),
            status=status,
            job_count=len(self.active_jobs),
        )
        try:
            await self._queue_msg(agent.WorkerMessage(update_worker=update))
        except Exception:  # closing: the server forgets the worker anyway
            logger.debug("could not report the worker's status", exc_info=True)

    # --- warm processes, drain, shutdown -----------------------------------------------------

    def _follow_launches(self) -> None:
        # livekit-agents lowers the warm target on its 0.5 s load tick, but its pool refills
        # every 0.1 s: a burst that took every warm process had as many new ones loading
        # (seconds of CPU each) under the burst's greetings, past capacity (measured: a burst
        # of 4 greeted in 2.6-2.8 s instead of 0.6 s). Resizing the target the moment a call
        # is launched keeps the pool within capacity; it refills once calls end.
        self._proc_pool.on("process_job_launched", self._resize_warm_pool)
        self._proc_pool.on("process_closed", lambda _proc: self.line.slot_freed())
        if self._rescue is not None:
            self._rescue.start()
        if self._settings is not None and self.line.max_calls:
            self._hold_audio = asyncio.create_task(self._render_hold_audio())  # before the first caller waits

    def _resize_warm_pool(self, _launched: object) -> None:
        warm = ServerEnvOption.getvalue(self._num_idle_processes, self._devmode)
        self._proc_pool.set_target_idle_processes(self.capacity.warm_target(len(self.active_jobs), warm))

    async def drain(self, timeout: NotGivenOr[int | None] = NOT_GIVEN) -> None:
        """Running calls finish, and calls in line stay held until a worker with a free slot takes them."""
        await super().drain(timeout)
        if self._held:
            limit = timeout if isinstance(timeout, int) else self._drain_timeout
            await asyncio.wait(set(self._held), timeout=limit or None)

    async def aclose(self) -> None:
        if self._rescue is not None:
            await self._rescue.aclose()
        for task in list(self._held):
            task.cancel()
        await asyncio.gather(*self._held, return_exceptions=True)
        await super().aclose()
