"""The screens and states test_snapshots.py leaves out: the starting screen,
the banner's remaining states, the badges of a declined and an unasked-for
cancelled call, the job detail of a declined job, of a live call and of a
job not dialled yet, the remaining dialogs and a markdown display, and the
screens an operator opens most at 80x24 and 200x60. Update with
--snapshot-update, then look at them."""
from __future__ import annotations

import pytest

from core import events as ev
from tests.tui.conftest import SIZE, app_for, finish_job
from tests.tui.test_snapshots import LARGE, SMALL, busy, connected, decided, open_detail, press, some_jobs, still

BOTH = pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "200x60"])


def test_starting(snap_compare, runtime):
    from tui.screens.starting import StartingScreen

    async def starting(pilot) -> None:
        await pilot.app.push_screen(StartingScreen())  # as drawn while the runtime is built

    assert snap_compare(app_for(runtime), terminal_size=SMALL, run_before=still(starting))


@pytest.mark.parametrize("state,detail", [
    ("config_error", "openai.voice 'shimmer2' is not a voice of gpt-realtime"),
    ("stopped", ""),
], ids=["config-error", "stopped"])
def test_banner(snap_compare, runtime, state, detail):
    runtime.bus.publish(ev.VoiceState(state=state, detail=detail))
    runtime.bus.publish(ev.ConnectionStatus(status="disconnected", message="Stopped"))
    assert snap_compare(app_for(runtime), terminal_size=SIZE, run_before=still())


def test_badges_declined_and_cancelled(snap_compare, runtime):
    connected(runtime)
    jobs = some_jobs(runtime)
    finish_job(runtime, jobs[0].id, status="DECLINED", summary="Akhil asked not to be called again.")
    # cancelled by no one here (the engine gave up on a withdrawn number): the operator hears of it
    finish_job(runtime, jobs[1].id, status="CANCELLED", summary="The number was withdrawn before the call.")
    assert snap_compare(app_for(runtime), terminal_size=SIZE, run_before=still())


def test_job_detail_declined(snap_compare, runtime):
    decided(runtime, "DECLINED", "DECLINED", "Akhil asked not to be called again.",
            end_reason="agent_hangup", twilio_status="completed",
            transcript=[{"role": "agent", "text": "Hi Akhil, about the invoice."},
                        {"role": "user", "text": "Please do not call me again."}])
    assert snap_compare(app_for(runtime), terminal_size=SIZE, run_before=still(open_detail))


def test_job_detail_of_a_live_call(snap_compare, runtime):
    job = runtime.jobs.create_job("+12025550101", "Akhil", "Ask about the overdue invoice", max_retries=3)
    attempt = runtime.jobs.start_attempt(job.id, 1, "Ask about the overdue invoice", "engine-1")
    runtime.jobs.update_job(job.id, overall_status="PROCESSING", retries_attempted=1)

    async def live(pilot) -> None:
        from textual.widgets import Static

        from tests.tui.conftest import plain, wait_for

        await open_detail(pilot)
        runtime.bus.publish(ev.CallTranscriptProgress(job_id=job.id, attempt_id=attempt.id, messages=[
            {"role": "agent", "text": "Hi Akhil, I'm calling about the invoice from March."},
            {"role": "user", "text": "Yes, I have it here."}]))
        await wait_for(pilot, lambda: "I have it here" in plain(pilot.app.screen.query_one("#detail-live", Static)))

    assert snap_compare(app_for(runtime), terminal_size=SIZE, run_before=still(live))


def test_job_detail_not_dialled_yet(snap_compare, runtime):
    from textual.widgets import Static

    from tests.tui.conftest import plain, wait_for
    from tui.screens.job_detail import JobDetailScreen

    runtime.jobs.create_job("+12025550101", "Akhil", "Ask about the overdue invoice", max_retries=3)

    async def open_it(pilot) -> None:
        await pilot.press("escape", "o")
        screen = await wait_for(pilot, lambda: pilot.app.screen if isinstance(pilot.app.screen, JobDetailScreen)
                                else None)
        await wait_for(pilot, lambda: "No attempts yet" in plain(screen.query_one("#detail-attempts", Static)))

    assert snap_compare(app_for(runtime), terminal_size=SIZE, run_before=still(open_it))


def test_edit_objective_dialog(snap_compare, runtime):
    runtime.jobs.create_job("+12025550104", "Dana", "Move the dentist appointment to Friday", max_retries=3)
    assert snap_compare(app_for(runtime), terminal_size=SIZE, run_before=still(press("escape", "E")))


def test_add_to_the_do_not_call_list(snap_compare, runtime):
    assert snap_compare(app_for(runtime), terminal_size=SIZE, run_before=still(press("escape", "b", "a")))


def test_display_markdown(snap_compare, runtime):
    connected(runtime)
    runtime.bus.publish(ev.Display(kind="markdown", title="Today", content=(
        "## Calls today\n\n- **Akhil**: will pay on Friday\n- **Priya**: call back at 3 pm\n\n"
        "Two more are waiting for their retry.")))
    assert snap_compare(app_for(runtime), terminal_size=SIZE, run_before=still())


@BOTH
def test_help_at(snap_compare, runtime, size):
    assert snap_compare(app_for(runtime), terminal_size=size, run_before=still(press("escape", "question_mark")))


@BOTH
def test_schedule_form_at(snap_compare, runtime, size):
    assert snap_compare(app_for(runtime), terminal_size=size, run_before=still(press("escape", "n")))


@BOTH
def test_job_detail_at(snap_compare, runtime, size):
    decided(runtime, "COMPLETED_SUCCESS", "SUCCESS", "Akhil will pay on Friday.",
            end_reason="agent_hangup", twilio_status="completed",
            transcript=[{"role": "agent", "text": "Hi Akhil, about the invoice."},
                        {"role": "user", "text": "I'll pay it on Friday."}])
    assert snap_compare(app_for(runtime), terminal_size=size, run_before=still(open_detail))


@BOTH
def test_badges_focused_at(snap_compare, runtime, size):
    busy(runtime)
    assert snap_compare(app_for(runtime), terminal_size=size, run_before=still(press("escape", "B")))
