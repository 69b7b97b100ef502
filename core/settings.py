"""The config file's schema: its sections with their defaults and value
rules (pydantic, strict, unknown keys refused). ``core.config`` loads a file
into ``Settings`` and re-exports these names."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from core import phone


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class AppSection(_Section):
    mode: Literal["auto", "live", "simulate"] = "auto"
    data_dir: str = "data"
    default_region: str = "US"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


class OpenAISection(_Section):
    realtime_url: str = "wss://api.openai.com/v1/realtime"
    # none of these is announced for shutdown in the pinned openai package's types (core/models.py checks)
    realtime_model: str = "gpt-realtime-2"
    realtime_reasoning_effort: Literal["", "minimal", "low", "medium", "high", "xhigh"] = "low"
    voice: str = "marin"
    api_base: str = "https://api.openai.com/v1"
    summary_model: str = "gpt-5.4-mini"
    strategist_model: str = "gpt-5.5"
    transcription_model: str = "gpt-live-transcribe"
    instructions_file: str = "voice/default_instructions.md"
    request_timeout_s: float = Field(default=30.0, gt=0)


class VoiceSection(_Section):
    audio: Literal["auto", "on", "off"] = "auto"
    history_turns: int = Field(default=20, ge=0, le=500)
    ping_interval_s: float = Field(default=5.0, gt=0)
    ping_timeout_s: float = Field(default=4.0, gt=0)
    reconnect_cap_s: float = Field(default=10.0, gt=0)
    input_device: str = ""
    output_device: str = ""


class UltravoxSection(_Section):
    base_url: str = "https://api.ultravox.ai/api"
    record_calls: bool = False  # Ultravox records each call; its address is kept on the attempt
    cost_per_minute_usd: float = Field(default=0.05, ge=0)


class TwilioSection(_Section):
    base_url: str = ""
    machine_detection: bool = True
    # Twilio rings 60 s unless told; Ultravox's join window is derived from these (calling.join_timeout_s)
    ring_timeout_s: int = Field(default=30, ge=5, le=600)
    machine_detection_timeout_s: int = Field(default=30, ge=3, le=59)
    # answering-machine detection runs alongside the call; its result is read from the Call resource,
    # or posted here when set (a public URL Twilio can reach)
    async_amd: bool = True
    amd_callback_url: str = ""
    cost_per_minute_usd: float = Field(default=0.014, ge=0)


def _region(info: ValidationInfo) -> str:
    return (info.context or {}).get("region") or AppSection().default_region


def _normalised_entry(v: str, info: ValidationInfo) -> str:
    return phone.normalise(v, _region(info))


PhoneEntry = Annotated[str, AfterValidator(_normalised_entry)]


class CallingSection(_Section):
    enabled: bool = True  # false: this process runs no calling engine (a console beside separate engines)
    calls_db_url: str = "sqlite:///scheduled_calls.db"  # a relative SQLite path is under app.data_dir
    max_retries: int = Field(default=3, ge=0, le=50)
    concurrency: int = Field(default=1, ge=1, le=256)
    poll_interval_s: float = Field(default=2.0, gt=0)
    calling_hours: str = "09:00-20:00"
    default_timezone: str = "UTC"
    lease_s: float = Field(default=120.0, gt=0)
    cooldown_min: float = Field(default=0.0, ge=0)
    do_not_call: list[PhoneEntry] = []  # stored normalised: E.164
    strategist_attempts: int = Field(default=3, ge=1, le=10)
    first_speaker: Literal["user", "agent"] = "user"  # outbound calls: let the callee say "Hello" first
    provider_pause_min: float = Field(default=15.0, gt=0)  # work blocked by a refused key or no quota waits this
    # the providers' account limits, shared by every engine on the database (Ultravox
    # pay-as-you-go: 5 calls at once, 30 created a minute; Twilio: 1 outbound call a second)
    max_concurrent_calls: int = Field(default=5, ge=1, le=10000)
    calls_per_second: float = Field(default=1.0, gt=0, le=1000)
    calls_per_minute: float = Field(default=30.0, gt=0, le=60000)

    @field_validator("calling_hours")
    @classmethod
    def _hours(cls, v: str) -> str:
        parse_hours(v)
        return v


class ConversationSection(_Section):
    db_url: str = "sqlite:///conversation_history.db"  # a relative SQLite path is under app.data_dir


class MirrorSection(_Section):
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(default=8765, ge=0, le=65535)


class SimSection(_Section):
    speed: float = Field(default=1.0, gt=0)  # >1 makes simulated calls finish faster
    session_max_s: float = Field(default=3600.0, gt=0)
    personas_file: str = "sim/personas.toml"
    # replaces calling.calling_hours in simulate mode only (the simulated people
    # answer at any hour); empty: calling.calling_hours applies in both modes
    calling_hours: str = ""

    @field_validator("calling_hours")
    @classmethod
    def _hours(cls, v: str) -> str:
        if v:
            parse_hours(v)
        return v


class Contact(_Section):
    name: str = Field(min_length=1)
    role: str = ""
    phone: str
    timezone: str = ""
    notes: str = ""
    first_speaker: Literal["", "user", "agent"] = ""  # "" = calling.first_speaker

    @field_validator("phone")
    @classmethod
    def _e164(cls, v: str, info: ValidationInfo) -> str:
        return phone.callable_number(v, _region(info))

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        if v:
            check_timezone(v)
        return v


class Settings(_Section):
    app: AppSection = AppSection()
    openai: OpenAISection = OpenAISection()
    voice: VoiceSection = VoiceSection()
    ultravox: UltravoxSection = UltravoxSection()
    twilio: TwilioSection = TwilioSection()
    calling: CallingSection = CallingSection()
    conversation: ConversationSection = ConversationSection()
    mirror: MirrorSection = MirrorSection()
    sim: SimSection = SimSection()
    keys: dict[str, str] = {}  # binding id -> key, e.g. {"schedule_call" = "n"}
    contacts: list[Contact] = []


def parse_hours(spec: str) -> tuple[int, int]:
    """'09:00-20:00' -> minutes after midnight (start, end)."""
    try:
        start, end = spec.split("-")
        sh, sm = (int(x) for x in start.strip().split(":"))
        eh, em = (int(x) for x in end.strip().split(":"))
    except ValueError:
        raise ValueError(f"expected HH:MM-HH:MM, got {spec!r}") from None
    if not (0 <= sh <= 24 and 0 <= eh <= 24 and 0 <= sm < 60 and 0 <= em < 60):
        raise ValueError(f"hours out of range in {spec!r}")
    return sh * 60 + sm, eh * 60 + em


def check_timezone(name: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None
