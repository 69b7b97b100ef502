"""The operator's work on the job table and the badges: filter, sort,
reschedule, edit, cancel with and without a live call, success notices,
key conflicts, and what each badge says."""
from __future__ import annotations

import pytest
from textual.widgets import Input, Static

from core import events as ev
from tests.tui.conftest import app_for, console, finish_job, notices, plain, wait_for, wait_for_notice
from tui.screens.dialogs import AskScreen, ConfirmScreen
from tui.screens.help import HelpScreen
from tui.widgets.badges import Badge, UpdateBadges
from tui.widgets.jobs_table import JobTable

pytestmark = pytest.mark.asyncio


def three_jobs(rt) -> list[dict]:
    return [rt.jobs.create_job(p, n, o, max_retries=3) for p, n, o in (
        ("+12025550101", "Akhil", "Ask about the overdue invoice"),
        ("+12025550102", "Priya", "Confirm the budget"),
        ("+12025550103", "Marco", "Book the sales review"),
    )]


def connect(rt) -> None:
    rt.bus.publish(ev.ConnectionStatus(status="connected", message="Connected"))


async def test_filter_and_sort_the_job_table(runtime):
    jobs = three_jobs(runtime)
    runtime.jobs.update_job(jobs[0].id, overall_status="PROCESSING")
    async with console(runtime) as (app, pilot):
        table = app.main_screen.query_one(JobTable)
        await pilot.press("slash", *"budget")
        await wait_for(pilot, lambda: table.order == [jobs[1].id])
        assert "1 of 3" in table.border_title and "filter: budget" in table.border_title
        await pilot.press("enter")  # keeps the filter, back to the table
        assert table.has_focus and table.order == [jobs[1].id]
        # a job that starts to match appears; one that stops matching goes
        runtime.jobs.update_job(jobs[2].id, current_call_objective_description="Budget review")
        await wait_for(pilot, lambda: jobs[2].id in table.order)
        await pilot.press("slash", "escape")  # Escape clears it
        await wait_for(pilot, lambda: len(table.order) == 3)
        await pilot.press("s")  # by status: the live call first
        await wait_for(pilot, lambda: table.order[0] == jobs[0].id)
        await wait_for_notice(pilot, app, "sorted by status")
        await pilot.press("s", "s", "s")  # by next try, by contact, then newest first again
        await wait_for(pilot, lambda: table.order == [jobs[2].id, jobs[1].id, jobs[0].id])


async def test_typing_a_slash_in_the_prompt_is_text(runtime):
    async with console(runtime) as (app, pilot):
        await pilot.press("i", *"a/b s")
        assert app.main_screen.query_one("#prompt", Input).value == "a/b s"
        assert not app.main_screen.query_one("#job-filter", Input).display


