"""The worker: an AgentServer with a prewarm per job process and one entrypoint per call."""

from __future__ import annotations

import asyncio
import logging
import time

from livekit.agents import AgentServer, AgentSession, JobContext, JobExecutorType, JobProcess
from livekit.agents.voice.events import CloseEvent, CloseReason
from livekit.agents.voice.room_io import RoomOptions

from agent.call_state import CallState
from agent.capacity import CallCapacity, CapacityServer
from agent.config import Settings, load_settings
from agent.escalation.policy import EscalationPolicy
from agent.escalation.transfer import EscalationDeps, TransferDesk
from agent.escalation.watcher import watch_llm_failover, watch_turns
from agent.front_desk import FrontDesk
from agent.overflow.held_call import is_handoff
from agent.overflow.hold_audio import ANSWERED_AFTER_WAITING
from agent.overflow.rescue import is_rescue, keep_alive
from agent.providers.factory import Providers, build_providers
from agent.providers.offline import shared_models
from agent.providers.offline.dialog import slots as dialog_slots
from agent.providers.offline.whisper_stt import WhisperSTT
from agent.replies.greeting_audio import greeting_voice, keep_greetings_in
from agent.replies.quick_confirms import QuickConfirms
from agent.replies.reply_timing import load_timer
from agent.session import build_session
from agent.speaking_rate import use_batched_speaking_rate
from agent.telemetry import setup as telemetry_setup
from agent.telemetry.call_telemetry import CallTelemetry, observe_call
from agent.telemetry.logs import install_job_filter
from agent.telemetry.redaction import Redactor, set_redactor
from agent.telephony.phone_call import is_phone_caller, start_phone_call
from tools.business import TOOL_METRICS, build_backend, build_business
from tools.front_desk_tools import FILLER

logger = logging.getLogger("voice_agent.worker")


def prewarm(proc: JobProcess) -> None:
    """Load every model once per job process, before any call is assigned to it."""
    from livekit.agents.tokenize.basic import hyphenate_word

    settings = load_settings()
    if settings.uses_cloud_stt or settings.uses_cloud_llm_and_tts:
        # imported on a call's first use, the cloud plugins blocked its event loop for 1-6.7 s,
        # and the greeting's first TTS request missed its watchdog and went to the offline voice
        import agent.providers.cloud  # noqa: F401
    backend = build_backend(settings)
    known_names = getattr(backend, "customer_names", ())  # the CRM backend has no bulk name list
    set_redactor(Redactor(known_names, enabled=settings.redact_pii))
    install_job_filter()
    # before the first call: LiveKit's job span is then recorded, and parents our voice.call span
    telemetry_setup.setup_tracing(settings)
    telemetry_setup.setup_metrics()
    # once per process, not per executor: the thread executor's calls share them (shared_models.py)
    shared_models.call_vad(settings.vad_min_silence_s)
    # no v1-mini weights: the session's turn detector reads the caller's words (agent/turns/)
    shared_models.whisper_model()
    if not settings.uses_cloud_stt:
        # behind Deepgram the partials serve only after a failover, which then loads them off the
        # event loop (~0.3 s of CPU, the first interim only): not ~68 MB in every job process
        shared_models.keep_spare_partials()
    # the transcript synchronizer builds its hyphenation table on first use: 75 ms on the event
    # loop, which otherwise lands inside every call's greeting and cuts its first word short
    hyphenate_word("warm")
    # and its speaking-rate estimate ran ~120 ms of FFTs on the loop as each greeting started
    use_batched_speaking_rate()
    dialog_slots.warm_up()  # dateparser's lazy patterns, else compiled mid-call
    # the greeting is synthesized once and replayed from there (agent/replies/greeting_audio.py)
    keep_greetings_in(settings.data_dir / "greetings", greeting_voice(settings))
    # one breaker per backend per process: an outage seen by one call fails the next fast
    proc.userdata["business"] = build_business(settings, backend)


