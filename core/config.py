"""The one config loader: config.toml (+ --config), SWITCHBOARD__SECTION__KEY
overrides, secrets from the environment, all validated up front.

A user mistake raises ConfigError, which app.py turns into one line on
stderr and exit status 2 — never a traceback.
"""
from __future__ import annotations

import difflib
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Mapping

import phonenumbers
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from core import phone

SECRET_NAMES = (
    "OPENAI_API_KEY",
    "ULTRAVOX_API_KEY",
    "ULTRAVOX_AGENT_ID",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_FROM_NUMBER",
    "SWITCHBOARD_MIRROR_TOKEN",
)
LIVE_REQUIRED = SECRET_NAMES[:6]
ENV_PREFIX = "SWITCHBOARD__"


class ConfigError(Exception):
    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}")
        self.key = key
        self.problem = problem


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


@dataclass(frozen=True)
class Secrets:
    openai_api_key: str = ""
    ultravox_api_key: str = ""
    ultravox_agent_id: str = ""
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_from_number: str = ""
    mirror_token: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "Secrets":
        return cls(*(env.get(name, "") for name in SECRET_NAMES))


@dataclass(frozen=True)
class Config:
    """What the app runs on: validated settings, secrets, the resolved mode."""
    settings: Settings
    secrets: Secrets
    mode: str  # live | simulate
    base_dir: Path
    path: Path | None = None

    @property
    def data_dir(self) -> Path:
        return self.base_dir / self.settings.app.data_dir

    def db_url(self, url: str) -> str:
        """A database URL from the config: a relative SQLite path lives under app.data_dir."""
        return sqlite_path(url, self.data_dir)

    def resolve_path(self, p: str) -> Path:
        """A path from the config: relative to the config file's folder, or,
        for the files Switchboard ships (instructions, personas), to its own."""
        return resolve_path(p, self.base_dir)


# --- helpers shared by config and the domain -----------------------------

APP_ROOT = Path(__file__).resolve().parent.parent


def resolve_path(p: str | Path, base: Path) -> Path:
    path = Path(p).expanduser()
    if path.is_absolute():
        return path
    local = (base / path).resolve()
    if local.exists():
        return local
    shipped = APP_ROOT / path
    return shipped if shipped.exists() else local

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


normalise_phone = phone.normalise  # the one normaliser lives in core.phone


# --- loading -------------------------------------------------------------

def _parse_env_value(raw: str) -> Any:
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def _apply_env(data: dict[str, Any], env: Mapping[str, str]) -> None:
    for name, raw in env.items():
        if not name.startswith(ENV_PREFIX):
            continue
        parts = name[len(ENV_PREFIX):].lower().split("__")
        if len(parts) != 2 or parts[0] not in Settings.model_fields or parts[0] in ("keys", "contacts"):
            if parts and parts[0] == "keys" and len(parts) == 2:
                data.setdefault("keys", {})[parts[1]] = raw
                continue
            raise ConfigError(name, "not a config key; use SWITCHBOARD__SECTION__KEY")
        section = data.setdefault(parts[0], {})
        if not isinstance(section, dict):
            raise ConfigError(parts[0], "must be a table")
        section[parts[1]] = _parse_env_value(raw)


def _fields_at(loc: tuple[Any, ...]) -> list[str]:
    """The keys allowed at ``loc`` (a path into Settings), for "did you mean"."""
    model: Any = Settings
    for part in loc:
        if isinstance(part, int):
            continue
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return []
        model = field.annotation
        model = getattr(model, "__args__", (model,))[0] if getattr(model, "__origin__", None) is list else model
    return list(getattr(model, "model_fields", {}))


