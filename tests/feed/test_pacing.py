"""Four `python -m calling` engines on one PostgreSQL database keep the
providers' account limits between them: the simulators, which enforce the
same limits, never see more calls at once or more creations a second."""
from __future__ import annotations

import random
import signal

import pytest
import sqlalchemy as sa

from core import config as config_mod
from sim.cluster import SimCluster
from core.records import FINISHED
from store import JobStore
from tests.calling.conftest import Dials, SPEED
from tests.calling.test_crash import check_outcome, engine_env, insert_jobs, start_engine
from tests.conftest import ROOT
from tests.helpers import wait_for

LIMITS = {"max_concurrent_calls": 3, "calls_per_second": 4.0, "calls_per_minute": 600.0}
JOBS = 40


@pytest.fixture
def limited_sims():
    cfg = config_mod.load(None, env={}, mode="simulate", overrides={"sim": {"speed": SPEED}, "calling": LIMITS})
    cluster = SimCluster(cfg.settings, personas_path=ROOT / "sim" / "personas.toml",
                         ultravox_join_timeout_s=10 * SPEED).start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def pg_url():
    from tests.conftest import fresh_pg_database

    with fresh_pg_database("pacing") as url:
        yield url


@pytest.mark.timeout(240)
def test_four_engines_keep_the_providers_limits_between_them(limited_sims, pg_url, tmp_path):
    sims = limited_sims
    dials = Dials(sims)
    jobs = JobStore(pg_url)
    jobs.init_db()
    try:
        ids = insert_jobs(jobs, JOBS, random.Random(14))
        env = engine_env(sims, pg_url, tmp_path, concurrency=3, **LIMITS)
        log = tmp_path / "engines.out"
        engines = [start_engine(env, log, f"paced-{n}") for n in range(4)]
        try:
            wait_for(lambda: sum(n for status, n in jobs.counts().items() if status in FINISHED) == JOBS, 200,
                     what="every job to finish")
        finally:
            for proc in engines:
                proc.send_signal(signal.SIGTERM)
            for proc in engines:
                proc.wait(30)
        assert all(p.returncode == 0 for p in engines), log.read_text()[-3000:]
        check_outcome(jobs, dials, ids)
        assert len({a.engine_id for a in jobs.all_attempts()}) == 4  # all four took part
        uv, tw = sims.ultravox.limits.snapshot(), sims.twilio.limits.snapshot()
        assert uv["violations"] == 0 and tw["violations"] == 0, (uv, tw)
        assert 1 < uv["peak_concurrent"] <= LIMITS["max_concurrent_calls"], uv  # calls overlapped, never too many
        assert uv["peak_per_second"] <= LIMITS["calls_per_second"], uv
        assert tw["peak_per_second"] <= LIMITS["calls_per_second"], tw
        with jobs.db.engine.connect() as conn:  # every slot given back
            assert conn.execute(sa.text("SELECT COUNT(*) FROM call_slots WHERE holder IS NOT NULL")).scalar() == 0
    finally:
        jobs.close()
