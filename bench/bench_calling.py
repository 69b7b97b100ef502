"""Calling engine figures:

1. jobs finished per second on the simulators at concurrency 1, 4, 16
   (target >= 50/s at 16; high sim speed, so the engine is what is measured);
2. claim latency p50/p99 with 100k jobs in the table, SQLite and PostgreSQL
   (target p99 <= 2 ms; inserted with dataset's insert_many);
3. four `python -m calling` engines x 2,000 jobs on PostgreSQL, one killed
   with SIGKILL: duplicates and lost attempts (target 0 and 0).

    .venv/bin/python bench/bench_calling.py [--speed 1000] [--skip-multi] [--pg URL]
"""
from __future__ import annotations

import argparse
import logging
import multiprocessing as mp
import random
import signal
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.fixtures import PG_ADMIN, pg_database, simulate_config  # noqa: E402
from bench.stats import pct  # noqa: E402
from core import config as config_mod  # noqa: E402
from calling.engine import CallingEngine  # noqa: E402
from core.events import Bus  # noqa: E402
from sim.cluster import SimCluster  # noqa: E402
from core.records import FINISHED
from store import JobStore  # noqa: E402

def settings(speed: float) -> config_mod.Config:
    # the providers' limits are bench_feed's subject: here the engine alone is measured
    roomy = {"max_concurrent_calls": 10000, "calls_per_second": 1000.0, "calls_per_minute": 60000.0}
    return simulate_config({"sim": {"speed": speed}, "calling": roomy})


def start_sims(speed: float) -> SimCluster:
    return SimCluster(settings(speed).settings, personas_path=ROOT / "sim" / "personas.toml",
                      ultravox_max_concurrent=1000, ultravox_min_join_real_s=30.0).start()


def _sims_child(speed: float, out: "mp.Queue[object]", stop: "mp.synchronize.Event") -> None:
    sims = start_sims(speed)
    out.put((sims.urls, sims.secrets))
    stop.wait()
    sims.stop()


class RemoteSims:
    """The simulators in a child process, so the engine measured does not
    share its GIL with them (they stand in for services on other machines)."""

    def __init__(self, speed: float) -> None:
        ctx = mp.get_context("spawn")
        self.speed = speed
        self._stop = ctx.Event()
        queue: "mp.Queue[object]" = ctx.Queue()
        self._proc = ctx.Process(target=_sims_child, args=(speed, queue, self._stop), daemon=True)
        self._proc.start()
        self.urls, self.secrets = queue.get(timeout=60)  # type: ignore[misc]

    def stop(self) -> None:
        self._stop.set()
        self._proc.join(10)


def engine_config(sims: "SimCluster | RemoteSims", data_dir: Path, concurrency: int) -> config_mod.Config:
    u = sims.urls
    return config_mod.with_sections(
        settings(sims.speed), secrets=sims.secrets, app={"data_dir": str(data_dir)},
        openai={"api_base": u["openai_api_base"]}, ultravox={"base_url": u["ultravox_base_url"]},
        twilio={"base_url": u["twilio_base_url"]},
        calling={"concurrency": concurrency, "poll_interval_s": 0.03, "calling_hours": "00:00-24:00",
                 "max_retries": 0, "lease_s": 30.0})


def throughput(sims: "SimCluster | RemoteSims", url: str, concurrency: int, n: int, tmp: Path) -> float:
    jobs = JobStore(url, bus=None)
    jobs.init_db()
    for i in range(n):
        jobs.create_job(f"+1202555{3000 + i:04d}", f"Person {i}", "confirm the order", max_retries=0)
    engine = CallingEngine(engine_config(sims, tmp, concurrency), Bus(), jobs)
    thread = threading.Thread(target=engine.run, daemon=True)
    t0 = time.perf_counter()
    thread.start()
    while True:
        counts = jobs.counts()
        if sum(v for k, v in counts.items() if k in FINISHED) >= n:
            break
        time.sleep(0.05)
    elapsed = time.perf_counter() - t0
    engine.stop()
    thread.join()
    ok = counts.get("COMPLETED_SUCCESS", 0)
    jobs.close()
    print(f"  concurrency {concurrency:>2}: {n} jobs in {elapsed:6.2f} s = {n / elapsed:6.1f} jobs/s "
          f"({ok} COMPLETED_SUCCESS)", flush=True)
    return n / elapsed


