"""The main job table's filter, typed a key at a time: a key that only
narrows the filter looks at the rows shown, a key that widens it (or a new
order) looks at every job again, and both show exactly the jobs a filter
typed at once shows, in order, the cursor staying on its job."""
from __future__ import annotations

import random
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

import pytest

from core.records import JobStatus
from tests.tui.conftest import SIZE, app_for, bulk_jobs, wait_for
from tui.widgets.cursor_table import LINES_KEPT
from tui.widgets.jobs_table import SORTS, JobTable, haystack

pytestmark = pytest.mark.asyncio


def expected(table: JobTable, text: str, sort: str) -> list[int]:
    words = text.casefold().split()
    shown = [job for job in table.jobs.values() if all(w in haystack(job) for w in words)]
    return [job.id for job in sorted(shown, key=lambda j: (SORTS[sort][1](j), -j.id))]


@asynccontextmanager
async def table_of(runtime: Any, jobs: int) -> AsyncIterator[tuple[JobTable, Any]]:
    """The main job table of a console on ``jobs`` jobs, and its pilot."""
    bulk_jobs(runtime, jobs)
    runtime.state.load()
    app = app_for(runtime)
    async with app.run_test(size=SIZE) as pilot:
        table = app.main_screen.query_one(JobTable)
        await wait_for(pilot, lambda: table.row_count == jobs)
        yield table, pilot


async def test_typing_backspacing_and_sorting_show_what_a_filter_typed_at_once_shows(runtime):
    async with table_of(runtime, 600) as (table, pilot):
        rng = random.Random(7)
        text, sort = "", "newest"
        for step in range(400):
            move = rng.random()
            if move < 0.55:
                text += rng.choice("contact objective number pending 1234567890 ")
            elif move < 0.85:
                text = text[:-rng.randint(1, 3)]
            elif move < 0.95:
                sort = rng.choice(list(SORTS))
            else:
                text = rng.choice(["", "contact 1", "retry", "objective number 5 "])
            selected = table.selected_job_id()
            table.set_view(filter_text=text, sort=sort)
            assert table.order == expected(table, text, sort), (step, text, sort)
            assert table.position == {job_id: i for i, job_id in enumerate(table.order)}
            if selected in table.order:
                assert table.selected_job_id() == selected  # the cursor stays on its job
            if step % 50 == 0:
                await pilot.pause()


async def test_a_job_changing_under_a_narrowed_filter_comes_and_goes(runtime):
    async with table_of(runtime, 50) as (table, pilot):
        for n in range(1, len("pending") + 1):
            table.set_view(filter_text="pending"[:n])
        pending = [job for job in table.jobs.values() if job.overall_status == JobStatus.PENDING]
        assert table.order == expected(table, "pending", "newest")
        job = pending[0]
        runtime.jobs.update_job(job.id, overall_status="COMPLETED_SUCCESS")
        await wait_for(pilot, lambda: job.id not in table.order)
        table.set_view(filter_text="pending c")  # narrower again: the finished job stays out
        assert job.id not in table.order and table.order == expected(table, "pending c", "newest")
        runtime.jobs.update_job(job.id, overall_status="PENDING")
        await wait_for(pilot, lambda: job.id in table.order)
        assert table.order == expected(table, "pending c", "newest")


async def test_lines_drawn_are_kept_for_a_few_screens_not_for_every_job(runtime):
    async with table_of(runtime, LINES_KEPT + 600) as (table, pilot):
        table.focus()
        for _ in range((LINES_KEPT + 600) // 30):
            await pilot.press("pagedown")
        await pilot.pause()
        assert table.cursor_row == table.row_count - 1
        assert 0 < len(table.drawn) <= LINES_KEPT
