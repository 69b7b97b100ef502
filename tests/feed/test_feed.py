"""The change feed between two stores on one database, as two processes
have them (each its own store and bus), and where the databases live."""
from __future__ import annotations

import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from core import config
from core.events import Bus
from core.runtime import Runtime
from store import JobStore
from store.feed import ChangeFeed
from tests.helpers import Recorder, wait_for
from tests.test_config import LIVE_ENV


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'calls.db'}"
        return
    from tests.conftest import fresh_pg_database

    with fresh_pg_database("feedunit") as pg:
        yield pg


@contextmanager
def two_writers(url: str) -> Iterator[tuple[JobStore, JobStore, Recorder]]:
    """(another process's store, this process's store, what this process's
    bus saw), this one's change feed running."""
    other = JobStore(url)
    other.init_db()
    bus = Bus()
    seen = Recorder()
    bus.subscribe(seen)
    mine = JobStore(url, bus=bus)
    feed = ChangeFeed(mine, bus)
    thread = threading.Thread(target=feed.run, daemon=True)
    thread.start()
    try:
        assert feed.connected.wait(10)
        yield other, mine, seen
    finally:
        feed.stop()
        thread.join(5)
        mine.close()
        other.close()


def test_another_writers_changes_arrive_once_with_badge_and_dismissal(url: str) -> None:
    with two_writers(url) as (other, mine, seen):
        job = other.create_job("+12025550101", "Akhil", "the invoice", max_retries=1)
        wait_for(lambda: seen.of("call_job_updated"), 5, what="the new job")
        other.update_job(job.id, overall_status="COMPLETED_SUCCESS", final_summary_for_main_agent="Paid.")
        badge = wait_for(lambda: seen.of("new_call_update_available"), 5, what="the badge")[0]
        assert (badge.job_id, badge.contact_name, badge.status_summary) == (job.id, "Akhil", "Paid.")
        other.dismiss_update(job.id)
        wait_for(lambda: seen.of("call_update_dismissed", job_id=job.id), 5, what="the dismissal")
        # this process tells it: the store announces its own write, the feed does not repeat it
        mine.mark_informed([job.id])
        other.update_job(job.id, cost_estimate_usd=0.5)  # a later change, so the feed has caught up
        wait_for(lambda: any(e.job.cost_estimate_usd == 0.5 for e in seen.of("call_job_updated")), 5,
                 what="the later change")
        versions = [e.job.updated_at for e in seen.of("call_job_updated")]
        assert len(versions) == len(set(versions)) == 5  # created, finished, dismissed, told, costed
        assert [e.job.main_agent_informed_user for e in seen.of("call_job_updated")][-2:] == [True, True]
        assert len(seen.of("new_call_update_available")) == 1 and len(seen.of("call_update_dismissed")) == 1


def test_a_job_another_console_cancelled_on_request_arrives_without_a_badge(url: str) -> None:
    with two_writers(url) as (other, _, seen):
        asked = other.create_job("+12025550101", "Akhil", "the invoice", max_retries=1)
        ended = other.create_job("+12025550102", "Priya", "the budget", max_retries=1)
        other.cancel_job(asked.id)  # the operator there knows: no badge here either
        other.update_job(ended.id, overall_status="FAILED_ERROR", final_summary_for_main_agent="Dead number.")
        cancelled = wait_for(lambda: [e.job for e in seen.of("call_job_updated")
                                      if e.job.id == asked.id and e.job.overall_status == "CANCELLED"], 5,
                             what="the cancellation")[0]
        wait_for(lambda: seen.of("new_call_update_available"), 5, what="the other job's badge")
        assert not cancelled.badge_due
        assert [e.job_id for e in seen.of("new_call_update_available")] == [ended.id]


def test_attempt_changes_are_job_changes(url: str) -> None:
    other = JobStore(url)
    other.init_db()
    bus = Bus()
    seen = Recorder()
    bus.subscribe(seen)
    mine = JobStore(url, bus=bus)
    job = other.create_job("+12025550101", "Akhil", "the invoice", max_retries=1)
    feed = ChangeFeed(mine, bus, known=[mine.get_job(job.id)])
    thread = threading.Thread(target=feed.run, daemon=True)
    thread.start()
    try:
        assert feed.connected.wait(10)
        attempt = other.start_attempt(job.id, 1, "the invoice", "engine-x")
        wait_for(lambda: seen.of("call_job_updated"), 5, what="the attempt's start")
        other.update_attempt(attempt.id, phase="DIALED", twilio_call_sid="CA1")
        wait_for(lambda: len(seen.of("call_job_updated")) == 2, 5, what="the dial")
    finally:
        feed.stop()
        thread.join(5)
        mine.close()
        other.close()


def test_relative_sqlite_paths_live_under_data_dir(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[app]\ndata_dir = "elsewhere/state"\n[mirror]\nenabled = false\n')
    cfg = config.load(path, env=LIVE_ENV, mode="live")
    rt = Runtime.build(cfg, with_workers=False)
    try:
        assert rt.jobs.url == f"sqlite:///{tmp_path / 'elsewhere/state/scheduled_calls.db'}"
        assert rt.conversation.url == f"sqlite:///{tmp_path / 'elsewhere/state/conversation_history.db'}"
        assert (tmp_path / "elsewhere/state/scheduled_calls.db").exists()
    finally:
        rt.close()


def test_a_console_with_calling_disabled_runs_no_engine(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(f'[app]\ndata_dir = "{tmp_path}"\n[calling]\nenabled = false\n')
    cfg = config.load(path, env=LIVE_ENV, mode="live")
    rt = Runtime.build(cfg)
    try:
        assert rt.engine is None and [w.name for w in rt.workers] == ["voice", "feed", "campaigns", "held-requests"]
    finally:
        rt.close()
