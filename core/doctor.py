"""``python app.py doctor``: is this installation ready for its first real call?

One line per check, with the fix when it fails; exit 0 when ready, 1 when
not. It reads and looks up, never places a call and never writes a
database. In simulate mode the same checks run against the simulators,
which answer those endpoints as the real services do."""
from __future__ import annotations

import json
import logging
import socket
from dataclasses import asdict, dataclass
from typing import Any, Callable

import sqlalchemy as sa

from core import config as config_mod

log = logging.getLogger(__name__)
OK, WARN, FAIL = "ok", "warn", "fail"


@dataclass
class Check:
    name: str
    status: str
    detail: str
    fix: str = ""

    def line(self) -> str:
        mark = {OK: "ok  ", WARN: "warn", FAIL: "FAIL"}[self.status]
        text = f"{mark} {self.name}: {self.detail}"
        return text + (f" — fix: {self.fix}" if self.fix and self.status != OK else "")


def _guard(name: str, fn: Callable[[], list[Check]]) -> list[Check]:
    """A check that raises is a failed check with the error's words, never a traceback."""
    try:
        return fn()
    except Exception as e:  # noqa: BLE001 — any failure of a look-up is that check's answer
        log.warning("doctor: %s failed", name, exc_info=True)
        return [Check(name, FAIL, f"{e.__class__.__name__}: {str(e)[:300]}", "see data/switchboard.log")]


# --- the checks ----------------------------------------------------------------

def check_secrets(cfg: config_mod.Config) -> list[Check]:
    if cfg.mode == "simulate":
        return [Check("secrets", OK, "simulation: the simulators supply their own keys")]
    out = []
    for name, field in zip(config_mod.LIVE_REQUIRED, config_mod.Secrets.__dataclass_fields__):
        present = bool(getattr(cfg.secrets, field))
        out.append(Check(f"secret {name}", OK if present else FAIL, "set" if present else "missing",
                         f"export {name}=... before starting"))
    return out


def check_models(cfg: config_mod.Config) -> list[Check]:
    from core.models import deprecation_warnings

    import openai

    o, sec = cfg.settings.openai, cfg.secrets
    client = openai.OpenAI(base_url=o.api_base, api_key=sec.openai_api_key or "none", max_retries=0,
                           timeout=o.request_timeout_s)
    try:
        client.models.retrieve(o.realtime_model)
    except (openai.AuthenticationError, openai.PermissionDeniedError) as e:
        return [Check("OpenAI key", FAIL, f"refused ({e.status_code})", "set a valid OPENAI_API_KEY")]
    except openai.NotFoundError:
        pass  # the key works; the model is reported below
    out = [Check("OpenAI key", OK, "accepted")]
    deprecated = " ".join(deprecation_warnings(cfg.settings))
    for key, field in (("openai.realtime_model", "realtime_model"), ("openai.transcription_model", "transcription_model"),
                       ("openai.summary_model", "summary_model"), ("openai.strategist_model", "strategist_model")):
        model = getattr(o, field)
        try:
            client.models.retrieve(model)
        except openai.NotFoundError:
            out.append(Check(key, FAIL, f"{model!r} is not available to this key", f"choose another model in {key}"))
            continue
        if f"{key} = " in deprecated:
            out.append(Check(key, WARN, f"{model!r} is available but announced for shutdown",
                             f"choose a current model in {key}"))
        else:
            out.append(Check(key, OK, f"{model!r} available"))
    return out


def check_ultravox(cfg: config_mod.Config) -> list[Check]:
    from calling.errors import CallError, ProviderRefused
    from calling.ultravox_client import UltravoxClient

    uv = UltravoxClient(cfg.settings.ultravox.base_url, cfg.secrets.ultravox_api_key, timeout_s=15.0)
    try:
        uv.account()
    except ProviderRefused:
        return [Check("Ultravox key", FAIL, "refused", "set a valid ULTRAVOX_API_KEY")]
    out = [Check("Ultravox key", OK, "accepted")]
    try:
        agent = uv.get_agent(cfg.secrets.ultravox_agent_id)
    except CallError:
        return out + [Check("Ultravox agent", FAIL, f"{cfg.secrets.ultravox_agent_id!r} not found",
                            "set ULTRAVOX_AGENT_ID to an agent of this account")]
    out.append(Check("Ultravox agent", OK, f"found ({agent.get('name') or agent.get('agentId')})"))
    template = agent.get("callTemplate") or {}
    agent_speaker = next(iter(template.get("firstSpeakerSettings") or {"agent": {}}), "agent")
    ours = cfg.settings.calling.first_speaker
    out.append(Check("first speaker", OK, f"the agent's own setting is {agent_speaker}; every call sets {ours} "
                                          "(calling.first_speaker, or the contact's first_speaker)"))
    return out


