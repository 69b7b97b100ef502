"""Campaigns in the store, on a fixed clock: claim order (a single call never
waits behind a campaign), a campaign's own share of calls in flight,
pause/resume/cancel, the deadline, the one summary, progress and paging."""
from __future__ import annotations

from contextlib import ExitStack
from datetime import datetime, timedelta, timezone

import pytest

from core.clock import FixedClock, iso
from core.events import Bus, CampaignChanged
from store import JobStore
from store.campaigns import CampaignError, CampaignStatus
from tests.conftest import fresh_pg_database
from tests.helpers import Recorder

START = datetime(2026, 12, 1, 15, 0, tzinfo=timezone.utc)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, sqlite_url: str, clock: FixedClock):
    with ExitStack() as stack:
        url = sqlite_url if request.param == "sqlite" else stack.enter_context(fresh_pg_database("campaign"))
        jobs = JobStore(url, clock=clock, bus=Bus(clock))
        jobs.init_db()
        yield jobs
        jobs.close()


def campaign(store: JobStore, name: str = "Dec", n: int = 10, **spec):
    rows = [{"phone_number": f"+1202555{1000 + i:04d}", "contact_name": f"P{i}", "objective": f"remind {i}",
             "timezone": None} for i in range(n)]
    spec = {"name": name, "objective_template": "remind {x}", "max_retries": 1, **spec}
    return store.import_campaign(spec, rows)[0]


def claim(store: JobStore, owner: str = "e1"):
    return store.claim_next(owner, 60, campaigns=store.runnable_campaigns())


def test_a_single_call_is_claimed_before_any_campaign_job(store, clock):
    c = campaign(store, n=500)
    clock.advance(60)
    single = store.create_job("+12025559999", "Solo", "just one", max_retries=0)
    first = claim(store)
    assert first.id == single.id
    second = claim(store)
    assert second.campaign_id == c.id


def test_campaigns_take_turns_and_keep_their_share(store, clock):
    a = campaign(store, "A", n=5, max_concurrent=2)
    b = campaign(store, "B", n=5)
    b_phone_clash = store.campaign_jobs(b.id)[0].phone_number
    assert b_phone_clash == store.campaign_jobs(a.id)[0].phone_number  # one number in two campaigns is fine
    claimed = [claim(store) for _ in range(6)]
    per = {cid: sum(1 for j in claimed if j.campaign_id == cid) for cid in (a.id, b.id)}
    assert per[a.id] == 2 and per[b.id] == 4  # A never above its share
    assert claim(store) is not None  # B still has work
    assert store.claim_next("e1", 60, campaigns=[store.campaign("A")]) is None


def test_pause_resume_cancel(store, clock):
    c = campaign(store, n=3)
    running = claim(store)
    store.pause_campaign("dec")
    assert claim(store) is None and store.runnable_campaigns() == []
    # a stale list of runnable campaigns still cannot take a paused one's job
    assert store.claim_next("e1", 60, campaigns=[c]) is None
    with pytest.raises(CampaignError, match="already paused"):
        store.pause_campaign("Dec")
    store.resume_campaign("Dec")
    assert claim(store) is not None
    cancelled, n = store.cancel_campaign("Dec")
    assert cancelled.status == CampaignStatus.CANCELLED and n == 3
    jobs = {j.id: j for j in store.campaign_jobs(c.id)}
    assert jobs[running.id].overall_status == "PROCESSING" and jobs[running.id].cancel_requested
    assert sum(1 for j in jobs.values() if j.overall_status == "CANCELLED") == 1
    with pytest.raises(CampaignError, match="No campaign named 'nope'"):
        store.resume_campaign("nope")


def test_the_deadline_expires_what_is_left_and_one_summary_is_made(store, clock):
    rec = Recorder()
    store.bus.subscribe(rec)
    c = campaign(store, n=4, deadline_at=iso(START + timedelta(hours=1)))
    done = claim(store)
    store.decide(done.id, None, owner="e1", job_fields={"overall_status": "COMPLETED_SUCCESS",
                                                          "cost_estimate_usd": 0.25})
    in_call = claim(store)
    assert store.sweep_campaigns() == []
    clock.advance(3600)
    assert store.runnable_campaigns() == []
    assert store.sweep_campaigns() == []  # a call is still in progress
    statuses = sorted(j.overall_status for j in store.campaign_jobs(c.id))
    assert statuses == ["COMPLETED_SUCCESS", "EXPIRED", "EXPIRED", "PROCESSING"]
    expired = store.campaign_jobs(c.id, statuses=["EXPIRED"])[0]
    assert "deadline" in expired.final_summary_for_main_agent
    # the call ends wanting a retry: past the deadline it expires too
    store.decide(in_call.id, None, owner="e1", job_fields={"overall_status": "RETRY_SCHEDULED",
                                                             "next_retry_at": iso(clock.now())})
    summaries = store.sweep_campaigns()
    assert len(summaries) == 1
    summary = summaries[0]
    assert summary.campaign_id is None and summary.overall_status == "COMPLETED_SUCCESS"
    assert summary.final_summary_for_main_agent == (
        "All 4 callees done: 1 succeeded, 3 expired (a 25% success rate); cost $0.25.")
    assert summary.contact_name == "Dec campaign"
    assert store.sweep_campaigns() == []  # once
    ended = store.campaign("Dec")
    assert ended.status == CampaignStatus.FINISHED and ended.summary_job_id == summary.id
    assert any(isinstance(e, CampaignChanged) and e.campaign["status"] == "FINISHED" for e in rec.events)
    # the campaign's jobs are told through the summary alone
    assert [j.id for j in store.pending_updates()] == [summary.id]


