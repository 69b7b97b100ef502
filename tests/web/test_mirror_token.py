"""The mirror's token stays the same for a data folder across starts, is
replaced only on request, and a busy mirror port is said, not swallowed."""
from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT
from web_mirror.token import new_token, stable_token


def test_the_token_is_stable_per_data_folder(tmp_path: Path):
    first = stable_token(tmp_path / "data")
    assert stable_token(tmp_path / "data") == first
    assert stat.S_IMODE(os.stat(tmp_path / "data" / "mirror_token").st_mode) == 0o600
    assert stable_token(tmp_path / "other") != first
    renewed = new_token(tmp_path / "data")
    assert renewed != first and stable_token(tmp_path / "data") == renewed


def test_a_busy_mirror_port_is_reported_in_headless_and_the_log(tmp_path: Path):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    text = (ROOT / "config.toml").read_text().replace('data_dir = "data"', f'data_dir = "{tmp_path / "data"}"')
    (tmp_path / "config.toml").write_text(text)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SWITCHBOARD", "OPENAI", "TWILIO", "ULTRAVOX"))}
    try:
        done = subprocess.run(
            [sys.executable, str(ROOT / "app.py"), "--config", str(tmp_path / "config.toml"), "--headless",
             "--exit-on-eof", "--mirror-port", str(port)],
            input="", capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    finally:
        taken.close()
    events = [json.loads(line) for line in done.stdout.splitlines()]
    notices = [e["text"] for e in events if e["type"] == "notice" and e["level"] == "error"]
    assert any(f"127.0.0.1:{port}" in n and "--mirror-port" in n for n in notices), events
    assert "--mirror-port" in done.stderr
    assert f":{port}" in (tmp_path / "data" / "switchboard.log").read_text()
