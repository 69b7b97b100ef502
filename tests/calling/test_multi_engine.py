"""Four `python -m calling` engines share one PostgreSQL database; one is
killed with SIGKILL half-way. No job is taken twice, no attempt is lost,
no call is dialed twice, every job ends. (2,000 jobs: bench/bench_calling.py.)"""
from __future__ import annotations

import os
import random
import signal

import pytest

from core.records import FINISHED
from store import JobStore
from tests.calling.conftest import wait_for
from tests.calling.test_crash import check_outcome, engine_env, insert_jobs, start_engine

JOBS = int(os.environ.get("SB_PG_JOBS", "300"))


@pytest.mark.timeout(240)
def test_four_engines_on_postgresql_one_killed(sims, dials, pg_calls_url, tmp_path):
    jobs = JobStore(pg_calls_url)
    jobs.init_db()
    try:
        ids = insert_jobs(jobs, JOBS, random.Random(4))
        env = engine_env(sims, pg_calls_url, tmp_path, concurrency=4)
        log = tmp_path / "engines.out"
        engines = [start_engine(env, log, f"pg-{n}") for n in range(4)]
        try:
            wait_for(lambda: sum(1 for j in jobs.list_jobs(limit=10**6) if j.overall_status in FINISHED)
                     >= JOBS // 4 and any(a.engine_id == "pg-0" for a in jobs.all_attempts()),
                     120, interval=0.2, what="a quarter of the jobs, some by the engine to be killed")
            engines[0].send_signal(signal.SIGKILL)
            engines[0].wait(10)
            wait_for(lambda: all(j.overall_status in FINISHED for j in jobs.list_jobs(limit=10**6)), 180,
                     interval=0.5, what="every job to finish")
        finally:
            for proc in engines[1:]:
                proc.send_signal(signal.SIGTERM)
            for proc in engines[1:]:
                proc.wait(30)
        assert all(p.returncode == 0 for p in engines[1:]), log.read_text()[-3000:]
        check_outcome(jobs, dials, ids)
        workers = {a.engine_id for a in jobs.all_attempts()}
        assert {"pg-0", "pg-1", "pg-2", "pg-3"} <= workers  # all four took part
    finally:
        jobs.close()
