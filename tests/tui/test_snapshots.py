"""How each screen and state looks, on a fixed config, a FixedClock and
(unless named) a 120x40 terminal. Update with:
pytest tests/tui/test_snapshots.py --snapshot-update, then look at them."""
from __future__ import annotations

import pytest

from core import events as ev
from tests.tui.conftest import SIZE, app_for, bulk_jobs, fake_sims, finish_job, wait_for

SMALL = (80, 24)
LARGE = (200, 60)


def conversation(rt) -> None:
    rt.bus.publish(ev.TranscriptTurn(role="user", text="Call Akhil about the invoice", session_id="s1", turn_id=1))
    # as the turn log records a tool call and its result (drawn as one line)
    rt.bus.publish(ev.TranscriptTurn(
        role="tool_call", session_id="s1", turn_id=2,
        text='schedule_outbound_call({"contact_name": "Akhil", "call_objective": "Ask about the invoice"})'))
    rt.bus.publish(ev.TranscriptTurn(
        role="tool_result", session_id="s1", turn_id=3,
        text='Scheduled job 1: a call to Akhil (+12025550101) to "Ask about the invoice". It is queued.'))
    rt.bus.publish(ev.TranscriptTurn(role="assistant", text="I've scheduled a call to Akhil about the invoice.",
                                     session_id="s1", turn_id=4))


def some_jobs(rt) -> list[dict]:
    jobs = [rt.jobs.create_job(p, n, o, max_retries=3) for p, n, o in (
        ("+12025550101", "Akhil", "Ask about the overdue invoice from March and agree a date to pay it"),
        ("+12025550102", "Priya", "Confirm next quarter's budget"),
        ("+12025550103", "Marco", "Book the sales review"),
    )]
    rt.jobs.update_job(jobs[1].id, overall_status="RETRY_SCHEDULED", retries_attempted=1,
                       next_retry_at="2026-01-05T10:10:00.000Z")
    rt.jobs.update_job(jobs[2].id, overall_status="PROCESSING", retries_attempted=1)
    return jobs


def connected(rt) -> None:
    rt.bus.publish(ev.VoiceState(state="connected"))
    rt.bus.publish(ev.ConnectionStatus(status="connected", message="Connected"))
    rt.bus.publish(ev.AudioState(mode="voice"))


def busy(rt) -> None:
    connected(rt)
    conversation(rt)
    jobs = some_jobs(rt)
    finish_job(rt, jobs[0].id, summary="Akhil will pay the invoice on Friday.")


def still(run_before=None):
    """Before the picture: no blinking cursors (a blink's phase is timing,
    not behaviour), then the test's own steps."""
    async def run(pilot) -> None:
        from textual.widgets import Input

        await pilot.pause(0.1)  # the first refresh done, whatever the machine's load
        for widget in pilot.app.screen.query(Input):
            widget.cursor_blink = False
        if run_before is not None:
            await run_before(pilot)
        for widget in pilot.app.screen.query(Input):
            widget.cursor_blink = False
        await pilot.pause(0.1)
        await pilot.wait_for_scheduled_animations()
    return run


def press(*keys: str):
    async def run(pilot) -> None:
        await pilot.press(*keys)
        await pilot.pause()
    return run


def test_empty(snap_compare, runtime):
    assert snap_compare(app_for(runtime), terminal_size=SIZE, run_before=still())


def test_connected(snap_compare, runtime):
    connected(runtime)
    conversation(runtime)
    some_jobs(runtime)
    assert snap_compare(app_for(runtime), terminal_size=SIZE, run_before=still())


@pytest.mark.parametrize("size", [SMALL, (140, 45), LARGE], ids=["80x24", "140x45", "200x60"])
def test_sizes(snap_compare, runtime, size):
    busy(runtime)
    assert snap_compare(app_for(runtime), terminal_size=size, run_before=still())


def test_small_simulation(snap_compare, make_runtime):
    rt = make_runtime("simulate", sims=fake_sims())
    busy(rt)
    assert snap_compare(app_for(rt), terminal_size=SMALL, run_before=still())


def test_disconnected(snap_compare, runtime):
    conversation(runtime)
    some_jobs(runtime)
    runtime.bus.publish(ev.VoiceState(state="reconnecting", attempt=2, retry_in_s=2.0))
    runtime.bus.publish(ev.ConnectionStatus(status="disconnected", message="Reconnecting"))
    assert snap_compare(app_for(runtime), terminal_size=SIZE, run_before=still())


def test_half_open(snap_compare, runtime):
    runtime.bus.publish(ev.VoiceState(state="reconnecting", detail="TimeoutError: no pong within 4 s", attempt=1,
                                      retry_in_s=1.0))
    runtime.bus.publish(ev.ConnectionStatus(status="disconnected", message="Reconnecting"))
    assert snap_compare(app_for(runtime), terminal_size=SIZE, run_before=still())


