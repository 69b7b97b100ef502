"""How each state looks, on a fixed config, a FixedClock and a 120x40
terminal. Update with: pytest tests/tui/test_snapshots.py --snapshot-update"""
from __future__ import annotations

from core import events as ev
from tests.tui.conftest import SIZE, app_for, bulk_jobs, fake_sims, finish_job


def conversation(rt) -> None:
    rt.bus.publish(ev.TranscriptTurn(role="user", text="Call Akhil about the invoice", session_id="s1", turn_id=1))
    rt.bus.publish(ev.TranscriptTurn(role="assistant", text="I've scheduled a call to Akhil about the invoice.",
                                     session_id="s1", turn_id=2))


def some_jobs(rt) -> list[dict]:
    jobs = [rt.jobs.create_job(p, n, o, max_retries=3) for p, n, o in (
        ("+12025550101", "Akhil", "Ask about the overdue invoice"),
        ("+12025550102", "Priya", "Confirm next quarter's budget"),
        ("+12025550103", "Marco", "Book the sales review"),
    )]
    rt.jobs.update_job(jobs[1]["id"], overall_status="RETRY_SCHEDULED", retries_attempted=1,
                       next_retry_at="2026-01-05T10:10:00.000Z")
    rt.jobs.update_job(jobs[2]["id"], overall_status="PROCESSING", retries_attempted=1)
    return jobs


def connected(rt) -> None:
    rt.bus.publish(ev.VoiceState(state="connected"))
    rt.bus.publish(ev.ConnectionStatus(status="connected", message="Connected"))
    rt.bus.publish(ev.AudioState(mode="voice"))


def test_empty(snap_compare, runtime):
    assert snap_compare(app_for(runtime), terminal_size=SIZE)


def test_connected(snap_compare, runtime):
    connected(runtime)
    conversation(runtime)
    some_jobs(runtime)
    assert snap_compare(app_for(runtime), terminal_size=SIZE)


def test_disconnected(snap_compare, runtime):
    conversation(runtime)
    some_jobs(runtime)
    runtime.bus.publish(ev.VoiceState(state="reconnecting", attempt=2, retry_in_s=2.0))
    runtime.bus.publish(ev.ConnectionStatus(status="disconnected", message="Reconnecting"))
    assert snap_compare(app_for(runtime), terminal_size=SIZE)


def test_auth_failed(snap_compare, runtime):
    runtime.bus.publish(ev.VoiceState(state="auth_failed", detail="HTTP 401"))
    assert snap_compare(app_for(runtime), terminal_size=SIZE)


def test_text_only(snap_compare, runtime):
    connected(runtime)
    runtime.bus.publish(ev.AudioState(mode="text", reason="no audio device"))
    conversation(runtime)
    assert snap_compare(app_for(runtime), terminal_size=SIZE)


def test_badges_shown(snap_compare, runtime):
    connected(runtime)
    jobs = some_jobs(runtime)
    finish_job(runtime, jobs[0]["id"], summary="Akhil will pay the invoice on Friday.")
    finish_job(runtime, jobs[2]["id"], status="FAILED_MAX_RETRIES", summary="No answer after 3 tries.")
    assert snap_compare(app_for(runtime), terminal_size=SIZE)


def test_display_series(snap_compare, runtime):
    connected(runtime)
    runtime.bus.publish(ev.Display(kind="series", title="Calls per day",
                                   content={"labels": ["Mon", "Tue", "Wed"], "values": [2, 5, 3]}))
    assert snap_compare(app_for(runtime), terminal_size=SIZE)


def test_job_detail(snap_compare, runtime):
    job = runtime.jobs.create_job("+12025550101", "Akhil", "Ask about the overdue invoice", max_retries=3)
    attempt = runtime.jobs.start_attempt(job["id"], 1, "Ask about the overdue invoice", "engine-1")
    runtime.clock.advance(95)
    runtime.jobs.decide(job["id"], attempt["id"], owner=None,
                        job_fields={"overall_status": "COMPLETED_SUCCESS", "retries_attempted": 1,
                                    "final_summary_for_main_agent": "Akhil will pay on Friday."},
                        attempt_fields={"ended_at": runtime.clock.now_iso(), "end_reason": "agent_hangup",
                                        "twilio_status": "completed", "attempt_outcome": "SUCCESS",
                                        "summary": "Invoice to be paid Friday.",
                                        "strategist_reasoning_for_attempt": "The objective was met.",
                                        "transcript": [{"role": "agent", "text": "Hi Akhil, about the invoice."},
                                                       {"role": "user", "text": "I'll pay it on Friday."}]})
    assert snap_compare(app_for(runtime), terminal_size=SIZE, press=["o"])


def test_schedule_form_invalid(snap_compare, runtime):
    async def fill(pilot):
        await pilot.press("escape", "n")
        await pilot.pause()
        await pilot.click("#schedule-ok")
        await pilot.pause()

    assert snap_compare(app_for(runtime), terminal_size=SIZE, run_before=fill)


def test_5000_jobs(snap_compare, make_runtime):
    rt = make_runtime(setup=lambda rt: bulk_jobs(rt, 5000))
    assert snap_compare(app_for(rt), terminal_size=SIZE)


def test_simulation_panel(snap_compare, make_runtime):
    rt = make_runtime("simulate", sims=fake_sims())
    assert snap_compare(app_for(rt), terminal_size=SIZE)
