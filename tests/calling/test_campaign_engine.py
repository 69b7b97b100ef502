"""Campaigns run by the engine against the simulators (real sockets): the
window in each callee's time zone and the deadline on a fixed clock, a
single call never waits behind a large campaign, pause/resume under load
within the campaign's own share, one summary told like any outcome."""
from __future__ import annotations

import threading
import time
from datetime import datetime, timezone
from typing import Any

from calling.engine import CallingEngine
from core.clock import FixedClock, iso
from core.events import NewCallUpdateAvailable
from core.records import FINISHED
from store import JobStore
from store.campaigns import CampaignStatus
from tests.calling.conftest import engine_config, finished, running, wait_for


def _utc(*a: int) -> datetime:
    return datetime(*a, tzinfo=timezone.utc)


def import_rows(jobs: JobStore, name: str, rows: list[tuple[str, str | None]], **spec: Any):
    people = [{"phone_number": phone, "contact_name": f"Callee {i}", "objective": f"confirm order {i}",
               "timezone": zone} for i, (phone, zone) in enumerate(rows)]
    return jobs.import_campaign({"name": name, "objective_template": "confirm order {order}", "max_retries": 0,
                                 **spec}, people)[0]


def numbers(n: int, first: int = 3000) -> list[str]:
    return [f"+1202555{first + i:04d}" for i in range(n)]


def test_window_and_deadline_in_each_callees_time_zone(sims, jobs, bus, recorder, tmp_path):
    # 15:00 UTC on 5 January: 10:00 in New York, 15:00 in London, 07:00 in Los Angeles, 00:00 in Tokyo
    clock = FixedClock(_utc(2026, 1, 5, 15))
    jobs.clock = clock
    zones = ["America/New_York", "Europe/London", "America/Los_Angeles", "Asia/Tokyo", "Asia/Tokyo"]
    c = import_rows(jobs, "Winter", list(zip(numbers(5), zones)), calling_window="09:00-17:00",
                    deadline_at=iso(_utc(2026, 1, 5, 16, 30)))
    by_zone = {j.timezone: j.id for j in jobs.campaign_jobs(c.id, descending=True)}  # the first of each
    second_tokyo = jobs.campaign_jobs(c.id)[-1].id
    cfg = engine_config(sims, tmp_path, calling_hours="00:00-24:00")
    with running(CallingEngine(cfg, bus, jobs, clock=clock)):
        for zone in ("America/New_York", "Europe/London"):
            wait_for(lambda: finished(jobs, by_zone[zone]), 30, what=f"the call in {zone}")
        deferred = {z: wait_for(lambda: (j := jobs.get_job(by_zone[z])) and j.next_retry_at and j, 20)
                    for z in ("America/Los_Angeles", "Asia/Tokyo")}
        assert deferred["America/Los_Angeles"].next_retry_at == "2026-01-05T17:00:00.000Z"  # 09:00 PST
        assert deferred["Asia/Tokyo"].next_retry_at == "2026-01-06T00:00:00.000Z"  # 09:00 JST
        assert "outside campaign Winter's window 09:00-17:00 in Asia/Tokyo" in deferred["Asia/Tokyo"].last_error
        assert all(jobs.attempts_for_job(j.id) == [] for j in deferred.values())
        assert jobs.get_job(second_tokyo).next_retry_at == "2026-01-06T00:00:00.000Z"
        assert jobs.attempts_for_job(second_tokyo) == []
        clock.advance(90 * 60)  # 16:30: the deadline
        ended = wait_for(lambda: (c2 := jobs.campaign("Winter")) and c2.summary_job_id and c2, 20,
                         what="the campaign to end")
    assert ended.status == CampaignStatus.FINISHED
    for job_id in (by_zone["America/Los_Angeles"], by_zone["Asia/Tokyo"], second_tokyo):
        job = jobs.get_job(job_id)
        assert job.overall_status == "EXPIRED" and "deadline (2026-01-05T16:30:00.000Z)" in job.last_error
    summary = jobs.get_job(ended.summary_job_id)
    assert summary.contact_name == "Winter campaign" and "3 expired" in summary.final_summary_for_main_agent
    told = recorder.of("new_call_update_available")
    assert [e.job_id for e in told] == [summary.id]  # one update, none per callee
    assert [j.id for j in jobs.pending_updates()] == [summary.id]


def test_a_single_call_never_waits_behind_a_large_campaign(sims, jobs, bus, tmp_path):
    c = import_rows(jobs, "Big", [(p, None) for p in numbers(3000)])
    cfg = engine_config(sims, tmp_path, concurrency=2)
    with running(CallingEngine(cfg, bus, jobs)):
        wait_for(lambda: jobs.count_campaign_jobs(c.id, statuses=FINISHED) >= 4, 60, what="the campaign at work")
        single = jobs.create_job("+12025550101", "Akhil", "confirm the delivery", max_retries=0)
        done = wait_for(lambda: finished(jobs, single.id), 30, what="the single call")
        left = jobs.count_campaign_jobs(c.id, statuses=["PENDING"])
    assert done.overall_status == "COMPLETED_SUCCESS"
    assert left > 2900  # it went ahead of nearly the whole list


def test_pause_and_resume_under_load_within_the_campaigns_share(sims, jobs, bus, recorder, tmp_path):
    c = import_rows(jobs, "Load", [(p, None) for p in numbers(40)], max_concurrent=3)
    peak = [0]
    stop = threading.Event()

    def watch() -> None:  # calls of the campaign in flight, sampled
        while not stop.wait(0.01):
            peak[0] = max(peak[0], jobs.count_campaign_jobs(c.id, statuses=["PROCESSING"]))

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    cfg = engine_config(sims, tmp_path, concurrency=6)
    try:
        with running(CallingEngine(cfg, bus, jobs)):
            wait_for(lambda: jobs.count_campaign_jobs(c.id, statuses=FINISHED) >= 8, 60, what="some calls done")
            jobs.pause_campaign("Load")
            wait_for(lambda: jobs.count_campaign_jobs(c.id, statuses=["PROCESSING"]) == 0, 30,
                     what="the calls in flight to end")
            count, tries = jobs.count_campaign_jobs(c.id, statuses=FINISHED), len(jobs.all_attempts())
            time.sleep(1.0)
            # nothing new starts while paused
            assert (jobs.count_campaign_jobs(c.id, statuses=FINISHED), len(jobs.all_attempts())) == (count, tries)
            assert count < 40
            jobs.resume_campaign("Load")
            wait_for(lambda: (c2 := jobs.campaign("Load")) and c2.summary_job_id, 90, what="every call, then the end")
    finally:
        stop.set()
        watcher.join()
    assert 1 <= peak[0] <= 3
    attempts = [a for j in jobs.campaign_jobs(c.id, limit=100) for a in jobs.attempts_for_job(j.id)]
    assert len(attempts) == 40  # one call each: nothing dialled twice, nothing left
    summaries = recorder.of("new_call_update_available")
    assert len(summaries) == 1 and summaries[0].contact_name == "Load campaign"
    assert not any(isinstance(e, NewCallUpdateAvailable) and e.job_id != summaries[0].job_id for e in recorder.events)