def test_connecting(snap_compare, runtime):
    runtime.bus.publish(ev.VoiceState(state="connecting"))
    assert snap_compare(app_for(runtime), terminal_size=SIZE, run_before=still())


def test_auth_failed(snap_compare, runtime):
    runtime.bus.publish(ev.VoiceState(state="auth_failed", detail="HTTP 401"))
    assert snap_compare(app_for(runtime), terminal_size=SIZE, run_before=still())


def test_text_only(snap_compare, runtime):
    connected(runtime)
    runtime.bus.publish(ev.AudioState(mode="text", reason="no audio device"))
    conversation(runtime)
    assert snap_compare(app_for(runtime), terminal_size=SIZE, run_before=still())


def test_muted_and_thinking(snap_compare, runtime):
    connected(runtime)
    runtime.bus.publish(ev.AudioState(mode="voice", muted=True))

    async def ask(pilot) -> None:
        runtime.bus.publish(ev.TranscriptTurn(role="user", text="How did the call to Priya go?", session_id="s1",
                                              turn_id=1))
        await pilot.pause()

    assert snap_compare(app_for(runtime), terminal_size=SIZE, run_before=still(ask))


def test_sending_during_an_outage(snap_compare, runtime):
    from tests.tui.test_panes import RecordingAssistant

    runtime.actions.assistant = RecordingAssistant()
    runtime.bus.publish(ev.VoiceState(state="reconnecting", attempt=1, retry_in_s=4.0))

    async def type_it(pilot) -> None:
        await pilot.press(*"status?", "enter")
        await pilot.pause()

    assert snap_compare(app_for(runtime), terminal_size=SIZE, run_before=still(type_it))


def test_badges_of_each_outcome(snap_compare, runtime):
    connected(runtime)
    jobs = some_jobs(runtime)
    extra = runtime.jobs.create_job("+12025550104", "Dana", "Move the dentist appointment", max_retries=3)
    finish_job(runtime, jobs[0].id, summary="Akhil will pay the invoice on Friday.")
    finish_job(runtime, jobs[2].id, status="FAILED_MAX_RETRIES", summary="No answer after 3 tries.")
    finish_job(runtime, extra.id, status="FAILED_ERROR", summary="The number is not in service.")
    runtime.bus.publish(ev.NewCallUpdateAvailable(contact_name="Ops desk", status_summary="Reports are in."))
    assert snap_compare(app_for(runtime), terminal_size=SIZE, run_before=still())


def test_badges_focused(snap_compare, runtime):
    connected(runtime)
    jobs = some_jobs(runtime)
    finish_job(runtime, jobs[0].id, summary="Akhil will pay the invoice on Friday.")
    finish_job(runtime, jobs[2].id, status="FAILED_MAX_RETRIES", summary="No answer after 3 tries.")
    assert snap_compare(app_for(runtime), terminal_size=SIZE, run_before=still(press("escape", "B", "right")))


def test_display_series(snap_compare, runtime):
    connected(runtime)
    runtime.bus.publish(ev.Display(kind="series", title="Calls per day",
                                   content={"labels": ["Mon", "Tue", "Wed"], "values": [2, 5, 3]}))
    assert snap_compare(app_for(runtime), terminal_size=SIZE, run_before=still())


def test_display_table(snap_compare, runtime):
    connected(runtime)
    runtime.bus.publish(ev.Display(kind="table", title="Today's calls",
                                   content={"columns": ["Contact", "Status"],
                                            "rows": [["Akhil", "COMPLETED_SUCCESS"], ["Priya", "RETRY_SCHEDULED"]]}))
    assert snap_compare(app_for(runtime), terminal_size=SIZE, run_before=still())


def decided(rt, status: str, outcome: str, summary: str, **attempt: object) -> int:
    job = rt.jobs.create_job("+12025550101", "Akhil", "Ask about the overdue invoice", max_retries=3)
    started = rt.jobs.start_attempt(job.id, 1, "Ask about the overdue invoice", "engine-1")
    rt.clock.advance(95)
    job_fields = {"overall_status": status, "retries_attempted": 1, "final_summary_for_main_agent": summary,
                  "cost_estimate_usd": 0.14}
    if status == "RETRY_SCHEDULED":
        job_fields["next_retry_at"] = "2026-01-05T11:00:00.000Z"
    rt.jobs.decide(job.id, started.id, owner=None, job_fields=job_fields,
                   attempt_fields={"ended_at": rt.clock.now_iso(), "attempt_outcome": outcome, "summary": summary,
                                   "strategist_reasoning_for_attempt": "Judged from the transcript.",
                                   "duration_s": 83.0, **attempt})
    return job.id


async def open_detail(pilot) -> None:
    from textual.widgets import Static

    from tests.tui.conftest import plain
    from tui.screens.job_detail import JobDetailScreen

    await pilot.press("escape", "o")
    screen = await wait_for(pilot, lambda: pilot.app.screen if isinstance(pilot.app.screen, JobDetailScreen) else None)
    await wait_for(pilot, lambda: "Attempt 1" in plain(screen.query_one("#detail-attempts", Static)))