def check_twilio(cfg: config_mod.Config) -> list[Check]:
    from calling.errors import ProviderRefused
    from calling.twilio_leg import TwilioLeg

    sec = cfg.secrets
    leg = TwilioLeg(sec.twilio_account_sid, sec.twilio_auth_token, sec.twilio_from_number,
                    base_url=cfg.settings.twilio.base_url)
    try:
        status = leg.account_status()
    except ProviderRefused:
        return [Check("Twilio credentials", FAIL, "refused", "set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN")]
    out = [Check("Twilio credentials", OK if status == "active" else FAIL, f"account {status}",
                 "the account must be active (not suspended or closed)")]
    caps = leg.number_capabilities(sec.twilio_from_number)
    if caps is None:
        out.append(Check("Twilio from-number", FAIL, f"{sec.twilio_from_number} is not a number of this account",
                         "set TWILIO_FROM_NUMBER to one of the account's phone numbers"))
    elif not caps.get("voice"):
        out.append(Check("Twilio from-number", FAIL, f"{sec.twilio_from_number} cannot make voice calls",
                         "use a voice-capable number"))
    else:
        out.append(Check("Twilio from-number", OK, f"{sec.twilio_from_number} owned and voice-capable"))
    return out


def check_hours(cfg: config_mod.Config) -> list[Check]:
    c = cfg.settings.calling
    start, end = config_mod.parse_hours(c.calling_hours)
    out = []
    if start >= end:
        out.append(Check("calling hours", FAIL, f"{c.calling_hours} is an empty window",
                         'set calling.calling_hours like "09:00-20:00"'))
    elif end - start >= 24 * 60 and cfg.mode == "live":
        out.append(Check("calling hours", WARN, f"{c.calling_hours}: people may be called at any hour",
                         'set calling.calling_hours like "09:00-20:00"'))
    else:
        out.append(Check("calling hours", OK, f"{c.calling_hours} in the callee's local time"))
    no_zone = [p.name for p in cfg.settings.contacts if not p.timezone]
    out.append(Check("time zones", OK, f"default {c.default_timezone}; "
                     + (f"{len(no_zone)} contact(s) use their number's zone" if no_zone else "every contact has one")))
    return out


def _db_check(name: str, url: str, component: str, latest: int) -> Check:
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        from pathlib import Path

        if not Path(url[len("sqlite:///"):]).exists():
            return Check(name, OK, "not created yet; made at first start")
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("schema_version"):
                return Check(name, OK, "reachable; tables are made at first start")
            version = conn.execute(sa.text("SELECT version FROM schema_version WHERE component = :c"),
                                   {"c": component}).scalar()
    except sa.exc.SQLAlchemyError as e:
        detail = str(getattr(e, "orig", None) or e).strip().splitlines()[0]
        return Check(name, FAIL, f"cannot open: {detail}", "check the URL, the server and its credentials")
    finally:
        engine.dispose()
    if version is not None and version > latest:
        return Check(name, FAIL, f"schema {version} is newer than this version knows ({latest})",
                     "run the Switchboard version that made it")
    state = "migrated" if version == latest else f"schema {version or 0}, migrated to {latest} at start"
    return Check(name, OK, f"reachable, {state}")


def check_databases(cfg: config_mod.Config) -> list[Check]:
    from store.schema import CALLS_MIGRATIONS, CONVERSATION_MIGRATIONS

    s = cfg.settings
    return [_db_check("calls database", config_mod.sqlite_path(s.calling.calls_db_url, cfg.base_dir), "calls",
                      len(CALLS_MIGRATIONS)),
            _db_check("conversation database", config_mod.sqlite_path(s.conversation.db_url, cfg.base_dir),
                      "conversation", len(CONVERSATION_MIGRATIONS))]


