"""Many engines, many consoles, one picture, within the providers' limits:

PostgreSQL, four `python -m calling` engines and two headless consoles
(`app.py --headless`, their own engine off), N jobs on the simulators:

- every change seen by both consoles: the row changes PostgreSQL announced
  (counted by a LISTEN of our own) against the call_job_updated events each
  console printed, and each console's last version of every job against
  the table;
- p50/p99 from row change (its updated_at) to the event on each console's
  stdout (target p99 <= 1 s), for the changes the engines made;
- the simulators' peak concurrent calls and creations in any one second
  against the configured limits (must never exceed them; violations = 429s
  the simulators had to send);
- duplicate dials, lost jobs, throughput.

On SQLite the same feed checks ``PRAGMA data_version`` every 0.1 s, so its
latency is bounded by that interval plus one indexed read of the rows
changed since the last check.

A listener re-reads the row it is told of, so when a job changes twice
before the read, the console shows the newer version only (the earlier one
is folded into it, never lost): the figures count both.

    .venv/bin/python bench/bench_feed.py [--jobs 1000] [--concurrent 40] [--per-second 40] [--speed 200]
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.fixtures import PG_ADMIN, pg_database  # noqa: E402
from bench.stats import pct  # noqa: E402
from core import config as config_mod  # noqa: E402
from sim.cluster import SimCluster  # noqa: E402
from core.records import FINISHED
from store import JobStore  # noqa: E402
from store.notify import CHANNEL  # noqa: E402



class ConsoleProcess:
    """A headless console; its stdout lines are kept raw with their arrival time."""

    def __init__(self, env: dict[str, str], folder: Path, name: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "app.py"), "--config", str(ROOT / "config.toml"), "--mode", "live",
             "--headless", "--no-mirror"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=(folder / "stderr.txt").open("w"),
            env=dict(env, SWITCHBOARD__APP__DATA_DIR=str(folder)), cwd=folder)
        self.lines: list[tuple[float, bytes]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append((time.time(), line))

    def connected(self) -> bool:
        return any(b'"type":"voice_state"' in line and b'"state":"primed"' in line for _, line in self.lines)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(30)
        self._reader.join(10)

    def job_events(self) -> list[tuple[float, dict[str, Any]]]:
        out = []
        for at, line in self.lines:
            if b'"call_job_updated"' in line:
                out.append((at, json.loads(line)["job"]))
        return out

    def count(self, kind: str) -> int:
        marker = f'"type":"{kind}"'.encode()
        return sum(1 for _, line in self.lines if marker in line)


class NotifyCounter:
    """Our own LISTEN: how many row changes PostgreSQL announced."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.conn = psycopg.connect(url, autocommit=True)
        self.conn.execute(f"LISTEN {CHANNEL}")
        self.count = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            for _ in self.conn.notifies(timeout=0.2):
                self.count += 1

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.conn.close()


def _epoch(ts: str) -> float:
    return datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()


