"""Every binding and modal path, driven with the pilot."""
from __future__ import annotations

import threading

import pytest
from textual.widgets import Input, Label, Select

from core import events as ev
from tests.tui.conftest import SIZE, app_for, console, finish_job, wait_for, wait_for_notice
from tui.screens.schedule import ScheduleCallScreen
from tui.widgets.badges import Badge, UpdateBadges
from tui.widgets.jobs_table import JobTable

pytestmark = pytest.mark.asyncio


def connect(rt) -> None:
    rt.bus.publish(ev.ConnectionStatus(status="connected", message="Connected"))


def cell(app, job_id: int, column: str) -> str:
    return str(app.main_screen.query_one(JobTable).get_cell(str(job_id), column))


async def test_q_quits_cleanly(runtime):
    async with console(runtime) as (app, pilot):
        await pilot.press("q")
        await wait_for(pilot, lambda: app.return_code is not None)
    assert app.return_code == 0


async def test_ctrl_c_quits_even_from_the_input(runtime):
    async with console(runtime) as (app, pilot):
        await pilot.press("i", "h", "ctrl+c")
        await wait_for(pilot, lambda: app.return_code is not None)
    assert app.return_code == 0


class BlockingWorker:
    """A domain worker by the architecture's contract: run() blocks until stop()."""

    def __init__(self, name: str, fail: bool = False) -> None:
        self.name = name
        self.fail = fail
        self._stop = threading.Event()
        self.started = threading.Event()
        self.returned = threading.Event()

    def run(self) -> None:
        self.started.set()
        if self.fail:
            raise RuntimeError("socket exploded")
        self._stop.wait()
        self.returned.set()

    def stop(self) -> None:
        self._stop.set()


async def test_quit_stops_and_waits_for_workers(runtime):
    worker = BlockingWorker("voice")
    runtime.workers = [worker]
    seen = []
    runtime.bus.subscribe(lambda e: seen.append(e) if isinstance(e, ev.WorkerState) else None)
    async with console(runtime, start_workers=True) as (app, pilot):
        await wait_for(pilot, worker.started.is_set)
        await pilot.press("q")
        await wait_for(pilot, lambda: app.return_code is not None)
        assert worker.returned.is_set()  # quit waited for run() to return
    assert [e.state for e in seen] == ["running", "stopped"]


async def test_a_dead_worker_is_shown_not_swallowed(runtime):
    runtime.workers = [BlockingWorker("engine", fail=True)]
    seen = []
    runtime.bus.subscribe(lambda e: seen.append(e) if isinstance(e, ev.WorkerState) else None)
    async with console(runtime, start_workers=True) as (app, pilot):
        await wait_for(pilot, lambda: any(e.state == "error" for e in seen))
        await wait_for_notice(pilot, app, "socket exploded")
    error = next(e for e in seen if e.state == "error")
    assert error.name == "engine" and "RuntimeError: socket exploded" in error.error


# --- the schedule form ----------------------------------------------------

async def open_form(pilot, app) -> ScheduleCallScreen:
    await pilot.press("n")
    return await wait_for(pilot, lambda: app.screen if isinstance(app.screen, ScheduleCallScreen) else None)


async def test_schedule_a_contact(runtime):
    async with console(runtime) as (app, pilot):
        form = await open_form(pilot, app)
        form.query_one("#schedule-contact", Select).value = "Akhil"
        form.query_one("#schedule-objective", Input).value = "Ask about the invoice"
        await pilot.click("#schedule-ok")
        await wait_for(pilot, lambda: not isinstance(app.screen, ScheduleCallScreen))
        jobs = runtime.jobs.list_jobs()
        assert [(j.contact_name, j.phone_number) for j in jobs] == [("Akhil", "+12025550101")]
        await wait_for(pilot, lambda: cell(app, jobs[0].id, "contact") == "Akhil")


