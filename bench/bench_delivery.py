"""Told means said: call outcomes delivered by the assistant across seeded
random socket drops, against the simulators on loopback.

For each outcome: how many times its words reached the client (in full,
or cut off by a drop before the response completed), and whether it was
marked told exactly once. The promise: said once, or twice only when the
first delivery was cut off. Also the latency from a call finishing to the
outcome said and marked told, with no drops.

Usage: python bench/bench_delivery.py [drops] [seed]"""
from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_voice import start_worker  # noqa: E402
from bench.stats import pct  # noqa: E402
from core import config as config_mod  # noqa: E402
from core.records import Job
from sim.cluster import SimCluster  # noqa: E402
from tests.helpers import wait_for  # noqa: E402


def finish(jobs, n: int) -> Job:  # type: ignore[no-untyped-def]
    job = jobs.create_job("+12025550101", "Akhil", f"question {n}", max_retries=3)
    return jobs.update_job(job.id, overall_status="COMPLETED_SUCCESS",
                           final_summary_for_main_agent=f"Outcome number {n} is settled.")


def bench_drops(sims: SimCluster, drops: int, seed: int, *, speed: float, window_s: float) -> None:
    """A drop at a random moment up to ``window_s`` after each connect; at
    ``speed`` 1 the simulated model takes 0.1 s to answer, so many drops
    land in the middle of a delivery."""
    rng = random.Random(seed)
    sims.realtime.speed = speed
    with tempfile.TemporaryDirectory() as tmp:
        worker, stamps, thread = start_worker(sims, Path(tmp), history_turns=4, reconnect_cap_s=0.1)
        jobs, made = worker.jobs, []
        for n in range(drops):
            if n % 5 == 0:
                made.append(finish(jobs, n))
            time.sleep(rng.uniform(0, window_s))
            t0 = time.perf_counter()
            sims.faults.trigger("drop")
            stamps.wait("primed", t0)
        wait_for(lambda: all(jobs.get_job(j.id).main_agent_informed_user for j in made), 60.0, 0.01,
                 "every outcome told")
        time.sleep(0.5)
        turns = [t.content for t in worker.conversation.get_recent_turns(100_000) if t.role == "assistant"]
        worker.stop()
        thread.join(10)
    sims.realtime.speed = 20.0
    once = twice_after_cut = more = 0
    for job in made:
        line = f"Update on your call to Akhil: {job.final_summary_for_main_agent.rstrip('.')}."
        full = sum(1 for t in turns if line in t)
        cut = sum(1 for t in turns if t.startswith("Update on your call") and line not in t
                  and line.startswith(t.rstrip()))
        if full == 1 and cut == 0:
            once += 1
        elif full == 1 and cut == 1:
            twice_after_cut += 1
        else:
            more += 1
    print(f"{len(made)} outcomes across {drops} random drops within {window_s * 1000:.0f} ms of each connect "
          f"(seed {seed}, model speed {speed:g}): said once {once}, "
          f"twice after a cut-off delivery {twice_after_cut}, otherwise {more} "
          f"({'OK' if more == 0 else 'BROKEN'})")


def bench_latency(sims: SimCluster, samples: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        worker, stamps, thread = start_worker(sims, Path(tmp))
        took = []
        for n in range(samples):
            t0 = time.perf_counter()
            job = finish(worker.jobs, n)
            wait_for(lambda: worker.jobs.get_job(job.id).main_agent_informed_user, 60.0, 0.01, "the outcome told")
            took.append(time.perf_counter() - t0)
        worker.stop()
        thread.join(10)
    print(f"call finished -> outcome said and marked told: median {statistics.median(took) * 1000:.0f} ms, "
          f"p95 {pct(took, 0.95) * 1000:.0f} ms over {samples} outcomes (simulated model at speed 20)")


def main() -> None:
    drops = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 20261202
    settings = config_mod.load(None, env={}, mode="simulate", overrides={"sim": {"speed": 20.0}}).settings
    sims = SimCluster(settings, personas_path=ROOT / "sim" / "personas.toml").start()
    try:
        bench_drops(sims, drops, seed, speed=20.0, window_s=0.03)
        bench_drops(sims, drops, seed, speed=1.0, window_s=0.3)
        bench_latency(sims, 20)
    finally:
        sims.stop()


if __name__ == "__main__":
    main()