def run(args: argparse.Namespace, url: str, tmp: Path) -> int:
    from tests.calling.conftest import Dials
    from tests.calling.test_crash import check_outcome, engine_env, insert_jobs, start_engine

    limits = {"max_concurrent_calls": args.concurrent, "calls_per_second": args.per_second,
              "calls_per_minute": args.per_second * 60}
    cfg = config_mod.load(None, env={}, mode="simulate", overrides={"sim": {"speed": args.speed}, "calling": limits})
    sims = SimCluster(cfg.settings, personas_path=ROOT / "sim" / "personas.toml",
                      ultravox_join_timeout_s=30 * args.speed).start()
    dials = Dials(sims)
    jobs = JobStore(url)
    jobs.init_db()
    listener = NotifyCounter(url)
    consoles: list[ConsoleProcess] = []
    engines: list[subprocess.Popen] = []
    try:
        engine_settings = dict(limits, concurrency=args.engine_concurrency, poll_interval_s=0.05, lease_s=30.0)
        env = engine_env(sims, url, tmp, **engine_settings)
        console_env = dict(env, SWITCHBOARD__CALLING__ENABLED="false",
                           SWITCHBOARD__OPENAI__REALTIME_URL=sims.urls["openai_realtime_url"],
                           SWITCHBOARD__VOICE__AUDIO='"off"')
        consoles = [ConsoleProcess(console_env, tmp / f"console-{n}", f"console-{n}") for n in range(2)]
        deadline = time.monotonic() + 60
        while not all(c.connected() for c in consoles):
            if time.monotonic() > deadline:
                raise RuntimeError("the consoles did not connect within 60 s")
            time.sleep(0.1)
        ids = insert_jobs(jobs, args.jobs, random.Random(5000))
        log = tmp / "engines.out"
        t0 = time.perf_counter()
        engines = [start_engine(env, log, f"bench-{n}") for n in range(4)]
        while sum(v for k, v in jobs.counts().items() if k in FINISHED) < args.jobs:
            if any(p.poll() is not None for p in engines):
                print("  an engine exited early:\n" + log.read_text()[-2000:])
                return 1
            time.sleep(0.2)
        elapsed = time.perf_counter() - t0
        time.sleep(2.0)  # the last changes reach the consoles
    finally:
        for p in engines:
            p.send_signal(signal.SIGTERM)
        for p in engines:
            p.wait(60)
        for c in consoles:
            c.stop()
        listener.stop()
        sims.stop()

    ok = True
    try:
        check_outcome(jobs, dials, ids)
        verdict = "0 duplicate dials, 0 lost jobs (every job finished, every call has its attempt row)"
    except AssertionError as e:
        verdict, ok = f"FAILED: {e}", False
    table = {j.id: j for j in jobs.list_jobs(limit=10**7)}
    attempts = jobs.all_attempts()
    jobs.close()
    print(f"ran: PostgreSQL, 4 engines x concurrency {args.engine_concurrency}, 2 headless consoles (engine off), "
          f"{args.jobs} jobs, simulators at speed {args.speed:g}, limits {args.concurrent} calls at once and "
          f"{args.per_second:g} created a second")
    print(f"  throughput: {args.jobs} jobs in {elapsed:.1f} s = {args.jobs / elapsed:.1f} jobs/s "
          f"({len(attempts)} attempts)")
    print(f"  {verdict}")
    print(f"  row changes announced by PostgreSQL: {listener.count}")
    for c in consoles:
        events = c.job_events()
        last: dict[int, str] = {}
        versions = set()
        for _, job in events:
            last[job.id] = max(last.get(job.id, ""), job.updated_at)
            versions.add((job.id, job.updated_at))
        stale = sum(1 for i, row in table.items() if last.get(i) != row.updated_at)
        first_seen: dict[int, float] = {}
        latencies = []
        for at, job in events:
            if job.id in first_seen:  # the insert's version is stamped before the whole insert commits
                latencies.append(at - _epoch(job.updated_at))
            first_seen.setdefault(job.id, at)
        repeated = len(events) - len(versions)
        folded = listener.count - len(versions)
        print(f"  {c.name}: {len(events)} call_job_updated ({len(versions)} distinct versions, {repeated} repeated, "
              f"{folded} folded into a newer version read at once), "
              f"{c.count('new_call_update_available')} badges; jobs whose last version it missed: {stale}; "
              f"row change -> event p50 {statistics.median(latencies) * 1000:.0f} ms, "
              f"p99 {pct(latencies, 0.99) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms "
              f"(target p99 <= 1000 ms)")
        ok = ok and stale == 0 and repeated == 0
    for service, lim in (("Ultravox", dials.sims.ultravox.limits.snapshot()),
                         ("Twilio", dials.sims.twilio.limits.snapshot())):
        concurrent = f"peak {lim['peak_concurrent']} at once" + (
            f" (limit {lim['concurrent']})" if lim["concurrent"] is not None else "")
        print(f"  simulated {service}: {lim['created']} calls created, {concurrent}, peak "
              f"{lim['peak_per_second']} creations in one second (limit {lim['per_second']:g}), "
              f"{lim['violations']} violations")
        ok = ok and lim["violations"] == 0 and lim["peak_per_second"] <= lim["per_second"]
    return 0 if ok else 1


def main() -> int:
    p = argparse.ArgumentParser()
    # 5,000 jobs take ~12 min on a loaded 2-core machine: the default keeps `make bench` short
    p.add_argument("--jobs", type=int, default=int(os.environ.get("SB_FEED_JOBS", "1000")))
    p.add_argument("--concurrent", type=int, default=40, help="calling.max_concurrent_calls")
    p.add_argument("--per-second", type=float, default=40.0, help="calling.calls_per_second")
    p.add_argument("--engine-concurrency", type=int, default=12)
    p.add_argument("--speed", type=float, default=200.0)
    p.add_argument("--pg", default=PG_ADMIN, help="admin URL of a PostgreSQL server")
    args = p.parse_args()
    logging.basicConfig(level=logging.ERROR)
    try:
        url, drop = pg_database(args.pg, "feed")
    except Exception as e:  # no server here: say so
        print(f"skipped: PostgreSQL at {args.pg} unreachable ({e.__class__.__name__})")
        return 0
    try:
        return run(args, url, Path(tempfile.mkdtemp(prefix="bench_feed_")))
    finally:
        drop()


if __name__ == "__main__":
    sys.exit(main())
