"""The one config loader: config.toml (+ --config), SWITCHBOARD__SECTION__KEY
overrides, secrets from the environment, all validated up front.

A user mistake raises ConfigError, which app.py turns into one line on
stderr and exit status 2 — never a traceback.

The sections' schema lives in ``core.settings``; its names are re-exported
here, so ``from core import config`` gives the whole configuration API.
"""
from __future__ import annotations

import difflib
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import phonenumbers
from pydantic import ValidationError

from core import phone
from core.settings import (
    AppSection,
    CallingSection,
    Contact,
    ConversationSection,
    MirrorSection,
    OpenAISection,
    Settings,
    SimSection,
    TwilioSection,
    UltravoxSection,
    VoiceSection,
    check_timezone,
    parse_hours,
)

__all__ = [
    "APP_ROOT", "AppSection", "CallingSection", "Config", "ConfigError", "Contact", "ConversationSection",
    "ENV_PREFIX", "LIVE_REQUIRED", "MirrorSection", "OpenAISection", "SECRET_NAMES", "Secrets", "Settings",
    "SimSection", "TwilioSection", "UltravoxSection", "VoiceSection", "check_timezone", "load",
    "normalise_phone", "parse_hours", "resolve_path", "sqlite_path", "with_sections",
]

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
