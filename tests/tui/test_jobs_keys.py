"""Job-table bindings, the detail screen, help, the palette and remapping."""
from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Static

from core import events as ev
from tests.tui.conftest import wait_for_notice, console, SIZE, app_for, plain, wait_for
from tui.screens.help import HelpScreen
from tui.screens.job_detail import JobDetailScreen
from tui.screens.schedule import ScheduleCallScreen
from tui.widgets.jobs_table import JobTable

pytestmark = pytest.mark.asyncio


def cell(app, job_id: int, column: str) -> str:
    return str(app.main_screen.query_one(JobTable).get_cell(str(job_id), column))


async def test_cancel_the_selected_job(runtime):
    job = runtime.jobs.create_job("+12025550101", "Akhil", "invoice", max_retries=3)
    async with console(runtime) as (app, pilot):
        await pilot.press("c")
        await wait_for(pilot, lambda: cell(app, job.id, "status") == "CANCELLED")
        await pilot.press("c")  # already finished: told, not crashed
        await wait_for_notice(pilot, app, "nothing to cancel")


async def test_retry_now(runtime):
    job = runtime.jobs.create_job("+12025550101", "Akhil", "invoice", max_retries=3)
    runtime.jobs.update_job(job.id, overall_status="RETRY_SCHEDULED", next_retry_at="2026-01-05T11:00:00.000Z")
    runtime.state.load()
    async with console(runtime) as (app, pilot):
        assert cell(app, job.id, "next_retry") == "11:00:00"
        runtime.clock.advance(5)
        await pilot.press("r")
        await wait_for(pilot, lambda: cell(app, job.id, "next_retry") == "10:00:05")


async def test_job_detail_by_key_and_enter_with_live_transcript(runtime):
    job = runtime.jobs.create_job("+12025550101", "Akhil", "invoice", max_retries=3)
    attempt = runtime.jobs.start_attempt(job.id, 1, "invoice", "engine-1")
    runtime.jobs.update_attempt(attempt.id, ended_at=runtime.clock.now_iso(), end_reason="hangup",
                                twilio_status="completed", attempt_outcome="SUCCESS",
                                strategist_reasoning_for_attempt="They agreed to pay.",
                                transcript=[{"role": "agent", "text": "Hi Akhil"}, {"role": "user", "text": "Hello"}])
    async with console(runtime) as (app, pilot):
        for key in ("o", "enter"):
            app.main_screen.query_one(JobTable).focus()
            await pilot.press(key)
            screen = await wait_for(pilot, lambda: app.screen if isinstance(app.screen, JobDetailScreen) else None)
            text = plain(screen.query_one("#detail-attempts", Static))
            for expected in ("Attempt 1", "hangup", "completed", "They agreed to pay.", "Hi Akhil", "Callee: Hello"):
                assert expected in text
            runtime.bus.publish(ev.CallTranscriptProgress(job_id=job.id, attempt_id=attempt.id,
                                                          messages=[{"role": "agent", "text": "Still there?"}]))
            await wait_for(pilot, lambda: "Still there?" in plain(screen.query_one("#detail-live", Static)))
            await pilot.press("escape")
            await wait_for(pilot, lambda: not isinstance(app.screen, JobDetailScreen))


async def test_help_opens_and_closes(runtime):
    runtime.mirror_link = "http://127.0.0.1:8765/?token=[abc]"
    async with console(runtime) as (app, pilot):
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        link = app.screen.query_one("#help-mirror")
        assert "http://127.0.0.1:8765/?token=[abc]" in str(link.render())
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, HelpScreen))


async def test_keys_are_remappable_from_config(make_runtime):
    rt = make_runtime(keys={"schedule_call": "g"})
    async with console(rt) as (app, pilot):
        await pilot.press("n")
        await pilot.pause()
        assert not isinstance(app.screen, ScheduleCallScreen)
        await pilot.press("g")
        await wait_for(pilot, lambda: isinstance(app.screen, ScheduleCallScreen))


async def test_unknown_binding_id_in_config_is_reported(make_runtime):
    async with console(make_runtime(keys={"no_such_binding": "z"})) as (app, pilot):
        await wait_for_notice(pilot, app, "no_such_binding")


@pytest.mark.parametrize("query,screen", [("Schedule a call", ScheduleCallScreen), ("Help: keys", HelpScreen)])
async def test_command_palette(runtime, query, screen):
    async with console(runtime) as (app, pilot):
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*query)
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, screen))


async def test_palette_offers_every_binding(runtime):
    from textual.command import CommandList, CommandPalette

    from tui.bindings import APP_BINDINGS, MAIN_BINDINGS

    async with console(runtime) as (app, pilot):
        await pilot.press("ctrl+p")
        palette = await wait_for(pilot, lambda: app.screen if isinstance(app.screen, CommandPalette) else None)
        commands = palette.query_one(CommandList)
        await wait_for(pilot, lambda: commands.option_count > len(MAIN_BINDINGS))
        listed = " | ".join(str(commands.get_option_at_index(i).prompt) for i in range(commands.option_count))
        missing = [b.tooltip for b in MAIN_BINDINGS + APP_BINDINGS if str(b.tooltip) not in listed]
        assert missing == []


async def test_job_table_cursor_keys_and_click(make_runtime):
    from tests.tui.conftest import bulk_jobs

    rt = make_runtime(setup=lambda rt: bulk_jobs(rt, 300))
    async with console(rt) as (app, pilot):
        table = app.main_screen.query_one(JobTable)
        assert table.row_count == 300 and table.selected_job_id() == 300  # newest first
        await pilot.press("down", "down")
        assert table.selected_job_id() == 298
        await pilot.press("end")
        await wait_for(pilot, lambda: table.selected_job_id() == 1 and table.scroll_offset.y > 0)
        await pilot.press("pageup", "home")
        await wait_for(pilot, lambda: table.selected_job_id() == 300 and table.scroll_offset.y == 0)
        await pilot.click(JobTable, offset=(5, 4))  # border, header, then rows 300, 299, 298
        await wait_for(pilot, lambda: table.selected_job_id() == 298)
        new = rt.jobs.create_job("+12025550101", "Akhil", "new one", max_retries=3)
        await wait_for(pilot, lambda: table.order[0] == new.id)
        assert table.selected_job_id() == 298  # the cursor stays on its job
        rt.jobs.update_job(3, overall_status="CANCELLED")
        await wait_for(pilot, lambda: table.get_cell(3, "status") == "CANCELLED")


async def test_every_binding_id_is_documented():
    from tui.bindings import all_binding_ids

    docs = (Path(__file__).parents[2] / "docs" / "interfaces.md").read_text()
    assert [i for i in sorted(all_binding_ids()) if f"`{i}`" not in docs] == []
