"""``app.py doctor``: one line per check with the fix when it fails, exit 0
ready / 1 not, --json for scripts, never a call placed; the same checks run
against the simulators, which answer the look-ups as the services do."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
from typing import Iterator

import pytest

from core import config, doctor
from core.runtime import point_at_sims
from sim.cluster import SimCluster
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def sims() -> Iterator[SimCluster]:
    with SimCluster(config.Settings(), personas_path=ROOT / "sim" / "personas.toml") as cluster:
        yield cluster


def _cfg(sims: SimCluster, tmp_path, secrets: dict | None = None, **sections) -> config.Config:
    base = config.load(None, env={}, mode="simulate", overrides={
        "app": {"data_dir": str(tmp_path)}, "mirror": {"port": 0},
        "calling": {"calls_db_url": f"sqlite:///{tmp_path / 'c.db'}", "calling_hours": "09:00-20:00"},
        "conversation": {"db_url": f"sqlite:///{tmp_path / 'v.db'}"}, "voice": {"audio": "off"}, **sections})
    cfg = point_at_sims(base, sims)
    return config.Config(settings=cfg.settings, secrets=config.Secrets(**{**sims.secrets.__dict__, **(secrets or {})}),
                         mode="live", base_dir=cfg.base_dir)


def _by_name(results) -> dict[str, doctor.Check]:
    return {r.name: r for r in results}


def test_everything_right_is_ready_and_places_no_call(sims, tmp_path) -> None:
    lines: list[str] = []
    assert doctor.main(_cfg(sims, tmp_path), as_json=False, out=lines.append) == 0
    assert lines[-1] == "ready for calls" and not any(line.startswith("FAIL") for line in lines)
    names = [line.split(":")[0][5:] for line in lines[:-1]]
    for expected in ("config", "secret OPENAI_API_KEY", "OpenAI key", "openai.realtime_model", "Ultravox key",
                     "Ultravox agent", "first speaker", "Twilio credentials", "Twilio from-number",
                     "calling hours", "time zones", "calls database", "conversation database", "mirror port",
                     "audio"):
        assert expected in names, (expected, names)
    assert sims.twilio.legs == {} and sims.ultravox.calls == {}


def test_each_failure_says_what_to_fix(sims, tmp_path) -> None:
    wrong = _cfg(sims, tmp_path, secrets={"openai_api_key": "sk-wrong", "ultravox_agent_id": "no-such-agent",
                                          "twilio_from_number": "+12025550199"})
    results = _by_name(doctor.run_checks(wrong))
    assert results["OpenAI key"].status == "fail" and "OPENAI_API_KEY" in results["OpenAI key"].fix
    assert results["Ultravox key"].status == "ok"
    assert results["Ultravox agent"].status == "fail" and "ULTRAVOX_AGENT_ID" in results["Ultravox agent"].fix
    assert results["Twilio from-number"].status == "fail" and "not a number of this account" in \
        results["Twilio from-number"].detail
    bad_keys = _cfg(sims, tmp_path, secrets={"ultravox_api_key": "nope", "twilio_auth_token": "nope"})
    results = _by_name(doctor.run_checks(bad_keys))
    assert results["Ultravox key"].status == "fail" and results["Twilio credentials"].status == "fail"


def test_models_unknown_or_announced_for_shutdown(sims, tmp_path) -> None:
    cfg = _cfg(sims, tmp_path, openai={"strategist_model": "gpt-4.1", "summary_model": "gpt-nonexistent"})
    results = _by_name(doctor.run_checks(cfg))
    assert results["openai.strategist_model"].status == "warn" and "shutdown" in results["openai.strategist_model"].detail
    assert results["openai.summary_model"].status == "fail"
    assert results["openai.realtime_model"].status == "ok"


def test_busy_port_empty_hours_and_a_newer_database(sims, tmp_path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        import sqlalchemy as sa

        engine = sa.create_engine(f"sqlite:///{tmp_path / 'c.db'}")
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE schema_version (component TEXT PRIMARY KEY, version INTEGER)"))
            conn.execute(sa.text("INSERT INTO schema_version VALUES ('calls', 999)"))
        engine.dispose()
        cfg = _cfg(sims, tmp_path, mirror={"port": port})
        cfg = config.Config(settings=cfg.settings.model_copy(update={"calling": cfg.settings.calling.model_copy(
            update={"calling_hours": "20:00-09:00"})}), secrets=cfg.secrets, mode="live", base_dir=cfg.base_dir)
        results = _by_name(doctor.run_checks(cfg))
    assert results["mirror port"].status == "fail" and "--mirror-port" in results["mirror port"].fix
    assert results["calling hours"].status == "fail"
    assert results["calls database"].status == "fail" and "newer" in results["calls database"].detail


def test_command_line_in_simulate_mode_and_json(tmp_path) -> None:
    conf = tmp_path / "c.toml"
    conf.write_text(f'[app]\ndata_dir = "{tmp_path}"\n[mirror]\nport = 0\n[voice]\naudio = "off"\n')
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    run = subprocess.run([sys.executable, "app.py", "doctor", "--json", "--config", str(conf), "--mode", "simulate"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    report = json.loads(run.stdout)
    assert report["ready"] is True and report["mode"] == "simulate"
    assert {c["status"] for c in report["checks"]} <= {"ok", "warn"}
    missing = subprocess.run([sys.executable, "app.py", "doctor", "--config", str(conf), "--mode", "live"],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert missing.returncode == 1
    assert "FAIL secret OPENAI_API_KEY: missing — fix: export OPENAI_API_KEY=" in missing.stdout
    assert missing.stdout.strip().endswith("not ready: fix the lines marked FAIL")