def test_a_cancelled_campaign_ends_with_a_cancelled_summary(store, clock):
    campaign(store, n=2)
    store.cancel_campaign("Dec")
    (summary,) = store.sweep_campaigns()
    assert summary.overall_status == "CANCELLED"
    assert summary.final_summary_for_main_agent == "Cancelled with 0 of 2 callees done: 2 cancelled; cost $0.00."
    assert store.campaign("Dec").status == CampaignStatus.CANCELLED


def test_a_closed_window_defers_the_zones_callees_at_once(store, clock):
    rows = [{"phone_number": f"+1202555{1000 + i:04d}", "contact_name": f"P{i}", "objective": "o",
             "timezone": "Asia/Tokyo" if i < 3 else "Europe/London"} for i in range(5)]
    c, _ = store.import_campaign({"name": "W", "objective_template": "o", "max_retries": 0}, rows)
    ids = [j.id for j in store.campaign_jobs(c.id)]
    until = iso(START + timedelta(hours=9))
    assert store.defer_campaign_zone(c.id, "Asia/Tokyo", until, "deferred: closed", but=ids[0]) == 2
    jobs = store.campaign_jobs(c.id)
    assert [j.next_retry_at for j in jobs] == [None, until, until, None, None]
    assert jobs[1].last_error == "deferred: closed"
    assert claim(store).id == ids[0]  # the deferred ones are not due; London's are
    assert {claim(store).id, claim(store).id} == set(ids[3:]) and claim(store) is None


def test_start_holds_jobs_until_then(store, clock):
    campaign(store, n=2, start_at=iso(START + timedelta(minutes=30)))
    assert claim(store) is None
    clock.advance(30 * 60)
    assert claim(store) is not None


def test_progress_and_paging(store, clock):
    c = campaign(store, n=30, deadline_at=iso(START + timedelta(hours=10)))
    for _ in range(10):
        job = claim(store)
        status = "COMPLETED_SUCCESS" if job.id % 2 else "FAILED_MAX_RETRIES"
        store.decide(job.id, None, owner="e1", job_fields={"overall_status": status, "cost_estimate_usd": 0.1})
    clock.advance(600)
    (p,) = store.campaigns_progress()
    assert (p.total, p.finished, p.succeeded) == (30, 10, 5)
    assert p.success_rate == 0.5 and round(p.cost_usd, 2) == 1.0
    assert p.time_left_s == pytest.approx(20 * 600 / 10)  # 20 left at 10 per 10 min
    assert p.to_dict()["counts"] == {"COMPLETED_SUCCESS": 5, "FAILED_MAX_RETRIES": 5, "PENDING": 20}
    page = store.campaign_jobs(c.id, sort="contact", descending=True, offset=5, limit=5)
    assert [j.contact_name for j in page] == sorted((f"P{i}" for i in range(30)), key=str.lower,
                                                       reverse=True)[5:10]
    assert store.count_campaign_jobs(c.id, statuses=["PENDING"]) == 20
    assert [j.contact_name for j in store.campaign_jobs(c.id, search="p2")] == ["P2"] + [f"P2{i}" for i in
                                                                                           range(10)]
    assert store.count_campaign_jobs(c.id, search="+1202555101") == 10
    with pytest.raises(ValueError, match="unknown sort"):
        store.campaign_jobs(c.id, sort="id; DROP TABLE x")


def test_claims_stay_index_seeks_with_a_large_campaign(store, clock):
    """The single-call branch must not walk the campaign's rows."""
    import sqlalchemy as sa

    from store.db import transaction

    if store.is_postgres:
        pytest.skip("SQLite's plan; PostgreSQL plans by its statistics")
    campaign(store, n=2000)
    store.pause_campaign("Dec")
    with transaction(store.db) as conn:
        plan = conn.execute(sa.text(
            "EXPLAIN QUERY PLAN SELECT id FROM scheduled_calls WHERE campaign_id IS NULL AND"
            " overall_status = 'PENDING' AND next_retry_at IS NULL ORDER BY next_retry_at, id LIMIT 1")).all()
    assert "ix_calls_single_claim" in str(plan) or "ix_calls_campaign_claim" in str(plan), plan
