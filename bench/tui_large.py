"""Console figures with 100,000 jobs in the database (one campaign), run by
bench_tui.py in a process of its own so its memory is its own:

- start-up: the runtime built on that database and the main screen showing
  its newest JOB_ROWS jobs; target < 1.5 s;
- the campaign's page: from the key to its first page of jobs drawn;
- scrolling the campaign's job table (down, page down, end, home) and
  typing a search, per key: the UI thread's work (the key's action and the
  table's lines drawn; reads go to a thread) — target p99 <= 10 ms — and,
  for search and scrolling to rows not read yet, the time until the rows
  are on screen;
- filtering the main table (5,000 rows) per key typed; target p99 <= 10 ms;
- RSS at the end; target <= 200 MB.

Run: .venv/bin/python bench/bench_tui.py (or python -m bench.tui_large alone)."""
from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from textual.geometry import Region

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.stats import pct  # noqa: E402

SIZE = (160, 45)
JOBS = 100_000
STATUSES = ["COMPLETED_SUCCESS", "FAILED_MAX_RETRIES", "DECLINED", "RETRY_SCHEDULED", "PENDING", "PENDING",
            "PENDING", "PENDING", "FAILED_ERROR", "EXPIRED"]
NAMES = ["Akhil", "Priya", "Marco", "Dana", "Chen", "Olu", "Sofia", "Ravi", "Mina", "Tom", "Lea", "Yuki"]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def fill(folder: Path) -> None:
    """The database: a campaign of JOBS callees in every state."""
    from core import config
    from core.clock import FixedClock
    from core.runtime import Runtime
    from store.db import transaction

    rt = Runtime.build(load_config(folder, config), clock=FixedClock(), with_workers=False)
    try:
        rows = ({"phone_number": f"+1202{i:07d}", "contact_name": f"{NAMES[i % 12]} {i}",
                 "objective": f"Remind {NAMES[i % 12]} {i} that invoice INV-{i} is overdue", "timezone": None}
                for i in range(JOBS))
        t0 = time.perf_counter()
        campaign, added = rt.jobs.import_campaign({"name": "December invoices", "max_retries": 2,
                                                   "objective_template": "Remind {name} that invoice {invoice} is overdue"},
                                                  rows)
        case = " ".join(f"WHEN {i} THEN '{s}'" for i, s in enumerate(STATUSES))
        with transaction(rt.jobs.db) as conn:
            conn.execute(sa.text(f"UPDATE scheduled_calls SET overall_status = CASE id % {len(STATUSES)} {case} END,"
                                 " cost_estimate_usd = 0.21 WHERE campaign_id = :c"), {"c": campaign.id})
        print(f"database: {added:,} campaign jobs imported and set in {time.perf_counter() - t0:.1f} s")
    finally:
        rt.close()


def load_config(folder: Path, config):
    shutil.copy(ROOT / "tests" / "tui" / "config.toml", folder / "config.toml")
    (folder / "data").mkdir(exist_ok=True)
    env = {n: "bench" for n in config.LIVE_REQUIRED} | {"TWILIO_FROM_NUMBER": "+14155550123"}
    return config.load(folder / "config.toml", env=env, mode="live")


async def until(pilot, cond, timeout: float = 30.0) -> float:
    """Seconds until ``cond()`` holds, checked every millisecond."""
    t0 = time.perf_counter()
    while not cond():
        if time.perf_counter() - t0 > timeout:
            raise TimeoutError(f"not within {timeout}s: {cond}")
        await asyncio.sleep(0.001)
    return time.perf_counter() - t0


def stats(name: str, values: list[float], target: str) -> None:
    print(f"{name}: n={len(values)} p50={statistics.median(values):.2f} ms p99={pct(values, 0.99):.2f} ms "
          f"max={max(values):.2f} ms ({target})")


async def operator_reads() -> None:
    """A pause between keys long enough for the console's quiet-moment collection."""
    from tui.quiet_gc import QUIET_S, TICK_S

    await asyncio.sleep(QUIET_S + 2 * TICK_S)


async def main() -> None:
    from core import config
    from core.clock import FixedClock
    from core.runtime import Runtime

    folder = Path(tempfile.mkdtemp(prefix="bench_tui_large_"))
    try:
        fill(folder)
        t0 = time.perf_counter()
        rt = Runtime.build(load_config(folder, config), clock=FixedClock(), with_workers=False)
        await measure(rt, t0)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