async def test_reschedule_at_a_typed_time(runtime):
    job = three_jobs(runtime)[2]  # newest: at the top, under the cursor
    async with console(runtime) as (app, pilot):
        await pilot.press("R")
        dialog = await wait_for(pilot, lambda: app.screen if isinstance(app.screen, AskScreen) else None)
        await pilot.press(*"yesterday", "enter")
        await wait_for(pilot, lambda: "Cannot read 'yesterday'" in plain(dialog.query_one("#ask-error", Static)))
        value = dialog.query_one("#ask-value", Input)
        value.value = ""
        await pilot.press(*"+30m", "enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, AskScreen))
        assert runtime.jobs.get_job(job.id).next_retry_at == "2026-01-05T10:30:00.000Z"
        await wait_for(pilot, lambda: app.main_screen.query_one(JobTable).get_cell(job.id, "next_retry") == "10:30:00")
        await wait_for_notice(pilot, app, "will be tried at 10:30:00")


async def test_edit_the_objective_before_dialling_only(runtime):
    jobs = three_jobs(runtime)
    runtime.jobs.update_job(jobs[1].id, overall_status="RETRY_SCHEDULED", retries_attempted=1)
    async with console(runtime) as (app, pilot):
        await pilot.press("E")
        dialog = await wait_for(pilot, lambda: app.screen if isinstance(app.screen, AskScreen) else None)
        value = dialog.query_one("#ask-value", Input)
        assert value.value == "Book the sales review"
        value.value = ""
        await pilot.press("enter")
        await wait_for(pilot, lambda: "empty" in plain(dialog.query_one("#ask-error", Static)))
        await pilot.press(*"Book the review for Tuesday", "enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, AskScreen))
        changed = runtime.jobs.get_job(jobs[2].id)
        assert changed.current_call_objective_description == "Book the review for Tuesday"
        await pilot.press("down", "E")  # dialled once already: refused with the reason
        await wait_for_notice(pilot, app, "dialled already")
        assert not isinstance(app.screen, AskScreen)


async def test_cancel_asks_first_for_a_live_call_and_says_what_it_did(runtime):
    jobs = three_jobs(runtime)
    runtime.jobs.update_job(jobs[2].id, overall_status="PROCESSING")
    async with console(runtime) as (app, pilot):
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")  # keep the call
        await wait_for(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
        assert not runtime.jobs.get_job(jobs[2].id).cancel_requested
        await pilot.press("c", "y")
        await wait_for(pilot, lambda: runtime.jobs.get_job(jobs[2].id).cancel_requested)
        await wait_for_notice(pilot, app, "hanging up")
        await pilot.press("down", "c")  # not live: no question, a notice
        await wait_for(pilot, lambda: runtime.jobs.get_job(jobs[1].id).overall_status == "CANCELLED")
        await wait_for_notice(pilot, app, f"Cancelled job {jobs[1].id}")
        await pilot.press("down", "r")
        await wait_for_notice(pilot, app, f"Job {jobs[0].id} will be dialled now")


async def test_badges_say_the_outcome_in_its_colour_and_skip_a_cancel_someone_asked_for(runtime):
    connect(runtime)
    jobs = three_jobs(runtime)
    finish_job(runtime, jobs[0].id, summary="Akhil will pay on Friday.")
    finish_job(runtime, jobs[1].id, status="FAILED_MAX_RETRIES", summary="No answer after 3 tries.")
    runtime.jobs.cancel_job(jobs[2].id)  # the operator cancelled it: they know
    async with console(runtime) as (app, pilot):
        badges = app.main_screen.query_one(UpdateBadges)
        await wait_for(pilot, lambda: badges.job_ids == [jobs[0].id, jobs[1].id])
        assert "2 updates" in plain(badges.query_one("#badge-count", Static))
        good, bad = badges.badge_for(jobs[0].id), badges.badge_for(jobs[1].id)
        assert good.has_class("success") and "✓ Akhil: Akhil will pay on Friday." in plain(good)
        assert bad.has_class("failure") and "✗ Priya: No answer after 3 tries." in plain(bad)
        await pilot.press("B")
        assert app.focused is good
        await pilot.press("right")
        assert app.focused is bad
        await pilot.press("enter")  # opens the job behind the badge
        from tui.screens.job_detail import JobDetailScreen

        screen = await wait_for(pilot, lambda: app.screen if isinstance(app.screen, JobDetailScreen) else None)
        assert screen.job_id == jobs[1].id
        await pilot.press("escape", "escape", "D")
        await wait_for(pilot, lambda: badges.job_ids == [])
        await wait_for_notice(pilot, app, "Dismissed 2 updates")


async def test_a_key_conflict_is_refused_naming_both_bindings(make_runtime):
    rt = make_runtime(keys={"dismiss_badge": "q", "sort_jobs": "[x]"})
    async with console(rt) as (app, pilot):
        text = await wait_for_notice(pilot, app, "dismiss_badge")
        assert "'q' would be both dismiss_badge and quit" in text and "kept the default key" in text
        await pilot.press("question_mark")
        help_screen = await wait_for(pilot, lambda: app.screen if isinstance(app.screen, HelpScreen) else None)
        page = " ".join(plain(s) for s in help_screen.query(Static))
        assert "Binding id (for [keys] in config.toml)" in page  # not eaten as markup
        assert "[x]" in page  # a remapped key shown as written
        await pilot.press("escape", "q")  # q still quits
        await wait_for(pilot, lambda: app.return_code is not None)


async def test_mute_in_text_mode_says_why_nothing_happens(runtime):
    from tests.tui.test_panes import RecordingAssistant

    runtime.actions.assistant = RecordingAssistant()
    runtime.bus.publish(ev.AudioState(mode="text", reason="no audio device"))
    async with console(runtime) as (app, pilot):
        await pilot.press("m")
        await wait_for_notice(pilot, app, "no microphone to mute")
        assert runtime.actions.assistant.calls == []


async def test_tab_from_the_jobs_never_reaches_a_fault_button(make_runtime):
    from tests.tui.conftest import fake_sims

    sims = fake_sims()
    rt = make_runtime("simulate", sims=sims)
    async with console(rt) as (app, pilot):
        for _ in range(8):
            await pilot.press("tab")
            assert not (app.focused and (app.focused.id or "").startswith("fault-"))
        await pilot.press("enter")
        assert sims.faults.snapshot()["http_failures"] == {}


async def test_sending_then_thinking_marks(runtime):
    from tests.tui.test_panes import RecordingAssistant
    from tui.widgets.banner import ConnectionBanner

    runtime.actions.assistant = RecordingAssistant()
    async with console(runtime) as (app, pilot):
        banner = app.main_screen.query_one(ConnectionBanner)
        await pilot.press("i", *"hello", "enter")
        await wait_for(pilot, lambda: "sending…" in plain(banner))
        runtime.bus.publish(ev.TranscriptTurn(role="user", text="hello", session_id="s", turn_id=1))
        await wait_for(pilot, lambda: "thinking…" in plain(banner) and "sending" not in plain(banner))
        runtime.bus.publish(ev.TranscriptDelta(session_id="s", item_id="a", delta="Hi"))
        await wait_for(pilot, lambda: "thinking" not in plain(banner))


async def test_long_lines_rewrap_on_resize(runtime):
    from tui.widgets.transcript import Transcript

    runtime.bus.publish(ev.TranscriptTurn(role="assistant", text="word " * 60, session_id="s", turn_id=1))
    app = app_for(runtime)
    async with app.run_test(size=(200, 40)) as pilot:
        log = app.main_screen.query_one(Transcript).log_widget
        wide = len(log.lines)
        await pilot.resize_terminal(130, 40)  # the conversation column narrows from 80 to 52
        await wait_for(pilot, lambda: len(log.lines) > wide)
        assert all(len(line.text.rstrip()) <= log.size.width for line in log.lines)


async def test_notices_are_plain_text(runtime):
    async with console(runtime) as (app, pilot):
        runtime.bus.publish(ev.Notice(level="warning", text="[bold]not markup[/bold] \x1b]52;c;evil\x07"))
        text = await wait_for_notice(pilot, app, "not markup")
        assert "[bold]not markup[/bold]" in text and "\x1b" not in text
        assert all("\x1b" not in n for n in notices(app))