def check_mirror(cfg: config_mod.Config) -> list[Check]:
    m = cfg.settings.mirror
    if not m.enabled:
        return [Check("mirror port", OK, "web mirror off")]
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((m.host, m.port))
        except OSError as e:
            return [Check("mirror port", FAIL, f"{m.host}:{m.port} is not free ({e.strerror or e})",
                          "use --mirror-port N, mirror.port, or --no-mirror")]
    return [Check("mirror port", OK, f"{m.host}:{m.port} free")]


def check_audio(cfg: config_mod.Config) -> list[Check]:
    v = cfg.settings.voice
    if v.audio == "off":
        return [Check("audio", OK, "off: typed text only")]
    try:
        import sounddevice as sd
    except OSError as e:
        status = FAIL if v.audio == "on" else WARN
        return [Check("audio", status, f"PortAudio not available ({e})", "apt-get install libportaudio2")]
    devices = sd.query_devices()
    has_in = any(d.get("max_input_channels", 0) > 0 for d in devices)
    has_out = any(d.get("max_output_channels", 0) > 0 for d in devices)
    if has_in and has_out:
        return [Check("audio", OK, "microphone and speaker found")]
    return [Check("audio", FAIL if v.audio == "on" else WARN,
                  "no microphone and speaker: the assistant will be text-only",
                  "connect audio devices, or set voice.audio = \"off\"")]


CHECKS = (("secrets", check_secrets), ("OpenAI", check_models), ("Ultravox", check_ultravox),
          ("Twilio", check_twilio), ("calling hours", check_hours), ("databases", check_databases),
          ("mirror", check_mirror), ("audio", check_audio))


def run_checks(cfg: config_mod.Config) -> list[Check]:
    """Every check against ``cfg`` (already pointed at the simulators in simulate mode)."""
    results: list[Check] = [Check("config", OK, f"{cfg.path or 'defaults'} loaded ({cfg.mode} mode)")]
    missing = {n for n, f in zip(config_mod.LIVE_REQUIRED, config_mod.Secrets.__dataclass_fields__)
               if not getattr(cfg.secrets, f)}
    for name, check in CHECKS:
        needs = {"OpenAI": {"OPENAI_API_KEY"}, "Ultravox": {"ULTRAVOX_API_KEY", "ULTRAVOX_AGENT_ID"},
                 "Twilio": {"TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER"}}.get(name, set())
        if needs & missing:
            results.append(Check(name, FAIL, "not checked: its secrets are missing", "set them (see above)"))
            continue
        results.extend(_guard(name, lambda c=check: c(cfg)))
    return results


def load(path: str, mode: str | None) -> config_mod.Config:
    """The config as the app would load it, except that missing live secrets are
    reported by their own checks instead of stopping the load."""
    try:
        return config_mod.load(path, mode=mode)
    except config_mod.ConfigError as e:
        if e.key not in config_mod.LIVE_REQUIRED:
            raise
    cfg = config_mod.load(path, mode="simulate")
    return config_mod.Config(settings=cfg.settings, secrets=cfg.secrets, mode="live", base_dir=cfg.base_dir,
                             path=cfg.path)


def main(cfg: config_mod.Config, *, as_json: bool, out: Callable[[str], Any] = print) -> int:
    sims = None
    try:
        if cfg.mode == "simulate":
            from core.runtime import point_at_sims
            from sim.cluster import SimCluster

            s = cfg.settings
            sims = SimCluster(s, personas_path=cfg.resolve_path(s.sim.personas_file)).start()
            cfg = point_at_sims(cfg, sims)
        results = run_checks(cfg)
    finally:
        if sims is not None:
            sims.stop()
    ready = all(r.status != FAIL for r in results)
    if as_json:
        out(json.dumps({"ready": ready, "mode": cfg.mode, "checks": [asdict(r) for r in results]}))
    else:
        for r in results:
            out(r.line())
        out("ready for calls" if ready else "not ready: fix the lines marked FAIL")
    return 0 if ready else 1