async def measure(rt, t0: float) -> None:
    from tui.app import SwitchboardApp
    from tui.screens.campaign import CampaignScreen
    from tui.screens.campaigns import CampaignsScreen
    from tui.widgets.campaign_jobs import PagedJobTable
    from tui.widgets.jobs_table import JobTable

    app = SwitchboardApp(rt, start_workers=False)
    app.animation_level = "none"
    try:
        async with app.run_test(size=SIZE) as pilot:
            table = app.main_screen.query_one(JobTable)
            await until(pilot, lambda: table.row_count > 0)
            await pilot.pause()
            print(f"start-up with {JOBS:,} jobs in the database: {time.perf_counter() - t0:.2f} s to the main "
                  f"screen with its newest {table.row_count:,} jobs (target < 1.5 s)")

            # the main table's filter, a key at a time (set_view is what each key does)
            region = Region(0, 0, *table.outer_size)  # all of it, as the compositor asks when nothing covers it
            keys = []
            for word in ("priya 1", "overdue", "retry", "+1202000", "olu 9", "declined", "inv-99"):
                for n in range(len(word) + 1):
                    app.quiet_gc.heard()  # as a key typed would
                    k0 = time.perf_counter()
                    table.set_view(filter_text=word[:n])
                    table.render_lines(region)
                    keys.append((time.perf_counter() - k0) * 1000)
                await pilot.pause()
            table.set_view(filter_text="")
            stats(f"main table filter per key ({len(table.jobs):,} rows)", keys, "target p99 <= 10 ms")
            await operator_reads()

            await pilot.press("escape")
            k0 = time.perf_counter()
            await pilot.press("C")
            await until(pilot, lambda: isinstance(app.screen, CampaignsScreen) and app.screen.loaded)
            await pilot.press("o")
            await until(pilot, lambda: isinstance(app.screen, CampaignScreen))
            page = app.screen.query_one(PagedJobTable)
            await until(pilot, lambda: page.total == JOBS and page.selected_job() is not None)
            await pilot.pause()
            print(f"campaign page: C, o to its first jobs drawn: {(time.perf_counter() - k0) * 1000:.0f} ms "
                  f"({page.total:,} jobs)")

            region = Region(0, 0, *page.outer_size)
            ui, ready = [], []
            for step, key in [(1, "down")] * 300 + [(1, "page")] * 300 + [(0, "end"), (0, "home")] * 10:
                app.quiet_gc.heard()
                k0 = time.perf_counter()
                if key == "down":
                    page.action_cursor(step)
                elif key == "page":
                    page.action_page(step)
                else:
                    page.action_cursor_to(-1 if key == "end" else 0)
                page.render_lines(region)
                ui.append((time.perf_counter() - k0) * 1000)
                if page.selected_job() is None:  # its page is being read
                    await until(pilot, lambda: page.selected_job() is not None)
                    ready.append((time.perf_counter() - k0) * 1000)
                elif len(ui) % 20 == 0:
                    await pilot.pause()
            stats("campaign table, a scroll key's UI work (down, page down, end, home)", ui, "target p99 <= 10 ms")
            stats(f"  rows not read yet, until drawn ({len(ready)} of {len(ui)} keys)", ready, "a page read")
            await operator_reads()

            screen = app.screen
            ui, ready = [], []
            for word in ("priya 1", "+12020004", "olu 99", "yuki 5", "mina 12"):
                for n in range(1, len(word) + 1):
                    app.quiet_gc.heard()
                    k0 = time.perf_counter()
                    screen.requery(screen.query_with(search=word[:n]))
                    page.render_lines(region)
                    ui.append((time.perf_counter() - k0) * 1000)
                    generation = page.generation
                    await until(pilot, lambda: page.generation == generation and page.total is not None
                                and (page.total == 0 or page.selected_job() is not None))
                    ready.append((time.perf_counter() - k0) * 1000)
            stats("campaign search, a key's UI work", ui, "target p99 <= 10 ms")
            stats("  until its count and first rows are drawn", ready, "reads on a thread")
            await operator_reads()
            pauses = app.quiet_gc.pauses_ms
            if pauses:
                stats("full garbage collections, each at a quiet moment (none inside a key)", pauses,
                      "the wait of a key typed just then")
            print(f"RSS with {JOBS:,} jobs in the database after all that: {rss_mb():.0f} MB (target <= 200 MB)")
            await pilot.press("q")
    finally:
        rt.close()


if __name__ == "__main__":
    os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")
    asyncio.run(main())
