"""The do-not-call list in the console: by key and by palette, the table's
entries and the config's, lifting one (asked twice), and the job detail's
true record of each attempt."""
from __future__ import annotations

import pytest
from textual.widgets import DataTable, Static

from tests.tui.conftest import SIZE, app_for, plain, wait_for, wait_for_notice
from tui.screens.do_not_call import DoNotCallScreen
from tui.screens.job_detail import JobDetailScreen


LEE = "+12025550106"


def listed(rt):
    job = rt.jobs.create_job(LEE, "Lee", "the supplier contract", max_retries=3)
    rt.jobs.add_do_not_call(LEE, "Lee asked not to be called again (\"Please don't call again.\")",
                            added_by="the strategist (llm)", job_id=job.id)


def rows(screen) -> list[list[str]]:
    table = screen.query_one(DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


@pytest.mark.asyncio
async def test_list_and_lift_a_do_not_call_entry(make_runtime):
    rt = make_runtime(setup=listed, calling={"do_not_call": ["202-555-0105"]})
    app = app_for(rt)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("escape", "b")
        screen = await wait_for(pilot, lambda: app.screen if isinstance(app.screen, DoNotCallScreen) else None)
        await wait_for(pilot, lambda: len(rows(screen)) == 2)
        lee, config_entry = rows(screen)
        assert lee[0] == LEE and "asked not to be called again" in lee[1] and lee[2] == "1"
        assert lee[4] == "the strategist (llm)"
        assert config_entry[0] == "+12025550105" and config_entry[4] == "config"

        await pilot.press("down", "x")  # the config's entry: lifted only in the config
        await wait_for_notice(pilot, app, "calling.do_not_call in config.toml")
        await pilot.press("up", "x")  # first press only asks
        await wait_for_notice(pilot, app, "Press x again to confirm")
        assert rt.jobs.do_not_call_entry(LEE) is not None
        await pilot.press("x")
        await wait_for(pilot, lambda: rt.jobs.do_not_call_entry(LEE) is None)
        await wait_for(pilot, lambda: [r[0] for r in rows(screen)] == ["+12025550105"])
        await wait_for_notice(pilot, app, "may be called again")

        # a number listed while the screen is open appears in it
        rt.jobs.add_do_not_call("+12025550104", "listed by the operator", added_by="operator")
        await wait_for(pilot, lambda: [r[0] for r in rows(screen)] == ["+12025550104", "+12025550105"])
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, DoNotCallScreen))


@pytest.mark.asyncio
async def test_the_palette_opens_the_list(runtime):
    app = app_for(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("escape", "ctrl+p")
        await pilot.pause()
        await pilot.press(*"Do-not-call list")
        await pilot.pause(0.3)
        await pilot.press("enter")
        screen = await wait_for(pilot, lambda: app.screen if isinstance(app.screen, DoNotCallScreen) else None)
        await wait_for(pilot, lambda: rows(screen) and "The list is empty." in rows(screen)[0][0])


@pytest.mark.asyncio
async def test_job_detail_shows_each_attempts_final_record(runtime):
    job = runtime.jobs.create_job("+12025550105", "Sam", "the delivery", max_retries=3)
    attempt = runtime.jobs.start_attempt(job.id, 1, "the delivery", "engine-1")
    runtime.jobs.update_attempt(attempt.id, ended_at=runtime.clock.now_iso(), end_reason="answered by machine_start",
                                twilio_status="completed", answered_by="machine_start", duration_s=42.0,
                                cost_usd=0.0448, attempt_outcome="VOICEMAIL")
    runtime.jobs.update_job(job.id, overall_status="DECLINED",
                            final_summary_for_main_agent="Sam asked not to be called again.")
    runtime.state.load()
    app = app_for(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("escape", "o")
        screen = await wait_for(pilot, lambda: app.screen if isinstance(app.screen, JobDetailScreen) else None)
        text = plain(screen.query_one("#detail-attempts", Static))
        for expected in ("Twilio status: completed", "Answered by: machine_start", "Duration: 42 s",
                         "Cost: $0.0448"):
            assert expected in text
        assert "DECLINED" in plain(screen.query_one("#detail-job", Static))


@pytest.mark.parametrize("phone, message", [
    ("911", "911 is an emergency number; Switchboard never calls emergency services."),
    ("112", "112 is an emergency number"),
    ("+1 900 555 0123", "+19005550123 is a premium-rate number"),
    ("202.555.0106", "+12025550106 is on the do-not-call list since"),
])
@pytest.mark.asyncio
async def test_the_schedule_form_refuses_what_must_not_be_dialled(make_runtime, phone, message):
    from textual.widgets import Input, Label

    from tui.screens.schedule import ScheduleCallScreen

    rt = make_runtime(setup=listed)
    app = app_for(rt)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("escape", "n")
        form = await wait_for(pilot, lambda: app.screen if isinstance(app.screen, ScheduleCallScreen) else None)
        form.query_one("#schedule-name", Input).value = "Someone"
        form.query_one("#schedule-phone", Input).value = phone
        form.query_one("#schedule-objective", Input).value = "Ask a question"
        await pilot.click("#schedule-ok")
        await wait_for(pilot, lambda: message in str(form.query_one("#schedule-error", Label).content))
        assert isinstance(app.screen, ScheduleCallScreen)
    assert len(rt.jobs.list_jobs()) == 1  # only the listed job made in setup


def test_do_not_call_list_snapshot(snap_compare, make_runtime):
    rt = make_runtime(setup=listed, calling={"do_not_call": ["202-555-0105"]})

    async def open_list(pilot):
        await pilot.press("escape", "b")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, DoNotCallScreen)
                       and len(rows(pilot.app.screen)) == 2)

    assert snap_compare(app_for(rt), terminal_size=SIZE, run_before=open_list)


@pytest.mark.asyncio
async def test_the_operator_adds_a_number_in_any_form(runtime):
    from textual.widgets import Input, Label

    from tui.screens.do_not_call import AddDoNotCallScreen

    app = app_for(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("escape", "b")
        screen = await wait_for(pilot, lambda: app.screen if isinstance(app.screen, DoNotCallScreen) else None)
        await pilot.press("a")
        form = await wait_for(pilot, lambda: app.screen if isinstance(app.screen, AddDoNotCallScreen) else None)
        await pilot.pause(0.1)  # laid out before the clicks
        for phone, reason, message in (("garbage!!", "asked by email", "is not a phone number"),
                                       ("(202) 555-0104", "", "Say why")):
            form.query_one("#dnc-phone", Input).value = phone
            form.query_one("#dnc-reason", Input).value = reason
            await pilot.pause(0.1)  # the error line above may have moved the button
            await pilot.click("#dnc-ok")
            await wait_for(pilot, lambda: message in str(form.query_one("#dnc-error", Label).content))
        assert runtime.jobs.list_do_not_call() == []
        form.query_one("#dnc-reason", Input).value = "asked by email"
        await pilot.pause(0.1)
        await pilot.click("#dnc-ok")
        await wait_for(pilot, lambda: app.screen is screen)
        await wait_for(pilot, lambda: [r[0] for r in rows(screen)] == ["+12025550104"])
        assert rows(screen)[0][1] == "asked by email" and rows(screen)[0][4] == "operator"
    with pytest.raises(ValueError, match="already on the do-not-call list"):
        runtime.actions.add_do_not_call("202-555-0104", "again")
