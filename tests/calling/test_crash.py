"""kill -9 of `python -m calling` at random points while it works through
many jobs; restart; in the end: every job finished, every attempt decided,
at most one Ultravox call and one Twilio leg per attempt, and every call
the simulators saw belongs to an attempt row (no lost attempt)."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.records import FINISHED
from tests.calling.conftest import Dials, wait_for
from tests.helpers import ROOMY_LIMITS
from tests.conftest import ROOT

JOBS = int(os.environ.get("SB_CRASH_JOBS", "200"))
KILLS = 6
PERSONAS = ["+12025550101", "+12025550102", "+12025550103", "+12025550104", "+12025550105",
            "+12025550106", "+12025550107", "+12025550108"]


def engine_env(sims, db_url: str, data_dir: Path, **calling: object) -> dict[str, str]:
    s, u = sims.secrets, sims.urls
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SWITCHBOARD__", "TWILIO_"))}
    env.update({
        "OPENAI_API_KEY": s.openai_api_key, "ULTRAVOX_API_KEY": s.ultravox_api_key,
        "ULTRAVOX_AGENT_ID": s.ultravox_agent_id, "TWILIO_ACCOUNT_SID": s.twilio_account_sid,
        "TWILIO_AUTH_TOKEN": s.twilio_auth_token, "TWILIO_FROM_NUMBER": s.twilio_from_number,
        "SWITCHBOARD__APP__DATA_DIR": str(data_dir),
        "SWITCHBOARD__OPENAI__API_BASE": u["openai_api_base"],
        "SWITCHBOARD__OPENAI__REQUEST_TIMEOUT_S": "3",
        "SWITCHBOARD__ULTRAVOX__BASE_URL": u["ultravox_base_url"],
        "SWITCHBOARD__TWILIO__BASE_URL": u["twilio_base_url"],
        "SWITCHBOARD__CALLING__CALLS_DB_URL": db_url,
        "SWITCHBOARD__CALLING__CALLING_HOURS": '"00:00-24:00"',
        "PYTHONPATH": str(ROOT),
    })
    defaults = {"poll_interval_s": 0.05, "lease_s": 3.0, "concurrency": 4, **ROOMY_LIMITS}
    defaults.update(calling)
    for key, value in defaults.items():
        env[f"SWITCHBOARD__CALLING__{key.upper()}"] = str(value)
    return env


def start_engine(env: dict[str, str], log: Path, name: str) -> subprocess.Popen:
    config = log.parent / "engine.toml"
    config.write_text("[app]\nlog_level = \"INFO\"\n")
    return subprocess.Popen([sys.executable, "-m", "calling", "--config", str(config), "--mode", "live",
                             "--engine-id", name], cwd=ROOT, env=env, stdout=log.open("ab"),
                            stderr=subprocess.STDOUT)


def insert_jobs(jobs, n: int, rng: random.Random) -> list[int]:
    ids = []
    for i in range(n):
        phone = rng.choice(PERSONAS) if rng.random() < 0.3 else f"+1202555{2000 + i:04d}"
        ids.append(jobs.create_job(phone, f"Person {i}", f"confirm order {i}", max_retries=0).id)
    return ids


def all_done(jobs) -> bool:
    return all(j.overall_status in FINISHED for j in jobs.list_jobs(limit=10**6))


def check_outcome(jobs, dials: Dials, ids: list[int]) -> None:
    all_jobs = {j.id: j for j in jobs.list_jobs(limit=10**6)}
    unfinished = [i for i in ids if all_jobs[i].overall_status not in FINISHED]
    assert not unfinished, f"{len(unfinished)} jobs did not finish: {unfinished[:10]}"
    attempts = jobs.all_attempts()
    assert all(a.phase == "DECIDED" for a in attempts), [a for a in attempts if a.phase != "DECIDED"][:3]
    by_job: dict[int, list[int]] = {}
    for a in attempts:
        by_job.setdefault(a.job_id, []).append(a.attempt_number)
    for job_id, numbers in by_job.items():
        assert numbers == list(range(1, len(numbers) + 1)), (job_id, numbers)
    # an Ultravox call left undialed past its join window is replaced, never dialed: count the dialed ones
    uv, tw = dials.ultravox_dialed(), dials.twilio()
    assert dials.undialed_unjoined_only()
    doubles = {k: v for k, v in uv.items() if v > 1} | {k: v for k, v in tw.items() if v > 1}
    assert not doubles, f"double dials: {doubles}"
    known = {str(a.id) for a in attempts}
    lost = (set(dials.ultravox()) | set(tw)) - known
    assert not lost, f"calls with no attempt row: {lost}"
    # every attempt that reached a person has its Ultravox call on record
    for a in attempts:
        if a.attempt_outcome in ("MARK_JOB_COMPLETED_SUCCESS", "MARK_JOB_FAILED_MAX_RETRIES"):
            assert uv.get(str(a.id)) == 1, a


@pytest.mark.timeout(240)
def test_kill_9_at_random_points_loses_nothing_and_dials_once(sims, jobs, dials, tmp_path):
    rng = random.Random(20261127)
    ids = insert_jobs(jobs, JOBS, rng)
    env = engine_env(sims, jobs.url, tmp_path)
    log = tmp_path / "engine.out"
    for n in range(KILLS):
        before = len(jobs.all_attempts())
        proc = start_engine(env, log, f"victim-{n}")
        # once it is at work (start-up takes a while on a loaded machine), kill at a random point
        wait_for(lambda: proc.poll() is not None or len(jobs.all_attempts()) > before or all_done(jobs), 60,
                 interval=0.01, what=f"victim {n} to start an attempt")
        time.sleep(rng.uniform(0.0, 1.5))
        assert proc.poll() is None, log.read_text()[-3000:]
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        if all_done(jobs):  # a fast machine: every job done before the last kill
            break
    survivor = start_engine(env, log, "survivor")
    try:
        wait_for(lambda: all_done(jobs), 180, interval=0.5, what="every job to finish")
    finally:
        survivor.send_signal(signal.SIGTERM)
        survivor.wait(30)
    assert survivor.returncode == 0, log.read_text()[-3000:]
    check_outcome(jobs, dials, ids)
    decided = [a for a in jobs.all_attempts() if a.engine_id and a.engine_id.startswith("victim")]
    assert decided, "no victim ever started an attempt: the kills hit nothing"
