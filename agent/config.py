"""Settings from the environment and `.env`, validated once with one clear line per bad value."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlparse

from dotenv import load_dotenv
from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The local server's development keys, the same ones livekit.yaml declares. They only
# ever guard a server bound to loopback; production sets its own in the environment.
DEV_API_KEY = "devkey"
DEV_API_SECRET = "local-dev-secret-0123456789abcdefghij"  # noqa: S105 - loopback dev key

MIN_SECRET_LENGTH = 32
MIN_CONSOLE_SECRET_LENGTH = 12


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one line fit for the terminal."""


def _checked_url(value: str, wrong_scheme: str) -> str:
    """A ws(s) or http(s) URL with a host and a well-formed port; `wrong_scheme` says what else is wrong."""
    parsed = urlparse(value)
    if parsed.scheme not in {"ws", "wss", "http", "https"} or not parsed.hostname:
        raise ValueError(wrong_scheme)
    try:
        parsed.port  # noqa: B018 - raises on a malformed port
    except ValueError as exc:
        raise ValueError("has a malformed port") from exc
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    livekit_url: str = "ws://127.0.0.1:7880"
    """Signal URL of the LiveKit server (ws://, wss://, http:// or https://)."""
    livekit_api_key: Annotated[str, Field(min_length=1)] = DEV_API_KEY
    livekit_api_secret: SecretStr = SecretStr(DEV_API_SECRET)

    agent_name: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")] = (
        "voice-agent"
    )
    """Name the worker registers for explicit dispatch."""

    deepgram_api_key: SecretStr | None = None
    openai_api_key: SecretStr | None = None
    deepgram_model: str = "nova-3"
    openai_llm_model: str = "gpt-4.1-mini"
    openai_tts_model: str = "gpt-4o-mini-tts"
    openai_tts_voice: str = "ash"
    deepgram_base_url: str = ""
    """Deepgram streaming endpoint (e.g. a stand-in's http://127.0.0.1:PORT/v1/listen); empty: Deepgram's own."""
    openai_base_url: str = ""
    """OpenAI API base (e.g. a stand-in's http://127.0.0.1:PORT/v1); empty: OpenAI's own."""

    greeting: Annotated[str, Field(min_length=1, max_length=400)] = (
        "Thanks for calling Northside Home Services. How can I help you today?"
    )
    offline_tts_voice: str = "en-us"
    offline_tts_words_per_minute: Annotated[int, Field(ge=80, le=450)] = 175

    vad_min_silence_s: Annotated[float, Field(ge=0.05, le=3.0)] = 0.3
    """Silence Silero VAD needs before it declares the end of speech."""
    aec_warmup_s: Annotated[float, Field(ge=0.0, le=10.0)] = 0.0
    """Seconds at session start during which barge-in is ignored (LiveKit's default is 3).
    0 turns it off, so a caller can interrupt the greeting; browsers and phones cancel echo themselves."""
    endpointing_min_delay_s: Annotated[float, Field(ge=0.0, le=5.0)] = 0.3
    """Silence after speech before the turn may end, when the turn model is confident."""
    endpointing_max_delay_s: Annotated[float, Field(ge=0.1, le=10.0)] = 1.6
    """Wait after speech when the caller has not finished ("for...", "um", half a phone number):
    longer than the pauses people make between groups of digits (docs/turn-taking.md)."""
    end_of_turn_min_word_confidence: Annotated[float, Field(ge=0.0, le=1.0)] = 0.5
    """Words the STT is less sure of than this may be misread: a short final made only of them does
    not stop a reply (agent/turns/backchannel_filter.py). The end-of-turn verdict doubts only words
    with no speech under them (agent/turns/word_confidence.py). 0 trusts every word."""
    interruption_min_speech_s: Annotated[float, Field(ge=0.0, le=2.0)] = 0.06
    """Caller speech over the agent that pauses its reply; short, because a paused reply resumes."""
    false_interruption_resume_s: Annotated[float, Field(ge=0.0, le=5.0)] = 0.02
    """After the caller goes quiet with no words but an acknowledgement, the paused reply resumes this soon."""
    acknowledgement_max_s: Annotated[float, Field(ge=0.1, le=5.0)] = 1.0
    """Caller speech over a reply longer than this (VAD start to VAD end, ~0.2 s more than the voice)
    is not an "uh-huh": the paused reply then waits for the caller's words instead of resuming in
    their next breath."""
    barge_in_vad_min_silence_s: Annotated[float, Field(ge=0.05, le=3.0)] = 0.12
    """Silence that ends the caller's speech for turn taking: a paused reply resumes this soon
    after an "uh-huh". The STT keeps VAD_MIN_SILENCE_S for the utterances it decodes."""
    barge_in_gate: bool = True
    """Hold the reply on the caller's frame energy, ~0.1 s before Silero, and release it when an
    acknowledgement's sound ends (agent/turns/energy_gate.py). Off: Silero alone pauses the reply."""
    barge_in_gate_onset_db: Annotated[float, Field(ge=3.0, le=40.0)] = 12.0
    """How far above the line's noise floor a 10 ms frame must be to count as the caller's sound."""
    barge_in_gate_min_sound_s: Annotated[float, Field(ge=0.01, le=0.2)] = 0.02
    """Sound that opens the gate: longer than a click, and every 10 ms more is 10 ms more cutoff."""
    barge_in_gate_min_dbfs: Annotated[float, Field(ge=-90.0, le=-10.0)] = -50.0
    """Frames quieter than this never count, whatever the floor (a digitally silent line)."""
    barge_in_gate_hangover_s: Annotated[float, Field(ge=0.02, le=1.0)] = 0.1
    """Quiet that ends the caller's sound: bridges stop consonants and the gap in "got it"."""

    llm_first_token_timeout_s: Annotated[float, Field(ge=0.1, le=30.0)] = 1.5
    """A primary LLM with no first token by then is failed over (hung-provider watchdog)."""
    llm_stall_timeout_s: Annotated[float, Field(ge=0.1, le=30.0)] = 1.0
    """Longest gap between LLM chunks before the stream is failed over."""
    tts_first_audio_timeout_s: Annotated[float, Field(ge=0.1, le=30.0)] = 1.2
    """A primary TTS with no audio by then is failed over."""
    stt_response_timeout_s: Annotated[float, Field(ge=0.1, le=30.0)] = 0.8
    """A primary STT that hears speech but sends nothing for this long is failed over."""
    tts_phrase_cache: bool = True
    """Keep the cloud voice's stock phrases under DATA_DIR/phrase-cache and replay them with no
    request (agent/replies/phrase_cache.py); nothing with digits or names is kept."""
    fault_injection_llm_hang_word: str = ""
    """Tests only: put a hanging LLM test double first in the chain, hanging when the caller says this word."""

    business_backend: Literal["sqlite", "http"] = "sqlite"
    """Where customers and schedules live: the embedded SQLite store, or a CRM over HTTP."""
    crm_base_url: str = ""
    """Base URL of the CRM/scheduler REST API (tools/HTTP_BACKEND.md), when BUSINESS_BACKEND=http."""
    crm_api_key: SecretStr | None = None
    tool_deadline_s: Annotated[float, Field(ge=0.2, le=30.0)] = 2.5
    """No tool holds the turn longer than this."""
    tool_filler_after_s: Annotated[float, Field(ge=0.0, le=10.0)] = 0.7
    """A tool still running after this long gets a short spoken filler."""

    worker_max_retry: Annotated[int, Field(ge=0, le=1000)] = 16
    """Connection attempts to the LiveKit server before the worker gives up."""
    worker_max_calls: Annotated[int, Field(ge=1, le=256)] = 4
    """Calls this worker runs at once; the next is refused so LiveKit offers it to another worker."""
    worker_num_idle_processes: Annotated[int, Field(ge=0, le=256)] | None = None
    """Job processes kept warm (models loaded) for a burst; unset means WORKER_MAX_CALLS."""
    queue_max_calls: Annotated[int, Field(ge=0, le=256)] = 16
    """Calls beyond WORKER_MAX_CALLS that wait in line on this worker (hold audio, then the next free
    agent) instead of being dropped by the server; 0 turns the line off. Each costs a room connection
    and an audio track in the worker's main process, no job process."""
    queue_retry_every_s: Annotated[float, Field(ge=0.5, le=60.0)] = 2.0
    """How often the first call in line asks the server for an agent when no slot freed on this
    worker (one may have freed on another worker)."""
    worker_job_executor: Literal["process", "thread"] = "process"
    """Where each call runs: its own job process (isolated; ~0.5 GB of models each), or a thread of the
    worker (the prewarm still runs once per call, so models still load per call; docs/capacity.md)."""
    worker_drain_timeout_s: Annotated[int, Field(ge=1, le=86_400)] = 600
    """On SIGTERM: how long active calls may run on before the worker exits anyway."""
    worker_http_port: Annotated[int, Field(ge=0, le=65_535)] = 8081
    """Health-check port of the worker; 0 picks a free port."""

    failed_turns_to_transfer: Annotated[int, Field(ge=1, le=10)] = 2
    """Failed turns in a row that send the call to a person (a successful turn resets the count)."""
    stt_low_confidence: Annotated[float, Field(ge=0.0, le=1.0)] = 0.5
    """A final transcript below this confidence is a failed turn (only for STTs that report one)."""
    operator_lobby_room: Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.-]+$")] = (
        "operators"
    )
    """The LiveKit room where people on duty sign in (docs/operator-protocol.md)."""
    operator_roster: str = ""
    """Who may take calls, in the order they are offered: "alice:first,bob:first,carol:supervisor".
    Empty: anyone signed in, by tier, in the order they signed in."""
    ring_timeout_s: Annotated[float, Field(ge=1.0, le=120.0)] = 15.0
    """How long one person's offer rings before the next is tried (no answer)."""
    hold_audio: str = "builtin"
    """What the caller hears on hold: "builtin" (LiveKit's hold music), "off", or an audio file path."""
    hold_update_every_s: Annotated[float, Field(ge=3.0, le=300.0)] = 20.0
    """On a long wait, a short spoken update this often, so the caller knows they are still held."""
    hold_max_wait_s: Annotated[float, Field(ge=5.0, le=1800.0)] = 120.0
    """Longest a caller waits in line for a free person before the agent takes a message instead."""
    business_hours: str = "mon-sun 00:00-24:00"
    """When people take calls, e.g. "mon-fri 08:00-18:00; sat 09:00-13:00". Outside them: voicemail."""
    business_timezone: str = ""
    """IANA zone for BUSINESS_HOURS and callback windows, e.g. America/Chicago; empty: the host's."""
    transfer_agent_stays: bool = False
    """After the handover line the agent stays in the room, silent (True), or leaves it (False)."""

    web_host: str = "127.0.0.1"
    """Where the token service listens (the demo page, the console and POST /api/token; docs/web.md)."""
    web_port: Annotated[int, Field(ge=0, le=65_535)] = 8080
    """The token service's port; 0 picks a free one."""
    web_livekit_url: str = ""
    """The LiveKit URL handed to browsers (server_url), when they reach the server by another address than
    LIVEKIT_URL; empty: LIVEKIT_URL."""
    web_token_ttl_s: Annotated[int, Field(ge=30, le=3600)] = 300
    """How long a browser caller's token may be used to join: it only gates the first connection."""
    web_allowed_origins: str = ""
    """Pages on other origins that may ask for tokens, comma-separated (https://shop.example.com);
    the service's own origin always may; "*" allows any."""
    web_rate_limit_per_minute: Annotated[int, Field(ge=1, le=10_000)] = 10
    """Token requests one client IP may make a minute (bursts up to this many); the rest get 429."""
    web_trust_forwarded_for: bool = False
    """Take the client IP from X-Forwarded-For (only behind your own reverse proxy)."""
    operator_console_secret: SecretStr | None = None
    """The shared secret people type to sign in to the web operator console; empty turns the console off."""

    # --- telephony (docs/sip.md); `voice-agent sip setup` provisions these on the server
    sip_numbers: str = ""
    """Numbers the inbound trunk answers for, comma-separated (E.164); empty: any number."""
    sip_allowed_addresses: str = "127.0.0.1/32"
    """Source addresses (IPs or CIDRs, comma-separated) that may send calls into the inbound trunk."""
    sip_auth_username: str = ""
    """Digest auth the inbound trunk demands of callers; empty: none (addresses alone)."""
    sip_auth_password: SecretStr = SecretStr("")
    sip_outbound_address: str = ""
    """host[:port] of the SIP provider or PBX that places transfer legs to phones; empty: no outbound trunk."""
    sip_outbound_number: str = ""
    """Caller ID our outbound legs present (E.164)."""
    sip_outbound_auth_username: str = ""
    sip_outbound_auth_password: SecretStr = SecretStr("")
    sip_operator_phones: str = ""
    """People reachable by phone for warm transfers, "alice:+13125550100,bob:sip:bob@pbx"; tried after
    the operators signed in to the lobby."""
    sip_cold_transfer_to: str = ""
    """When set (tel:+1... or sip:...), SIP callers are handed over by SIP REFER instead of a warm transfer."""
    sip_port: Annotated[int, Field(ge=1, le=65_535)] = 5060
    """Port `voice-agent dev --sip` runs livekit-sip on (UDP and TCP, loopback)."""

    traces_path: Path | None = None
    """JSON-lines span file; defaults to DATA_DIR/traces/spans.jsonl."""
    budgets_path: Path | None = None
    """Latency budget file (TOML); defaults to agent/telemetry/budgets.toml."""
    redact_pii: bool = True
    """Mask phone numbers, emails, card numbers and known customer names in logs and spans."""
    trace_transcripts: Literal["off", "redacted", "full"] = "off"
    """What spans carry of what was said: nothing, PII-masked text, or the text as heard
    (still masked while REDACT_PII is on)."""

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    data_dir: Path = Path.home() / ".local" / "share" / "voice-agent"

    @field_validator("worker_num_idle_processes")
    @classmethod
    def _check_idle_processes(cls, value: int | None, info: ValidationInfo) -> int | None:
        max_calls = info.data.get("worker_max_calls")
        if value is not None and max_calls is not None and value > max_calls:
            # a warm process past capacity is never handed a call: memory held for nothing
            raise ValueError(f"must not exceed WORKER_MAX_CALLS ({max_calls})")
        return value

    @field_validator("livekit_url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        return _checked_url(value, "must look like ws://host:port (ws, wss, http or https)")

    @field_validator("web_livekit_url")
    @classmethod
    def _check_web_url(cls, value: str) -> str:
        value = value.strip()
        if value and urlparse(value).scheme not in {"ws", "wss", "http", "https"}:
            raise ValueError("must look like wss://host:port, or be empty for LIVEKIT_URL")
        return value

    @field_validator("web_allowed_origins")
    @classmethod
    def _check_origins(cls, value: str) -> str:
        for origin in filter(None, (o.strip() for o in value.split(","))):
            parsed = urlparse(origin)
            if origin != "*" and (parsed.scheme not in {"http", "https"} or not parsed.netloc or parsed.path):
                raise ValueError(f"{origin!r} is not an origin like https://shop.example.com")
        return value

    @field_validator("operator_console_secret")
    @classmethod
    def _check_console_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_CONSOLE_SECRET_LENGTH:
            raise ValueError(f"is too short: at least {MIN_CONSOLE_SECRET_LENGTH} characters")
        return value

    @field_validator("deepgram_base_url", "openai_base_url")
    @classmethod
    def _check_provider_url(cls, value: str) -> str:
        value = value.strip()
        if not value:
            return value
        return _checked_url(value, "must be an http(s):// or ws(s):// URL, or empty for the vendor's default")

    @field_validator("livekit_api_secret")
    @classmethod
    def _check_secret(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < MIN_SECRET_LENGTH:
            raise ValueError(f"is too short: LiveKit needs at least {MIN_SECRET_LENGTH} characters")
        return value

    @field_validator("data_dir")
    @classmethod
    def _check_data_dir(cls, value: Path) -> Path:
        resolved = value.expanduser().resolve()
        repo_root = Path(__file__).resolve().parents[1]
        if resolved == repo_root or repo_root in resolved.parents:
            raise ValueError("must be outside the repository tree")
        return resolved

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("trace_transcripts", mode="before")
    @classmethod
    def _lower_transcripts(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator(
        "deepgram_api_key",
        "openai_api_key",
        "crm_api_key",
        "traces_path",
        "budgets_path",
        "worker_num_idle_processes",
        "operator_console_secret",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("operator_roster")
    @classmethod
    def _check_roster(cls, value: str) -> str:
        from agent.escalation.roster import parse_roster

        parse_roster(value)
        return value

    @field_validator("business_hours")
    @classmethod
    def _check_hours(cls, value: str) -> str:
        from agent.escalation.hours import parse_hours

        parse_hours(value)
        return value

    @field_validator("business_timezone")
    @classmethod
    def _check_zone(cls, value: str) -> str:
        from agent.escalation.hours import zone

        zone(value)
        return value

    @field_validator("hold_audio")
    @classmethod
    def _check_hold_audio(cls, value: str) -> str:
        if value not in {"builtin", "off"} and not Path(value).expanduser().is_file():
            raise ValueError('must be "builtin", "off" or the path of an audio file that exists')
        return value

    @model_validator(mode="after")
    def _check_crm(self) -> Settings:
        if self.business_backend == "http" and not self.crm_base_url.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL when BUSINESS_BACKEND=http")
        return self

    @field_validator("sip_outbound_number")
    @classmethod
    def _check_outbound_number(cls, value: str, info: ValidationInfo) -> str:
        # the server refuses an outbound trunk without a number to present as caller ID
        if info.data.get("sip_outbound_address") and not value.strip():
            raise ValueError("needed when SIP_OUTBOUND_ADDRESS is set (the caller ID of our legs)")
        return value.strip()

    @field_validator("sip_operator_phones")
    @classmethod
    def _check_operator_phones(cls, value: str) -> str:
        for entry in filter(None, (part.strip() for part in value.split(","))):
            name, _, number = entry.partition(":")
            if not name.strip() or not number.strip():
                raise ValueError(f"{entry!r}: expected NAME:NUMBER, e.g. alice:+13125550100")
        return value

    @field_validator("sip_auth_password")
    @classmethod
    def _check_sip_auth(cls, value: SecretStr, info: ValidationInfo) -> SecretStr:
        # livekit-sip skips digest auth when either half is empty: half a pair would silently open the trunk
        if bool(info.data.get("sip_auth_username")) != bool(value.get_secret_value()):
            raise ValueError("set together with SIP_AUTH_USERNAME, or neither")
        return value

    @property
    def traces_file(self) -> Path:
        return (self.traces_path or self.data_dir / "traces" / "spans.jsonl").expanduser()

    @property
    def warm_processes(self) -> int:
        """Job processes kept warm: WORKER_NUM_IDLE_PROCESSES, else one per call of capacity."""
        if self.worker_num_idle_processes is None:
            return self.worker_max_calls
        return self.worker_num_idle_processes

    @property
    def store_path(self) -> Path:
        return self.data_dir / "store.db"

    @property
    def voicemail_dir(self) -> Path:
        """Recorded voicemail messages; the caller's words stay here, never in logs or spans."""
        return self.data_dir / "voicemail"

    @property
    def browser_livekit_url(self) -> str:
        """The server URL browsers connect to."""
        return self.web_livekit_url or self.livekit_url

    @property
    def uses_cloud_stt(self) -> bool:
        return self.deepgram_api_key is not None

    @property
    def uses_cloud_llm_and_tts(self) -> bool:
        return self.openai_api_key is not None


def _one_line(error: ValidationError) -> str:
    first = error.errors()[0]
    name = str(first["loc"][0]).upper() if first["loc"] else "CRM_BASE_URL"
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] not in {"value_error"} and "input" in first and "secret" not in name.lower():
        message += f" (got {str(first['input'])[:60]!r})"
    return f"config error: {name}: {message}"


def load_settings(env_file: str | Path | None = ".env", **overrides: object) -> Settings:
    """Read `.env` (never overriding the real environment), then validate."""
    if env_file is not None:
        load_dotenv(env_file, override=False)
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(_one_line(exc)) from None
