"""Chaos: the whole app (assistant, calling engine, stores) on the
simulators while their faults fire at random — dropped and half-open
Realtime sockets, expired sessions, refused connections, 5xx and 429 from
Ultravox, Twilio and OpenAI, malformed bodies, slow answers — over a few
hundred call jobs and a stream of typed requests. Then the faults stop and
the app is given time to settle.

Prints what a user would ask: requests made, calls placed, duplicate calls,
jobs lost, typed turns lost, outcomes told (and told once), calls whose
Twilio SID was never learned.
Target: 0 duplicates, 0 jobs lost, 0 turns lost, every outcome told once, every
placed call's Twilio SID on its attempt.

    .venv/bin/python bench/bench_chaos.py [--jobs 300] [--drops 30] [--seed 7]
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.fixtures import simulate_config  # noqa: E402
from core import logs  # noqa: E402
from core.clock import SystemClock  # noqa: E402
from core.events import CallJobUpdated, Event, WorkerState  # noqa: E402
from core.runtime import Runtime  # noqa: E402
from sim.cluster import SimCluster  # noqa: E402
from core.records import FINISHED

SPEED = 200.0
CHAOS_S = 90.0
SETTLE_S = 60.0
QUESTIONS = ("what calls do I have?", "any news on my calls?", "how is the call to Person 3 going?",
             "is anything still pending?", "thanks, that is all for now")


def build(data_dir: Path) -> tuple[Runtime, SimCluster]:
    overrides = {
        "app": {"data_dir": str(data_dir), "log_level": "WARNING"},
        "sim": {"speed": SPEED},
        "voice": {"audio": "off"},
        # the provider limits pace real seconds while the simulators run SPEED times faster: at the
        # defaults (5 calls at once, 30 a minute) most jobs would still wait their turn at the end
        "calling": {"concurrency": 16, "poll_interval_s": 0.03, "calling_hours": "00:00-24:00",
                    "max_retries": 1, "calls_db_url": f"sqlite:///{data_dir / 'calls.db'}",
                    "max_concurrent_calls": 1000, "calls_per_second": 1000.0, "calls_per_minute": 60000.0},
        "conversation": {"db_url": f"sqlite:///{data_dir / 'conversation.db'}"},
    }
    cfg = simulate_config(overrides)
    sims = SimCluster(cfg.settings, personas_path=ROOT / "sim" / "personas.toml", ultravox_max_concurrent=1000,
                      ultravox_join_timeout_s=30 * SPEED).start()
    return Runtime.build(cfg, clock=SystemClock(), sims=sims), sims


def count_requests(faults: Any) -> Counter[str]:
    """Every HTTP request a simulator handled passes its fault check once."""
    counts: Counter[str] = Counter()
    take = faults.take_http_failure

    def counted(service: str) -> int:
        counts[service] += 1
        return take(service)

    faults.take_http_failure = counted
    return counts


def chaos(faults: Any, rng: random.Random, drops: int, until: float, stop: threading.Event) -> Counter[str]:
    """Random faults until ``until``; exactly ``drops`` socket drops spread over the time."""
    fired: Counter[str] = Counter()
    others: list[tuple[str, Callable[[], Any]]] = [
        ("half-open socket", lambda: faults.trigger("half_open")),
        ("expired session", lambda: faults.trigger("expire")),
        ("refused 0.5 s", lambda: faults.refuse_for(0.5)),
        ("Twilio 429 x2", lambda: faults.fail_next("twilio", 429, 2)),
        ("Twilio 500", lambda: faults.fail_next("twilio", 500, 1)),
        ("Ultravox 503 x2", lambda: faults.fail_next("ultravox", 503, 2)),
        ("OpenAI 500", lambda: faults.fail_next("openai", 500, 1)),
        ("OpenAI 429", lambda: faults.fail_next("openai", 429, 1)),
        ("malformed Twilio body", lambda: faults.malform_next("twilio", 1)),
        ("malformed Ultravox body", lambda: faults.malform_next("ultravox", 1)),
        ("delay 0.3 s", lambda: faults.set_delay(0.3)),
    ]
    start = time.monotonic()
    span = until - start
    drop_at = sorted(start + rng.uniform(0.05, 0.95) * span for _ in range(drops))
    while not stop.is_set() and time.monotonic() < until:
        now = time.monotonic()
        if drop_at and now >= drop_at[0]:
            drop_at.pop(0)
            faults.trigger("drop")
            fired["dropped socket"] += 1
        else:
            name, fire = rng.choice(others)
            if name != "delay 0.3 s":
                faults.set_delay(0.0)
            fire()
            fired[name] += 1
        stop.wait(rng.uniform(0.2, 0.8))
    faults.reset()
    return fired


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--jobs", type=int, default=300)
    p.add_argument("--drops", type=int, default=30)
    p.add_argument("--texts", type=int, default=40)
    p.add_argument("--seed", type=int, default=7)
    args = p.parse_args(argv)
    rng = random.Random(args.seed)

    with tempfile.TemporaryDirectory() as tmp:
        logs.setup(Path(tmp), "WARNING")  # the recoveries' warnings go to the log, not the figures
        rt, sims = build(Path(tmp))
        requests = count_requests(sims.faults)
        told_flips: Counter[int] = Counter()
        informed: dict[int, bool] = {}
        worker_errors: list[str] = []

        def watch(event: Event) -> None:
            if isinstance(event, CallJobUpdated):
                job_id, now = event.job.id, event.job.main_agent_informed_user
                if now and not informed.get(job_id, False):
                    told_flips[job_id] += 1
                informed[job_id] = now
            elif isinstance(event, WorkerState) and event.state == "error":
                worker_errors.append(f"{event.name}: {event.error}")

        rt.bus.subscribe(watch)
        threads = [threading.Thread(target=w.run, name=w.name, daemon=True) for w in rt.workers]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        deadline = time.monotonic() + 30
        while rt.state.connection.status != "connected" and time.monotonic() < deadline:
            time.sleep(0.05)

        stop = threading.Event()
        fired: Counter[str] = Counter()
        chaos_thread = threading.Thread(
            target=lambda: fired.update(chaos(sims.faults, rng, args.drops, time.monotonic() + CHAOS_S, stop)),
            daemon=True)
        chaos_thread.start()

        job_ids = []
        texts: list[str] = []
        text_every = max(1, args.jobs // max(1, args.texts))
        for i in range(args.jobs):
            job = rt.actions.schedule_call(contact_name=f"Person {i}", phone_number=f"+1202555{3000 + i:04d}",
                                           objective=f"confirm delivery slot {i}")
            job_ids.append(job.job.id)
            if i % text_every == 0 and len(texts) < args.texts:
                text = f"{QUESTIONS[len(texts) % len(QUESTIONS)]} ({len(texts) + 1})"
                rt.actions.send_text(text)
                texts.append(text)
            time.sleep(CHAOS_S * 0.8 / args.jobs)
        chaos_thread.join()
        chaos_s = time.monotonic() - t0

        def settled() -> bool:
            jobs = [rt.jobs.get_job(j) for j in job_ids]
            return all(j is not None and (j.overall_status in FINISHED and j.main_agent_informed_user
                                          or j.overall_status == "RETRY_SCHEDULED") for j in jobs)

        deadline = time.monotonic() + SETTLE_S
        while not settled() and time.monotonic() < deadline:
            time.sleep(0.25)
        elapsed = time.monotonic() - t0

        jobs = {j.id: j for j in rt.jobs.list_jobs(limit=100_000)}
        attempts = rt.jobs.all_attempts()
        owned = {a.twilio_call_sid for a in attempts if a.twilio_call_sid}
        legs = list(sims.twilio.legs)
        unowned_legs = [sid for sid in legs if sid not in owned]
        per_number = Counter(leg.to for leg in sims.twilio.legs.values())
        attempts_per_number = Counter(jobs[a.job_id].phone_number for a in attempts if a.job_id in jobs)
        extra_dials = sum(max(0, n - attempts_per_number.get(num, 0)) for num, n in per_number.items())
        extra_jobs = len(jobs) - len(job_ids)
        finished = [j for j in job_ids if j in jobs and jobs[j].finished]
        # a job waiting for a retry (real minutes away: the engine's clock is not
        # the simulators') is not lost; one missing, pending or mid-call at the end is
        waiting = [j for j in job_ids if j in jobs and jobs[j].overall_status == "RETRY_SCHEDULED"
                   and jobs[j].next_retry_at]
        lost = [f"{j} {jobs[j].overall_status if j in jobs else 'missing'}" for j in job_ids
                if j not in finished and j not in waiting]
        user_turns = {t.content for t in rt.conversation.get_recent_turns(100_000) if t.role == "user"}
        turns_lost = [t for t in texts if t not in user_turns]
        told = [j for j in finished if jobs[j].main_agent_informed_user]
        told_once = [j for j in told if told_flips.get(j, 0) == 1]
        statuses = Counter(jobs[j].overall_status.value for j in finished)

        for w in rt.workers:
            w.stop()
        for t in threads:
            t.join(10)
        rt.close()
        sims.stop()

    print(f"  {args.jobs} jobs, {len(texts)} typed requests, {fired['dropped socket']} socket drops, "
          f"{sum(fired.values()) - fired['dropped socket']} other faults over {chaos_s:.0f} s; "
          f"settled after {elapsed:.0f} s (sim speed {SPEED:g})")
    print("  faults fired: " + ", ".join(f"{k} {v}" for k, v in sorted(fired.items())))
    print("  requests made: " + ", ".join(f"{k} {v}" for k, v in sorted(requests.items()))
          + f" (total {sum(requests.values())})")
    print(f"  calls placed: {len(legs)} (attempts {len(attempts)}; outcomes {dict(statuses)})")
    print(f"  duplicates: {extra_dials + max(0, extra_jobs)} (calls beyond attempts {extra_dials}, "
          f"extra jobs {max(0, extra_jobs)})   target 0")
    print(f"  attempts with a placed call but no Twilio SID: {len(unowned_legs)}   target 0"
          + (f"  {unowned_legs[:5]}" if unowned_legs else ""))
    print(f"  jobs lost: {len(lost)} of {args.jobs}   target 0" + (f"  {lost[:10]}" if lost else "")
          + f"   (finished {len(finished)}, waiting for a scheduled retry {len(waiting)})")
    print(f"  turns lost: {len(turns_lost)} of {len(texts)}   target 0" + (f"  {turns_lost[:3]}" if turns_lost else ""))
    print(f"  outcomes told: {len(told)} of {len(finished)}, told once {len(told_once)}   target all, once")
    if worker_errors:
        print(f"  worker errors: {worker_errors}")
    bad = extra_dials or extra_jobs > 0 or lost or turns_lost or worker_errors or unowned_legs
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