async def entrypoint(ctx: JobContext) -> None:
    settings = load_settings()
    vad_model = shared_models.call_vad(settings.vad_min_silence_s)
    business = ctx.proc.userdata["business"]
    call_state = CallState(
        call_id=ctx.job.id,
        room=ctx.room.name,
        policy=EscalationPolicy(
            failed_turns_to_transfer=settings.failed_turns_to_transfer,
            low_confidence=settings.stt_low_confidence,
        ),
    )
    providers = build_providers(
        settings,
        vad_model=vad_model,
        offline_stt=WhisperSTT(shared_models.whisper_model()),
        on_failed_turn=call_state.record_failed_turn,
    )
    session = build_session(settings, providers, vad_model=vad_model, call_state=call_state)
    telemetry = _observe(ctx, session, call_state, settings, providers=providers)
    # a call that waited in line was already welcomed: it hears that it is through, not a second welcome
    greeting = _greeting_for(ctx.job.metadata, settings)
    # quick confirms start from what the last call on this chain measured (agent/replies/)
    timing_file = settings.data_dir / "reply-timing.json"
    confirms = QuickConfirms(
        load_timer(timing_file, providers.chain), chain=providers.chain, timing_file=timing_file
    )
    front_desk = FrontDesk(greeting=greeting, business=business, confirms=confirms)
    _escalate_through(session, call_state, settings, front_desk)
    watch_llm_failover(providers.llm, call_state)
    logger.info("call starting", extra={"providers": providers.chain})
    with telemetry.current():
        await session.start(
            agent=front_desk,
            room=ctx.room,
            room_options=RoomOptions(close_on_disconnect=True),
            record=False,
        )
    telemetry.attach_media()
    _end_job_on_hang_up(ctx, session)
    await ctx.connect()
    heartbeat = asyncio.create_task(keep_alive(ctx.room.local_participant))  # agent/overflow/rescue.py

    async def _stop_heartbeat(_reason: str = "") -> None:
        heartbeat.cancel()

    ctx.add_shutdown_callback(_stop_heartbeat)
    caller = await ctx.wait_for_participant()
    if is_phone_caller(caller):  # caller ID, keypad, cold transfer, hang-up: agent/telephony/phone_call.py

        async def _end_call() -> None:
            await ctx.delete_room()
            ctx.shutdown(reason="the caller hung up")

        start_phone_call(ctx.room, caller, session, call_state, settings, end_call=_end_call)
        telemetry.observer.spans.call_span.set_attribute("voice.transport", "sip")


def _end_job_on_hang_up(ctx: JobContext, session: AgentSession[CallState]) -> None:
    """Once the caller has hung up and the session has closed, end the job at once.

    LiveKit otherwise ends it only when the room closes under it: 0-2.9 s after the session had
    closed (spans of a bench run), with the call's slot held all along. The shutdown still runs the end-of-call work: the session is closed
    (its spans ended, the transcript in them), then the shutdown callbacks flush the spans."""

    def _on_close(event: CloseEvent) -> None:
        if event.reason == CloseReason.PARTICIPANT_DISCONNECTED:
            ctx.shutdown(reason="the caller hung up")

    session.on("close", _on_close)


RESCUED_GREETING = "Sorry about that, we got cut off. How can I help you?"
"""Said by a new agent to a call whose agent died mid-call (agent/overflow/rescue.py)."""


def _greeting_for(job_metadata: str, settings: Settings) -> str:
    """A call taken over from the waiting line or from a dead agent is not welcomed twice."""
    if is_handoff(job_metadata):
        return ANSWERED_AFTER_WAITING
    if is_rescue(job_metadata):
        return RESCUED_GREETING
    return settings.greeting


def _observe(
    ctx: JobContext,
    session: AgentSession[CallState],
    call_state: CallState,
    settings: Settings,
    *,
    providers: Providers,
) -> CallTelemetry:
    """voice.* spans, metrics and live budgets for this call (see agent/telemetry)."""
    telemetry = observe_call(
        session,
        call_state,
        settings,
        chain=providers.chain,
        adapters={"stt": providers.stt, "llm": providers.llm, "tts": providers.tts_chain},
    )
    TOOL_METRICS.subscribe(lambda record: telemetry.observer.record_tool_call(record, ended_at=time.time()))

    async def _flush() -> None:
        await asyncio.to_thread(telemetry_setup.flush)

    ctx.add_shutdown_callback(_flush)
    return telemetry


def _escalate_through(
    session: AgentSession[CallState],
    call_state: CallState,
    settings: Settings,
    front_desk: FrontDesk,
) -> None:
    """The policy hears every turn; when it (or a tool) escalates, the transfer desk takes over."""
    deps = EscalationDeps(settings, front_desk.business.backend, front_desk.store_callback)
    call_state.handoff = lambda escalation, opening: TransferDesk(
        escalation=escalation, opening=opening, deps=deps
    )
    watch_turns(session, call_state, fillers=[FILLER])


def build_server(settings: Settings) -> AgentServer:
    if settings.uses_cloud_stt or settings.uses_cloud_llm_and_tts:
        # livekit plugins register on import and only on a main thread: here for the thread
        # executor, whose prewarm runs on a worker thread (the process executor's prewarm imports too)
        import agent.providers.cloud  # noqa: F401
    # load is this worker's calls against WORKER_MAX_CALLS, not the machine's CPU (agent/capacity.py)
    server = CapacityServer(
        CallCapacity(settings.worker_max_calls),
        settings=settings,
        ws_url=settings.livekit_url,
        api_key=settings.livekit_api_key,
        api_secret=settings.livekit_api_secret.get_secret_value(),
        max_retry=settings.worker_max_retry,
        num_idle_processes=settings.warm_processes,
        drain_timeout=settings.worker_drain_timeout_s,
        port=settings.worker_http_port,
        setup_fnc=prewarm,
        job_executor_type=JobExecutorType(settings.worker_job_executor),
        initialize_process_timeout=60.0,
    )
    server.rtc_session(entrypoint, agent_name=settings.agent_name)
    return server
