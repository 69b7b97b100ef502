"""A hang-up the operator asks for reaches the browser as the job's row
(call_job_updated with hangup_requested), and a request with no live call
as a notice saying so, whichever process asked."""
from __future__ import annotations

from core.events import ConnectionStatus
from tests.web.conftest import wait_for


def test_the_browser_sees_the_hang_up_request_and_the_refusal(mirror, runtime, ws_client):
    runtime.bus.publish(ConnectionStatus(status="connected", message=""))
    browser = ws_client()
    wait_for(lambda: browser.of("snapshot"), what="snapshot")
    job = runtime.jobs.create_job("+12025550101", "Akhil", "Ask about the invoice", max_retries=3)
    assert runtime.actions.hang_up(job.id) is None  # waiting: no call to hang up
    wait_for(lambda: [n for n in browser.of("notice") if f"Job {job.id} has no call in progress" in n["text"]],
             what="the notice that there is no live call")
    runtime.jobs.update_job(job.id, overall_status="PROCESSING", lease_owner="engine-1")
    attempt = runtime.jobs.start_attempt(job.id, 1, "Ask about the invoice", "engine-1")
    runtime.jobs.update_attempt(attempt.id, ultravox_call_id="uv-1", twilio_call_sid="CA1", phase="DIALED")
    assert runtime.actions.hang_up(job.id).hangup_requested
    rows = wait_for(lambda: [e["job"] for e in browser.of("call_job_updated")
                             if e["job"]["id"] == job.id and e["job"]["hangup_requested"]], what="the flagged row")
    assert rows[-1]["overall_status"] == "PROCESSING" and not rows[-1]["cancel_requested"]
