"""After a full simulated run (a call placed and finished, the mirror opened
with its link, an export written) no secret in play is anywhere in the data
folder: not the API keys, the Twilio token, the mirror token, nor any
Ultravox joinUrl."""
from __future__ import annotations

import logging
import re
import sqlite3
import threading
from pathlib import Path

import requests

from core import logs
from core.clock import SystemClock
from core.runtime import Runtime
from calling.export import export
from tests.helpers import wait_for
from tests.tui.conftest import load_config
from web_mirror import MirrorServer

JOIN_TOKEN = re.compile(rb"/twilio\?token=")


def test_no_secret_reaches_the_data_folder(tmp_path: Path):
    cfg = load_config(tmp_path, "simulate", sim={"speed": 50.0}, calling={"poll_interval_s": 0.05},
                      voice={"audio": "off"})
    data = cfg.data_dir
    logs.setup(data, "DEBUG")
    rt = Runtime.build(cfg, clock=SystemClock())
    logs.redact_config_secrets(rt.config.secrets)
    mirror = MirrorServer(rt, host="127.0.0.1", port=0, token="mirror-token-abcdef0123456789").start()
    logs.redact_secrets(mirror.token)
    died: list[BaseException] = []

    def run(worker) -> None:  # type: ignore[no-untyped-def]
        try:
            worker.run()
        except BaseException as e:
            died.append(e)
            raise

    threads = [threading.Thread(target=run, args=(w,), daemon=True) for w in rt.workers]
    try:
        for t in threads:
            t.start()
        assert requests.get(mirror.link, timeout=5, allow_redirects=False).status_code == 303
        job = rt.actions.schedule_call(contact_name="Akhil", phone_number=None, objective="the overdue invoice").job
        wait_for(lambda: any(a.ended_at for a in rt.jobs.attempts_for_job(job.id)), timeout=120,
                 what=f"a call placed and ended ({died})")
        logging.getLogger("calling").info("attempts: %s", rt.jobs.attempts_for_job(job.id))
        export(rt.jobs, data / "exports", "csv")
        export(rt.jobs, data / "exports", "json")
        secrets = rt.config.secrets
    finally:
        mirror.stop()
        rt.close()
        for t in threads:
            t.join(10)
        for h in logging.getLogger().handlers + logging.getLogger("calling").handlers:
            h.flush()
    for db in data.glob("*.db"):  # what the last connection does when the app ends
        with sqlite3.connect(db) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    wanted = {name: getattr(secrets, name) for name in
              ("openai_api_key", "ultravox_api_key", "twilio_auth_token")} | {"mirror_token": mirror.token}
    assert all(wanted.values())
    found = []
    for path in data.rglob("*"):
        if path.is_file():
            raw = path.read_bytes()
            found += [f"{name} in {path.name}" for name, value in wanted.items() if value.encode() in raw]
            if JOIN_TOKEN.search(raw):
                found.append(f"joinUrl in {path.name}")
    assert not found, found