def _describe(err: ValidationError, data: Mapping[str, Any]) -> ConfigError:
    """One line for the first problem, naming the key as the operator wrote
    it: list items count from 1 and a contact shows its name
    (``contacts[2] (Marco).phone``); a misspelt key gets the nearest one."""
    first = err.errors()[0]
    loc = tuple(first["loc"])
    key = ""
    node: Any = data
    for part in loc:
        if isinstance(part, int):
            item = node[part] if isinstance(node, list) and part < len(node) else None
            name = item.get("name") if isinstance(item, dict) else None
            key += f"[{part + 1}]" + (f" ({name})" if isinstance(name, str) and name else "")
            node = item
        else:
            key += f".{part}" if key else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    msg = first["msg"]
    if first["type"] == "extra_forbidden":
        msg = "unknown key"
        nearest = difflib.get_close_matches(str(loc[-1]), _fields_at(loc[:-1]), n=1, cutoff=0.6)
        if nearest:
            msg += f"; did you mean {nearest[0]!r}?"
    elif first["type"].endswith("_type") and "input" in first:
        msg = f"{msg}, got {first['input']!r}"
    msg = msg.removeprefix("Value error, ")
    return ConfigError(key or "config", msg)


def load(
    path: str | os.PathLike[str] | None = "config.toml",
    *,
    env: Mapping[str, str] | None = None,
    mode: str | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> Config:
    env = os.environ if env is None else env
    data: dict[str, Any] = {}
    cfg_path: Path | None = None
    if path is not None:
        cfg_path = Path(path)
        try:
            data = tomllib.loads(cfg_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(str(cfg_path), "file not found") from None
        except (PermissionError, IsADirectoryError, UnicodeDecodeError) as e:
            raise ConfigError(str(cfg_path), f"cannot read the file ({e.__class__.__name__})") from None
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(str(cfg_path), f"not valid TOML: {e}") from None
    _apply_env(data, env)
    for section, values in (overrides or {}).items():
        data.setdefault(section, {}).update(values)
    app_data = data.get("app")
    region = app_data.get("default_region", AppSection().default_region) if isinstance(app_data, dict) else None
    if isinstance(region, str) and region not in phonenumbers.SUPPORTED_REGIONS:
        raise ConfigError("app.default_region", f"unknown region {region!r}; use a code like US or GB")
    try:
        settings = Settings.model_validate(data, context={"region": region if isinstance(region, str) else None})
    except ValidationError as e:
        raise _describe(e, data) from None
    for binding, key in settings.keys.items():
        if not key:
            raise ConfigError(f"keys.{binding}", "empty key")
    try:
        check_timezone(settings.calling.default_timezone)
    except ValueError as e:
        raise ConfigError("calling.default_timezone", str(e)) from None

    secrets = Secrets.from_env(env)
    chosen = mode or settings.app.mode
    if chosen == "auto":
        chosen = "live" if secrets.openai_api_key else "simulate"
    if chosen not in ("live", "simulate"):
        raise ConfigError("--mode", f"expected auto, live or simulate, got {chosen!r}")
    if chosen == "live":
        for name in LIVE_REQUIRED:
            if not env.get(name):
                raise ConfigError(name, "must be set in the environment for live mode")
        try:
            normalise_phone(secrets.twilio_from_number, None)
        except ValueError as e:
            raise ConfigError("TWILIO_FROM_NUMBER", str(e)) from None
    base = cfg_path.resolve().parent if cfg_path else Path.cwd()
    return Config(settings=settings, secrets=secrets, mode=chosen, base_dir=base, path=cfg_path)


def with_sections(config: Config, secrets: Secrets | None = None, **sections: Mapping[str, Any]) -> Config:
    """A copy of config with some section keys replaced (e.g. simulator URLs)."""
    s = config.settings
    updated = {name: getattr(s, name).model_copy(update=dict(vals)) for name, vals in sections.items()}
    return Config(
        settings=s.model_copy(update=updated),
        secrets=secrets or config.secrets,
        mode=config.mode,
        base_dir=config.base_dir,
        path=config.path,
    )


def sqlite_path(url: str, base: Path) -> str:
    """Make a relative sqlite URL absolute against ``base`` (``Config.db_url`` passes app.data_dir)."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and url != "sqlite:///:memory:":
        return prefix + str((base / url[len(prefix):]).resolve())
    return url