def insert_100k(jobs: JobStore, due: int) -> None:
    rows = []
    for i in range(100_000):
        pending = i % (100_000 // due) == 0
        rows.append({
            "phone_number": f"+1202555{i % 10000:04d}", "contact_name": f"P{i}", "objective": "x",
            "overall_status": "PENDING" if pending else random.choice(
                ["COMPLETED_SUCCESS", "FAILED_MAX_RETRIES", "RETRY_SCHEDULED"]),
            "next_retry_at": None if pending else "2099-01-01T00:00:00.000Z",
            "main_agent_informed_user": True,
        })
    jobs.create_jobs(rows)


def claim_latency(url: str, label: str, claims: int = 2000) -> tuple[float, float]:
    jobs = JobStore(url)
    jobs.init_db()
    insert_100k(jobs, due=claims)
    for _ in range(50):  # warm up connections and the plan cache
        jobs.renew_lease(1, "x", 1)
    times = []
    for _ in range(claims):
        t0 = time.perf_counter()
        job = jobs.claim_next("bench", 60.0)
        times.append((time.perf_counter() - t0) * 1000)
        assert job is not None
    none_t0 = time.perf_counter()
    assert jobs.claim_next("bench", 60.0) is None
    none_ms = (time.perf_counter() - none_t0) * 1000
    p50, p99 = statistics.median(times), pct(times, 0.99)
    print(f"  {label:<10}: p50 {p50:5.2f} ms  p99 {p99:5.2f} ms  (over {claims} claims, 100k rows; "
          f"an empty claim {none_ms:.2f} ms)", flush=True)
    jobs.close()
    return p50, p99


def multi_engine(sims: SimCluster, url: str, n: int, tmp: Path) -> None:
    from tests.calling.conftest import Dials
    from tests.calling.test_crash import check_outcome, engine_env, insert_jobs, start_engine

    dials = Dials(sims)
    jobs = JobStore(url)
    jobs.init_db()
    ids = insert_jobs(jobs, n, random.Random(2000))
    env = engine_env(sims, url, tmp, concurrency=8, poll_interval_s=0.02)
    log = tmp / "engines.out"
    t0 = time.perf_counter()
    procs = [start_engine(env, log, f"bench-{i}") for i in range(4)]
    try:
        while sum(v for k, v in jobs.counts().items() if k in FINISHED) < n // 3:
            time.sleep(0.2)
        procs[0].send_signal(signal.SIGKILL)
        procs[0].wait()
        while sum(v for k, v in jobs.counts().items() if k in FINISHED) < n:
            time.sleep(0.2)
        elapsed = time.perf_counter() - t0
    finally:
        for p in procs[1:]:
            p.send_signal(signal.SIGTERM)
        for p in procs[1:]:
            p.wait(60)
    try:
        check_outcome(jobs, dials, ids)
        verdict = "0 duplicates, 0 lost attempts, every job finished"
    except AssertionError as e:
        verdict = f"FAILED: {e}"
    attempts = jobs.all_attempts()
    print(f"  4 engines x {n} jobs on PostgreSQL, one SIGKILLed: {elapsed:.1f} s ({n / elapsed:.1f} jobs/s), "
          f"{len(attempts)} attempts, {len(dials.ultravox_calls)} Ultravox calls; {verdict}", flush=True)
    jobs.close()


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--speed", type=float, default=1000.0)
    p.add_argument("--pg", default=PG_ADMIN, help="admin URL of a PostgreSQL server ('' to skip)")
    p.add_argument("--skip-multi", action="store_true")
    p.add_argument("--multi-jobs", type=int, default=2000)
    args = p.parse_args()
    logging.basicConfig(level=logging.ERROR)
    tmp = Path(tempfile.mkdtemp(prefix="bench_calling_"))
    remote = RemoteSims(args.speed)
    try:
        print(f"jobs finished per second (SQLite; simulators in another process at speed {args.speed:g}):",
              flush=True)
        for concurrency, n in ((1, 100), (4, 300), (16, 800)):
            throughput(remote, f"sqlite:///{tmp}/tp_{concurrency}.db", concurrency, n, tmp)
    finally:
        remote.stop()
    sims = start_sims(args.speed)  # in-process: the multi-engine check counts what they create
    try:
        print("claim latency:", flush=True)
        claim_latency(f"sqlite:///{tmp}/claims.db", "SQLite")
        if args.pg:
            try:
                url, drop = pg_database(args.pg, "calling")
            except Exception as e:  # no server here: say so and go on
                print(f"  PostgreSQL: skipped ({e.__class__.__name__}: {e})")
                return 0
            try:
                claim_latency(url, "PostgreSQL")
            finally:
                drop()
            if not args.skip_multi:
                url, drop = pg_database(args.pg, "calling")
                try:
                    multi_engine(sims, url, args.multi_jobs, tmp)
                finally:
                    drop()
    finally:
        sims.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
