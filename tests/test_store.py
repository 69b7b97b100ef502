"""The store on SQLite and on PostgreSQL: schema, jobs, claims, turns."""
from __future__ import annotations

import threading
from typing import Iterator

import pytest
import sqlalchemy as sa

from core.clock import FixedClock
from core.events import Bus, CallJobUpdated
from core.records import JobStatus
from store import ConversationStore, JobStore
from store.do_not_call import Listing
from store.db import migrate


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    base = request.getfixturevalue("pg_database")
    yield base
    engine = sa.create_engine(base.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        for t in ("call_attempts", "scheduled_calls", "campaigns", "do_not_call", "conversation_turns", "conversation_summaries",
                  "schema_version"):
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {t} CASCADE"))
    engine.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def jobs(url: str, clock: FixedClock) -> Iterator[JobStore]:
    store = JobStore(url, clock=clock, bus=Bus(clock))
    store.init_db()
    yield store
    store.close()


@pytest.fixture
def turns(url: str, clock: FixedClock) -> Iterator[ConversationStore]:
    store = ConversationStore(url, clock=clock)
    store.init_db()
    yield store
    store.close()


def test_nothing_is_created_before_init_db(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "lazy.db"
    store = JobStore(f"sqlite:///{path}")
    assert not path.exists() or sa.inspect(store.db.engine).get_table_names() == []
    store.init_db()
    assert {"scheduled_calls", "call_attempts", "schema_version"} <= set(sa.inspect(store.db.engine).get_table_names())


def test_migrations_are_recorded_and_applied_once(jobs: JobStore) -> None:
    from store.schema import CALLS_MIGRATIONS

    jobs.init_db()
    calls: list[int] = []
    steps = list(CALLS_MIGRATIONS) + [lambda c: calls.append(1)]
    assert migrate(jobs.db, "calls", steps) == len(steps)
    assert migrate(jobs.db, "calls", steps) == len(steps)
    assert calls == [1]  # only the new step ran, once
    with jobs.db.engine.begin() as conn:
        version = conn.execute(sa.text("SELECT version FROM schema_version WHERE component='calls'")).scalar()
    assert version == len(steps)


def test_sqlite_runs_in_wal_mode(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = JobStore(f"sqlite:///{tmp_path / 'w.db'}")
    store.init_db()
    with store.db.engine.connect() as conn:
        assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(sa.text("PRAGMA busy_timeout")).scalar() == 30000


def test_job_life_and_events(jobs: JobStore, clock: FixedClock) -> None:
    seen: list[CallJobUpdated] = []
    assert jobs.bus is not None
    jobs.bus.subscribe(lambda e: seen.append(e) if isinstance(e, CallJobUpdated) else None)
    job = jobs.create_job("+12025550101", "Akhil", "the overdue invoice", max_retries=3, timezone="America/New_York")
    assert job.overall_status == JobStatus.PENDING and job.current_call_objective_description == "the overdue invoice"
    claimed = jobs.claim_next("engine-a", lease_s=60)
    assert claimed and claimed.id == job.id and claimed.lease_owner == "engine-a"
    assert jobs.claim_next("engine-b", lease_s=60) is None
    attempt = jobs.start_attempt(job.id, 1, "the overdue invoice", "engine-a")
    with pytest.raises(sa.exc.IntegrityError):
        jobs.start_attempt(job.id, 1, "again", "engine-b")
    assert jobs.decide(job.id, attempt.id, owner="engine-b", job_fields={"overall_status": "COMPLETED_SUCCESS"}) is None
    done = jobs.decide(
        job.id, attempt.id, owner="engine-a",
        job_fields={"overall_status": "COMPLETED_SUCCESS", "retries_attempted": 1, "final_summary_for_main_agent": "Paid."},
        attempt_fields={"attempt_outcome": "success", "transcript": [{"role": "agent", "text": "hi"}]},
    )
    assert done and done.overall_status == "COMPLETED_SUCCESS" and done.lease_owner is None
    assert jobs.attempts_for_job(job.id)[0].phase == "DECIDED"
    assert [j.id for j in jobs.pending_updates()] == [job.id]
    assert len(jobs.mark_informed([job.id])) == 1
    assert jobs.mark_informed([job.id]) == []  # exactly once
    assert jobs.pending_updates() == []
    # starting the attempt is a change of its job too (so other processes' feeds hear it)
    assert [e.job.overall_status for e in seen] == ["PENDING", "PROCESSING", "PROCESSING", "COMPLETED_SUCCESS",
                                                      "COMPLETED_SUCCESS"]


def test_due_retries_and_expired_leases_are_claimed(jobs: JobStore, clock: FixedClock) -> None:
    job = jobs.create_job("+12025550102", "Priya", "budget", max_retries=3)
    jobs.update_job(job.id, overall_status="RETRY_SCHEDULED", next_retry_at="2026-01-05T10:10:00.000Z")
    assert jobs.claim_next("a", 30) is None
    clock.advance(600)
    assert jobs.claim_next("a", 30).id == job.id
    assert jobs.claim_next("b", 30) is None
    clock.advance(31)  # engine a died; its lease ran out
    again = jobs.claim_next("b", 30)
    assert again and again.lease_owner == "b"
    assert jobs.renew_lease(job.id, "a", 30) is False
    assert jobs.renew_lease(job.id, "b", 30) is True


def test_concurrent_claims_never_share_a_job(jobs: JobStore) -> None:
    for i in range(60):
        jobs.create_job(f"+1202555{1000 + i:04d}", f"C{i}", "x", max_retries=1)
    got: dict[str, list[int]] = {}

    def engine(name: str) -> None:
        mine = got.setdefault(name, [])
        while (job := jobs.claim_next(name, 60)) is not None:
            mine.append(job.id)

    threads = [threading.Thread(target=engine, args=(f"e{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    claimed = [j for ids in got.values() for j in ids]
    assert sorted(claimed) == sorted(set(claimed)) and len(claimed) == 60


def test_cancel_pending_and_processing(jobs: JobStore) -> None:
    a = jobs.create_job("+12025550101", "A", "x", max_retries=1)
    b = jobs.create_job("+12025550102", "B", "y", max_retries=1)
    assert jobs.cancel_job(a.id).overall_status == "CANCELLED"
    jobs.claim_next("e", 60)  # takes b
    flagged = jobs.cancel_job(b.id)
    assert flagged.overall_status == "PROCESSING" and flagged.cancel_requested is True
    assert jobs.cancel_job(a.id) is None


def test_find_jobs_matches_name_and_objective(jobs: JobStore, clock: FixedClock) -> None:
    jobs.create_job("+12025550101", "Akhil", "overdue invoice 1142", max_retries=1)
    clock.advance(1)
    jobs.create_job("+12025550102", "Priya", "Q3 budget", max_retries=1)
    assert [j.contact_name for j in jobs.find_jobs(contact_name="akh")] == ["Akhil"]
    assert [j.contact_name for j in jobs.find_jobs(objective_snippet="BUDGET")] == ["Priya"]
    assert [j.contact_name for j in jobs.find_jobs()] == ["Priya", "Akhil"]


def test_turns_come_back_in_conversation_order(turns: ConversationStore, clock: FixedClock) -> None:
    t0 = clock.now_iso()
    clock.advance(1)
    turns.add_turn("s1", "assistant", "Sure, calling Akhil.", timestamp=clock.now_iso())
    # the user's transcript arrives later but joined the conversation first
    turns.add_turn("s1", "user", "Call Akhil", timestamp=t0, item_id="item_u1")
    clock.advance(1)
    turns.add_turn("s2", "user", "Any news?")
    assert [t.content for t in turns.get_recent_turns(10)] == ["Call Akhil", "Sure, calling Akhil.", "Any news?"]
    assert [t.content for t in turns.get_recent_turns(2)] == ["Sure, calling Akhil.", "Any news?"]
    last = turns.get_recent_turns(1)[0]
    assert [t.content for t in turns.get_turns_before(last.turn_id, 1)] == ["Sure, calling Akhil."]
    with pytest.raises(ValueError):
        turns.add_turn("s1", "robot", "x")


def test_summaries(turns: ConversationStore) -> None:
    assert turns.latest_summary() is None
    turns.save_summary("first", 1)
    turns.save_summary("second", 2)
    assert turns.latest_summary().summary == "second"


def test_create_jobs_in_bulk(jobs: JobStore) -> None:
    jobs.create_jobs({"phone_number": f"+1202555{1000 + i:04d}", "contact_name": f"C{i}", "objective": "x"}
                     for i in range(250))
    assert jobs.counts() == {"PENDING": 250}
    assert jobs.claim_next("e", 60).current_call_objective_description == "x"
    with pytest.raises(ValueError, match="unknown fields"):
        jobs.create_jobs([{"phone_number": "+12025550101", "contact_name": "A", "objective": "x", "colour": "red"}])


def test_do_not_call_table_and_the_declined_decision(jobs: JobStore, clock: FixedClock) -> None:
    seen: list = []
    assert jobs.bus is not None
    jobs.bus.subscribe(seen.append)
    job = jobs.create_job("+12025550106", "Lee", "the contract", max_retries=3)
    claimed = jobs.claim_next("engine-1", 60)
    assert claimed is not None and claimed.id == job.id
    attempt = jobs.start_attempt(job.id, 1, "the contract", "engine-1")
    done = jobs.decide(job.id, attempt.id, owner="engine-1",
                       job_fields={"overall_status": "DECLINED", "final_summary_for_main_agent": "Lee said no."},
                       attempt_fields={"attempt_outcome": "DECLINED", "cost_usd": 0.01},
                       do_not_call=Listing("Lee asked not to be called again", added_by="the refusal rule"))
    assert done is not None and done.overall_status == "DECLINED"
    (entry,) = jobs.list_do_not_call()
    assert entry == entry.replace(phone_number="+12025550106", job_id=job.id, added_by="the refusal rule",
                                  reason="Lee asked not to be called again", added_at=clock.now_iso())
    assert jobs.attempts_for_job(job.id)[0].cost_usd == 0.01
    assert [(e.phone_number, e.listed) for e in seen if e.type == "do_not_call_changed"] == [("+12025550106", True)]
    # listing again keeps the first entry, and says nothing new
    again = jobs.add_do_not_call("+12025550106", "another reason", added_by="operator")
    assert again.reason == "Lee asked not to be called again" and len(jobs.list_do_not_call()) == 1
    assert len([e for e in seen if e.type == "do_not_call_changed"]) == 1
    # a finished DECLINED job is an update to tell
    assert [j.id for j in jobs.pending_updates()] == [job.id]
    # lifting it
    assert jobs.remove_do_not_call("+12025550106").job_id == job.id
    assert jobs.remove_do_not_call("+12025550106") is None
    assert jobs.do_not_call_entry("+12025550106") is None
    assert [(e.phone_number, e.listed) for e in seen if e.type == "do_not_call_changed"][-1] == ("+12025550106", False)


def test_a_decision_that_lost_its_lease_lists_nothing(jobs: JobStore) -> None:
    job = jobs.create_job("+12025550106", "Lee", "the contract", max_retries=3)
    assert jobs.decide(job.id, None, owner="someone-else", job_fields={"overall_status": "DECLINED"},
                       do_not_call=Listing("x", added_by="y")) is None
    assert jobs.list_do_not_call() == []
