"""One campaign spread over four `python -m calling` engines on PostgreSQL,
with single calls among it: every callee called exactly once, no call
dialled twice, the campaign's own share never exceeded, every engine at
work, one summary."""
from __future__ import annotations

import random
import signal

import pytest

from core.records import FINISHED
from store import JobStore
from tests.calling.conftest import wait_for
from tests.calling.test_campaign_engine import import_rows, numbers
from tests.calling.test_crash import check_outcome, engine_env, insert_jobs, start_engine

CALLEES = 300
SHARE = 8


@pytest.mark.timeout(300)
def test_a_campaign_over_four_engines_on_postgresql(sims, dials, pg_calls_url, tmp_path):
    jobs = JobStore(pg_calls_url)
    jobs.init_db()
    try:
        c = import_rows(jobs, "Spread", [(p, None) for p in numbers(CALLEES)], max_concurrent=SHARE)
        singles = insert_jobs(jobs, 20, random.Random(15))
        env = engine_env(sims, pg_calls_url, tmp_path, concurrency=4)
        log = tmp_path / "engines.out"
        engines = [start_engine(env, log, f"pg-{n}") for n in range(4)]
        peak = 0
        try:
            def ended() -> bool:
                nonlocal peak
                peak = max(peak, jobs.count_campaign_jobs(c.id, statuses=["PROCESSING"]))
                campaign = jobs.campaign("Spread")
                return bool(campaign and campaign.summary_job_id)

            wait_for(ended, 240, interval=0.05, what="the campaign to end")
            wait_for(lambda: all(j.overall_status in FINISHED for j in jobs.jobs_by_id(singles)), 60,
                     what="the single calls")
        finally:
            for proc in engines:
                proc.send_signal(signal.SIGTERM)
            for proc in engines:
                proc.wait(30)
        assert all(p.returncode == 0 for p in engines), log.read_text()[-3000:]
        ids = [j.id for j in jobs.campaign_jobs(c.id, limit=CALLEES)]
        check_outcome(jobs, dials, ids + singles)
        attempts = jobs.all_attempts()
        per_job: dict[int, int] = {}
        for a in attempts:
            per_job[a.job_id] = per_job.get(a.job_id, 0) + 1
        assert all(per_job.get(i) == 1 for i in ids), "a callee called twice or never"
        assert 1 <= peak <= SHARE
        assert {a.engine_id for a in attempts if a.job_id in set(ids)} == {"pg-0", "pg-1", "pg-2", "pg-3"}
        progress = jobs.campaign_progress(c.id)
        assert progress is not None and progress.finished == CALLEES
        summaries = [j for j in jobs.list_jobs(limit=10**6) if j.contact_name == "Spread campaign"]
        assert len(summaries) == 1 and summaries[0].id == jobs.campaign("Spread").summary_job_id
    finally:
        jobs.close()