async def test_schedule_a_number_by_typing_enter(runtime):
    async with console(runtime) as (app, pilot):
        form = await open_form(pilot, app)
        form.query_one("#schedule-name", Input).value = "Zoe"
        form.query_one("#schedule-phone", Input).value = "+14155550199"
        objective = form.query_one("#schedule-objective", Input)
        objective.focus()
        objective.value = "Confirm the delivery"
        await pilot.press("enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, ScheduleCallScreen))
    assert runtime.jobs.list_jobs()[0].phone_number == "+14155550199"


@pytest.mark.parametrize("name,phone,objective,message", [
    ("", "", "Ask", "Choose a contact or enter a phone number."),
    ("Akhil", "", "", "objective is empty"),
    ("Zoe", "12", "Ask", "phone number"),
])
async def test_schedule_invalid_shows_the_reason(runtime, name, phone, objective, message):
    async with console(runtime) as (app, pilot):
        form = await open_form(pilot, app)
        form.query_one("#schedule-name", Input).value = name
        form.query_one("#schedule-phone", Input).value = phone
        form.query_one("#schedule-objective", Input).value = objective
        await pilot.click("#schedule-ok")
        await pilot.pause()
        assert isinstance(app.screen, ScheduleCallScreen)
        assert message in str(form.query_one("#schedule-error", Label).content)
    assert runtime.jobs.list_jobs() == []


@pytest.mark.parametrize("how", ["escape", "button"])
async def test_schedule_cancel(runtime, how):
    async with console(runtime) as (app, pilot):
        await open_form(pilot, app)
        if how == "escape":
            await pilot.press("escape")
        else:
            await pilot.click("#schedule-cancel")
        await wait_for(pilot, lambda: not isinstance(app.screen, ScheduleCallScreen))
    assert runtime.jobs.list_jobs() == []


# --- badges -----------------------------------------------------------------

async def test_badge_shows_when_connected_and_dismiss_focused(runtime):
    a = runtime.jobs.create_job("+12025550101", "Akhil", "invoice", max_retries=3)
    b = runtime.jobs.create_job("+12025550102", "Priya", "budget", max_retries=3)
    async with console(runtime) as (app, pilot):
        badges = app.main_screen.query_one(UpdateBadges)
        finish_job(runtime, a.id)
        finish_job(runtime, b.id)
        await pilot.pause()
        assert badges.job_ids == []  # not connected: no badges
        connect(runtime)
        await wait_for(pilot, lambda: badges.job_ids == [a.id, b.id])
        badges.badge_for(b.id).focus()
        await pilot.press("d")
        await wait_for(pilot, lambda: badges.job_ids == [a.id])
    assert runtime.jobs.get_job(b.id).update_dismissed is True


async def test_dismiss_first_then_all_and_disconnect_clears(runtime):
    ids = [runtime.jobs.create_job("+12025550101", "Akhil", f"x{i}", max_retries=3).id for i in range(3)]
    async with console(runtime) as (app, pilot):
        badges = app.main_screen.query_one(UpdateBadges)
        connect(runtime)
        for job_id in ids:
            finish_job(runtime, job_id)
        await wait_for(pilot, lambda: badges.job_ids == ids)
        runtime.bus.publish(ev.ConnectionStatus(status="disconnected", message="gone"))
        await wait_for(pilot, lambda: badges.job_ids == [])
        connect(runtime)
        await wait_for(pilot, lambda: badges.job_ids == ids)
        await pilot.press("d")  # nothing focused: the first one
        await wait_for(pilot, lambda: badges.job_ids == ids[1:])
        await pilot.press("D")
        await wait_for(pilot, lambda: badges.job_ids == [])


async def test_badge_goes_when_the_assistant_has_told_the_user(runtime):
    job = runtime.jobs.create_job("+12025550101", "Akhil", "invoice", max_retries=3)
    async with console(runtime) as (app, pilot):
        badges = app.main_screen.query_one(UpdateBadges)
        connect(runtime)
        finish_job(runtime, job.id)
        await wait_for(pilot, lambda: badges.job_ids == [job.id])
        runtime.jobs.mark_informed([job.id])
        await wait_for(pilot, lambda: badges.job_ids == [])


async def test_outside_update_badge(runtime):
    async with console(runtime) as (app, pilot):
        badges = app.main_screen.query_one(UpdateBadges)
        runtime.bus.publish(ev.NewCallUpdateAvailable(contact_name="Ops desk", status_summary="ok"))
        await wait_for(pilot, lambda: len(badges.job_ids) == 1)
        assert "Ops desk: ok" in str(badges.query_one(Badge).content)
        await pilot.press("d")
        await wait_for(pilot, lambda: badges.job_ids == [])
