"""SimCluster lifecycle and ``python -m sim``."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import requests

from core import config
from sim.cluster import SimCluster
from tests.sim_http.conftest import wait_for

ROOT = Path(__file__).resolve().parents[2]


def test_start_stop_leaves_no_thread() -> None:
    before = set(threading.enumerate())
    cluster = SimCluster(config.Settings(), personas_path=ROOT / "sim" / "personas.toml").start()
    assert cluster.start() is cluster  # a second start is a no-op
    base = cluster.urls["openai_api_base"]
    assert requests.get(cluster.urls["control_url"] + "/state").status_code == 200
    cluster.stop()
    cluster.stop()
    assert set(threading.enumerate()) <= before
    try:
        requests.get(base + "/models", timeout=2)
    except requests.ConnectionError:
        pass
    else:
        raise AssertionError("the OpenAI simulator still answers after stop()")


def test_urls_and_secrets_have_the_documented_shapes() -> None:
    with SimCluster(config.Settings()) as c:
        u, s = c.urls, c.secrets
        assert re.fullmatch(r"ws://127\.0\.0\.1:\d+/v1/realtime", u["openai_realtime_url"])
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v1", u["openai_api_base"])
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/api", u["ultravox_base_url"])
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", u["twilio_base_url"])
        assert u["control_url"].startswith("http://127.0.0.1:")
        assert re.fullmatch(r"AC[0-9a-f]{32}", s.twilio_account_sid)
        assert config.normalise_phone(s.twilio_from_number, None) == s.twilio_from_number
        assert s.openai_api_key and s.ultravox_api_key and s.ultravox_agent_id and s.twilio_auth_token
        assert len(c.personas) >= 9
        assert c.realtime is not None  # sim/realtime's RealtimeSim, on the OpenAI port
        r = requests.get(u["openai_api_base"] + "/realtime")  # plain GET: not a WebSocket upgrade
        assert r.status_code != 404


def test_stop_with_calls_in_flight() -> None:
    with SimCluster(config.Settings()) as c:
        s = c.secrets
        r = requests.post(f"{c.urls['ultravox_base_url']}/agents/{s.ultravox_agent_id}/calls",
                          headers={"X-API-Key": s.ultravox_api_key}, json={})
        assert r.status_code == 201
    assert not any(t.name == "sim-cluster" for t in threading.enumerate())


def test_python_dash_m_sim_prints_urls_and_exits_0_on_sigint() -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "sim", "--speed", "10"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    try:
        def saw_env_lines() -> bool:
            line = proc.stdout.readline()
            lines.append(line)
            return "TWILIO_FROM_NUMBER=" in line or proc.poll() is not None
        wait_for(saw_env_lines, timeout=60, interval=0)
        out = "".join(lines)
        api_base = re.search(r"SWITCHBOARD__OPENAI__API_BASE=(\S+)", out).group(1)
        key = re.search(r"OPENAI_API_KEY=(\S+)", out).group(1)
        assert "SWITCHBOARD__OPENAI__REALTIME_URL=ws://127.0.0.1:" in out
        assert "SWITCHBOARD__ULTRAVOX__BASE_URL=http://127.0.0.1:" in out
        assert "SWITCHBOARD__TWILIO__BASE_URL=http://127.0.0.1:" in out
        r = requests.get(api_base + "/models", headers={"Authorization": f"Bearer {key}"})
        assert r.status_code == 200
        proc.send_signal(signal.SIGINT)
        rest, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "stopped" in rest


def test_bad_config_exits_2(tmp_path) -> None:
    bad = tmp_path / "c.toml"
    bad.write_text("[sim]\nspeed = -1\n")
    r = subprocess.run([sys.executable, "-m", "sim", "--config", str(bad)], cwd=ROOT,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "sim.speed" in r.stderr