@pytest.mark.parametrize("status,outcome,summary,attempt", [
    ("COMPLETED_SUCCESS", "SUCCESS", "Akhil will pay on Friday.",
     {"end_reason": "agent_hangup", "twilio_status": "completed",
      "transcript": [{"role": "agent", "text": "Hi Akhil, about the invoice."},
                     {"role": "user", "text": "I'll pay it on Friday."}]}),
    ("RETRY_SCHEDULED", "NO_ANSWER", "No answer; trying again at 11:00.",
     {"end_reason": "no-answer", "twilio_status": "no-answer"}),
    ("FAILED_MAX_RETRIES", "VOICEMAIL", "Voicemail three times; giving up.",
     {"end_reason": "answered by machine_end_beep", "twilio_status": "completed"}),
    ("FAILED_ERROR", "FAILED", "The number is not in service.",
     {"end_reason": "failed", "twilio_status": "failed", "error_details": "Twilio 21217: not a valid number"}),
    ("CANCELLED", "CANCELLED", "cancelled by the operator",
     {"end_reason": "cancelled", "twilio_status": "canceled"}),
], ids=["success", "retry", "gave-up", "error", "cancelled"])
def test_job_detail(snap_compare, runtime, status, outcome, summary, attempt):
    decided(runtime, status, outcome, summary, **attempt)
    assert snap_compare(app_for(runtime), terminal_size=SIZE, run_before=still(open_detail))


def test_schedule_form(snap_compare, runtime):
    async def fill(pilot):
        await pilot.press("escape", "n")
        await pilot.pause()
        await pilot.click("#schedule-name")
        await pilot.press(*"Dana", "tab", *"+14155550123", "tab", *"Move the dentist appointment")
        await pilot.pause()

    assert snap_compare(app_for(runtime), terminal_size=SIZE, run_before=still(fill))


def test_schedule_form_invalid(snap_compare, runtime):
    from textual.widgets import Label

    from tests.tui.conftest import plain

    async def fill(pilot):
        await pilot.press("escape", "n")
        await pilot.pause()
        await pilot.click("#schedule-name")
        await pilot.press(*"Dana", "tab", *"12", "tab", *"Move it", "enter")
        await wait_for(pilot, lambda: plain(pilot.app.screen.query_one("#schedule-error", Label)).strip())

    assert snap_compare(app_for(runtime), terminal_size=SIZE, run_before=still(fill))


def test_help(snap_compare, runtime):
    runtime.mirror_link = "http://127.0.0.1:8765/?token=Zq3LkP0sTg7mWcY1xV9bNr4eHa2uJd6f"
    assert snap_compare(app_for(runtime), terminal_size=SIZE, run_before=still(press("escape", "question_mark")))


def test_palette(snap_compare, runtime):
    from textual.command import CommandList

    async def open_palette(pilot) -> None:
        await pilot.press("ctrl+p", *"job")
        # the matches arrive in batches: wait until the list stops changing
        await wait_for(pilot, lambda: pilot.app.screen.query(CommandList))
        seen = -1
        while (count := pilot.app.screen.query_one(CommandList).option_count) != seen:
            seen = count
            await pilot.pause(0.5)

    assert snap_compare(app_for(runtime), terminal_size=SIZE, run_before=still(open_palette))


def test_cancel_a_live_call_asks_first(snap_compare, runtime):
    some_jobs(runtime)
    # Marco's call (the newest job, at the top) is live
    assert snap_compare(app_for(runtime), terminal_size=SIZE, run_before=still(press("escape", "c")))


def test_hang_up_a_live_call_asks_first(snap_compare, runtime):
    some_jobs(runtime)
    # Marco's call (the newest job, at the top) is live; hanging up leaves the job to go on
    assert snap_compare(app_for(runtime), terminal_size=SIZE, run_before=still(press("escape", "h")))


def test_reschedule_dialog(snap_compare, runtime):
    some_jobs(runtime)
    assert snap_compare(app_for(runtime), terminal_size=SIZE, run_before=still(press("escape", "down", "R")))


def test_filtered_and_sorted(snap_compare, runtime):
    busy(runtime)
    assert snap_compare(app_for(runtime), terminal_size=SIZE,
                        run_before=still(press("escape", "s", "slash", *"ak", "enter")))


def test_5000_jobs(snap_compare, make_runtime):
    rt = make_runtime(setup=lambda rt: bulk_jobs(rt, 5000))
    assert snap_compare(app_for(rt), terminal_size=SIZE, run_before=still())


def test_simulation_panel(snap_compare, make_runtime):
    rt = make_runtime("simulate", sims=fake_sims())
    assert snap_compare(app_for(rt), terminal_size=SIZE, run_before=still())
