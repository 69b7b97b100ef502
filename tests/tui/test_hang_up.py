"""`h` hangs up the selected job's live call without cancelling the job:
asked first, said when done, shown in the job detail; refused with a clear
notice when no call is live."""
from __future__ import annotations

import pytest
from textual.widgets import Static

from tests.tui.conftest import console, plain, wait_for, wait_for_notice
from tui.screens.dialogs import ConfirmScreen
from tui.screens.job_detail import JobDetailScreen

pytestmark = pytest.mark.asyncio


def _on_the_phone(rt, phone: str, name: str):
    job = rt.jobs.create_job(phone, name, "confirm the invoice", max_retries=3)
    rt.jobs.update_job(job.id, overall_status="PROCESSING", lease_owner="engine-1")
    attempt = rt.jobs.start_attempt(job.id, 1, "confirm the invoice", "engine-1")
    rt.jobs.update_attempt(attempt.id, ultravox_call_id="uv-1", twilio_call_sid="CA1", phase="DIALED")
    return job


async def test_hang_up_asks_then_flags_the_live_call_and_keeps_the_job(runtime):
    waiting = runtime.jobs.create_job("+12025550102", "Priya", "confirm the budget", max_retries=3)
    live = _on_the_phone(runtime, "+12025550101", "Akhil")  # newest first: selected
    async with console(runtime) as (app, pilot):
        await pilot.press("h")
        dialog = await wait_for(pilot, lambda: app.screen if isinstance(app.screen, ConfirmScreen) else None)
        assert "not cancelled" in dialog.question
        await pilot.press("n")  # keep the call
        await wait_for(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
        assert not runtime.jobs.get_job(live.id).hangup_requested
        await pilot.press("h", "y")
        await wait_for(pilot, lambda: runtime.jobs.get_job(live.id).hangup_requested)
        await wait_for_notice(pilot, app, "hanging up the call; the job goes on")
        after = runtime.jobs.get_job(live.id)
        assert after.overall_status == "PROCESSING" and not after.cancel_requested
        await pilot.press("o")
        screen = await wait_for(pilot, lambda: app.screen if isinstance(app.screen, JobDetailScreen) else None)
        await wait_for(pilot, lambda: "hanging up at the operator's request" in plain(screen.query_one("#detail-job", Static)))
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, JobDetailScreen))
        await pilot.press("down", "h")  # waiting, not on the phone: a notice, no question
        await wait_for_notice(pilot, app, f"Job {waiting.id} has no call in progress")
        assert not isinstance(app.screen, ConfirmScreen)


async def test_hang_up_before_the_call_is_placed_says_there_is_none(runtime):
    job = runtime.jobs.create_job("+12025550101", "Akhil", "confirm the invoice", max_retries=3)
    runtime.jobs.update_job(job.id, overall_status="PROCESSING")  # claimed, not dialled yet
    async with console(runtime) as (app, pilot):
        await pilot.press("h", "y")
        await wait_for_notice(pilot, app, f"Job {job.id} has no call in progress")
        assert not runtime.jobs.get_job(job.id).hangup_requested
