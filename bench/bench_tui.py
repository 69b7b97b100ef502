"""Console figures (printed, not asserted):

- event-to-screen latency at 1,000 events/s: from bus.publish on another
  thread to the widget updated by the typed message's handler on the UI
  thread (p50/p99);
  target p99 < 10 ms;
- one job-row change with 5,000 jobs in the table: JobTable.upsert, and
  upsert plus the next screen update; target <= 5 ms;
- RSS after 10,000 transcript turns and 5,000 jobs; target <= 150 MB;
- then, in a process of its own, 100,000 jobs in the database
  (bench/tui_large.py): start-up < 1.5 s, a key's work scrolling and
  searching a campaign's jobs and filtering the main table p99 <= 10 ms,
  RSS <= 200 MB.

Run: .venv/bin/python bench/bench_tui.py
"""
from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from textual.geometry import Region

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.stats import pct  # noqa: E402

SIZE = (160, 45)
JOBS = 5000
TURNS = 10_000
RATE = 1000  # events/s
SECONDS = 3
BENCH_STAMP = "bench-"


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def build_runtime(folder: Path):
    from core import config
    from core.clock import FixedClock
    from core.runtime import Runtime

    shutil.copy(ROOT / "tests" / "tui" / "config.toml", folder / "config.toml")
    (folder / "data").mkdir()
    env = {n: "bench" for n in config.LIVE_REQUIRED} | {"TWILIO_FROM_NUMBER": "+14155550123"}
    cfg = config.load(folder / "config.toml", env=env, mode="live")
    rt = Runtime.build(cfg, clock=FixedClock(), with_workers=False)
    insert_jobs(rt, JOBS)
    rt.state.load()
    return rt


def insert_jobs(rt, n: int) -> None:
    rt.jobs.create_jobs({"phone_number": f"+1202555{i % 10000:04d}", "contact_name": f"Contact {i}",
                         "objective": f"Objective {i}", "main_agent_informed_user": True} for i in range(n))


async def main() -> None:
    from core import events as ev
    from tui.app import SwitchboardApp
    from tui import messages as msg
    from tui.widgets.jobs_table import JobTable

    sent: dict[int, float] = {}
    handled: dict[int, float] = {}

    class TimedApp(SwitchboardApp):
        def on_job_changed(self, message: msg.JobChanged) -> None:
            self._to_screens(message)
            stamp = message.job.updated_at  # the bench's own changes carry their number there
            if stamp.startswith(BENCH_STAMP):
                handled[int(stamp.removeprefix(BENCH_STAMP))] = time.perf_counter()

        def on_conversation_changed(self, message: msg.ConversationChanged) -> None:
            self._to_screens(message)
            event = message.event
            if isinstance(event, ev.TranscriptDelta):
                handled[int(event.item_id)] = time.perf_counter()

    folder = Path(tempfile.mkdtemp(prefix="bench_tui_"))
    rt = build_runtime(folder)
    jobs = rt.jobs.list_jobs(limit=JOBS)
    app = TimedApp(rt, start_workers=False)
    app.animation_level = "none"
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            table = app.main_screen.query_one(JobTable)
            print(f"job table rows: {table.row_count}")

            # 1. latency at RATE events/s: job-row changes and transcript deltas, alternating
            def publish() -> None:
                start = time.perf_counter()
                for seq in range(RATE * SECONDS):
                    due = start + seq / RATE
                    while (now := time.perf_counter()) < due:
                        time.sleep(max(0.0, due - now - 0.0005))
                    sent[seq] = time.perf_counter()
                    if seq % 2:
                        job = jobs[seq % len(jobs)].replace(
                            overall_status="PROCESSING" if seq % 4 == 1 else "PENDING", updated_at=f"{BENCH_STAMP}{seq}")
                        rt.bus.publish(ev.CallJobUpdated(job=job))
                    else:
                        rt.bus.publish(ev.TranscriptDelta(session_id="bench", item_id=str(seq), delta="word "))

            thread = threading.Thread(target=publish, name="bench-publisher")
            thread.start()
            while thread.is_alive() or len(handled) < len(sent):
                await asyncio.sleep(0.05)
                if not thread.is_alive() and time.perf_counter() - max(sent.values()) > 10:
                    break
            thread.join()
            lat = [(handled[s] - sent[s]) * 1000 for s in sent if s in handled]
            if os.environ.get("BENCH_DEBUG"):
                print("slow events (seq, ms):", [(s, round((handled[s] - sent[s]) * 1000)) for s in sorted(sent) if s in handled and handled[s] - sent[s] > 0.02][:20])
            print(f"event-to-screen at {RATE}/s over {SECONDS}s: n={len(lat)} "
                  f"p50={statistics.median(lat):.2f} ms p99={pct(lat, 0.99):.2f} ms max={max(lat):.2f} ms "
                  f"(target p99 < 10 ms)")

            # 2. one row change with 5,000 jobs: the store's event applied, then the
            # table's lines rendered as the compositor asks for them
            region = Region(0, 0, *table.outer_size)  # all of it, as the compositor asks when nothing covers it
            upserts, repaints = [], []
            for i in range(500):
                job = jobs[(i * 37) % len(jobs)].replace(overall_status=("RETRY_SCHEDULED", "PENDING")[i % 2])
                t0 = time.perf_counter()
                table.upsert(job)
                t1 = time.perf_counter()
                table.render_lines(region)
                t2 = time.perf_counter()
                upserts.append((t1 - t0) * 1000)
                repaints.append((t2 - t0) * 1000)
                if i % 50 == 0:
                    await pilot.pause()
            print(f"one row change, {table.row_count} rows: upsert p50={statistics.median(upserts):.3f} ms "
                  f"p99={pct(upserts, 0.99):.3f} ms; upsert+table repaint p50={statistics.median(repaints):.3f} ms "
                  f"p99={pct(repaints, 0.99):.3f} ms (target <= 5 ms)")

            # 3. memory after 10k turns (through the bus, as the voice worker sends them) and 5k jobs
            for i in range(TURNS):
                rt.bus.publish(ev.TranscriptTurn(role="user" if i % 2 else "assistant",
                                                 text=f"turn {i}: " + "lorem ipsum " * 8, session_id="bench"))
                if i % 500 == 0:
                    await pilot.pause()
            await pilot.pause()
            print(f"RSS after {TURNS} turns and {table.row_count} jobs: {rss_mb():.0f} MB (target <= 150 MB)")
            await pilot.press("q")
    finally:
        rt.close()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")
    asyncio.run(main())
    print("\n100,000 jobs in the database:", flush=True)
    sys.exit(subprocess.run([sys.executable, str(ROOT / "bench" / "tui_large.py")], cwd=ROOT).returncode)
