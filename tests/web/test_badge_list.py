"""The badge list the mirror sends: after every change the state view
counts, the list StateView.updates() has, and nothing for events that do
not touch the badges."""
from __future__ import annotations

from core.events import ConnectionStatus, Notice
from core.records import Job
from tests.web.conftest import wait_for


def finish(runtime, name: str) -> Job:
    job = runtime.jobs.create_job("+12025550101", name, "Ask about the invoice", max_retries=3)
    return runtime.jobs.update_job(job.id, overall_status="COMPLETED_SUCCESS", final_summary_for_main_agent="Paid.")


def test_the_snapshot_then_each_changed_list(mirror, runtime, ws_client):
    runtime.bus.publish(ConnectionStatus(status="connected", message=""))
    first = finish(runtime, "Akhil")
    browser = ws_client()
    snapshot = wait_for(lambda: browser.of("snapshot"), what="snapshot")[0]
    assert [u["job_id"] for u in snapshot["updates"]] == [first.id]
    second = finish(runtime, "Priya")
    wait_for(lambda: browser.of("updates") and browser.of("updates")[-1]["updates"] == [u.to_dict() for u in runtime.state.updates()],
             what="the list with both")
    assert [u["job_id"] for u in browser.of("updates")[-1]["updates"]] == [first.id, second.id]
    runtime.actions.dismiss_update(first.id)
    wait_for(lambda: [u["job_id"] for u in browser.of("updates")[-1]["updates"]] == [second.id],
             what="the list after a dismiss")


def test_no_list_for_events_that_do_not_touch_the_badges(mirror, runtime, ws_client):
    runtime.bus.publish(ConnectionStatus(status="connected", message=""))
    browser = ws_client()
    wait_for(lambda: browser.of("snapshot"), what="snapshot")
    job = runtime.jobs.create_job("+12025550101", "Akhil", "Ask about the invoice", max_retries=3)
    for _ in range(20):
        runtime.jobs.update_job(job.id, overall_status="PROCESSING")
        runtime.bus.publish(Notice(level="info", text="x"))
    runtime.bus.publish(Notice(level="info", text="last"))
    wait_for(lambda: any(n["text"] == "last" for n in browser.of("notice")), what="every notice")
    assert browser.of("updates") == []
    assert len(browser.of("call_job_updated")) == 21
