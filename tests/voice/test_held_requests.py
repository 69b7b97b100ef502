"""A call request the database cannot write yet: held when the cause passes
(a full disk, a lock), never for one that does not (read-only), written again
with its key until it lands once, dropped with a word when the checks refuse
it by then."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlalchemy.exc

from calling.held_requests import HeldRequest, HeldRequests
from store import JobStore, errors
from tests.voice.conftest import run_tool, simulate_settings, tool_store
from voice.tools import ToolBox


def _failure(words: str) -> sqlalchemy.exc.OperationalError:
    return sqlalchemy.exc.OperationalError("INSERT INTO scheduled_calls …", {}, sqlite3.OperationalError(words))


class FailingStore(JobStore):
    failure: BaseException | None = None

    def create_job(self, *args, **kwargs):
        if self.failure is not None:
            raise self.failure
        return super().create_job(*args, **kwargs)


@pytest.fixture
def env(tmp_path: Path):
    settings = simulate_settings()
    clock, bus, rec, jobs = tool_store(tmp_path, FailingStore)
    held = HeldRequests(jobs, settings, bus)
    yield ToolBox(jobs, settings, bus, clock, held=held), held, jobs, rec
    jobs.close()


def _schedule(box: ToolBox, **args) -> str:
    return run_tool(box, "schedule_outbound_call", **args)


def test_which_failures_pass():
    assert errors.passes(_failure("database or disk is full"))
    assert errors.passes(_failure("database is locked"))
    assert errors.passes(OSError(28, "No space left on device"))
    assert not errors.passes(_failure("attempt to write a readonly database"))
    assert not errors.passes(_failure("file is not a database"))


def test_a_full_disk_holds_the_request_until_it_lands_once(env):
    box, held, jobs, rec = env
    jobs.failure = _failure("database or disk is full")
    answer = _schedule(box, contact_name="Akhil", call_objective="confirm the invoice")
    assert "not saved yet because the disk is full" in answer and "held" in answer
    assert [r.who for r in held.held()] == ["Akhil"] and jobs.list_jobs() == []
    held.retry()  # still full
    assert len(held.held()) == 1 and jobs.list_jobs() == []
    jobs.failure = None
    held.retry()
    held.retry()
    (job,) = jobs.list_jobs()
    assert job.contact_name == "Akhil" and job.request_key == held_key(rec) and held.held() == []
    assert any(f"job {job.id}" in n.text for n in rec.of("notice") if n.level == "info")


def held_key(rec) -> str:
    (job,) = [e.job for e in rec.of("call_job_updated")]
    return job.request_key


def test_a_read_only_database_is_said_not_held(env):
    box, held, jobs, rec = env
    jobs.failure = _failure("attempt to write a readonly database")
    answer = _schedule(box, contact_name="Akhil", call_objective="confirm the invoice")
    assert "read-only" in answer and "held" not in answer and held.held() == []


def test_a_request_refused_by_then_is_dropped_with_the_reason(env):
    box, held, jobs, rec = env
    held.hold(HeldRequest("k-2", "Akhil", None, "confirm the invoice"), "the disk is full (free some space)")
    jobs.add_do_not_call("+12025550101", "asked not to be called", added_by="operator")
    held.retry()
    assert held.held() == [] and jobs.list_jobs() == []
    assert any("was not scheduled" in n.text and "do-not-call" in n.text for n in rec.of("notice"))


@pytest.mark.parametrize("db", ["sqlite", "postgresql"])
def test_a_request_key_names_one_job_on_both_databases(db, tmp_path):
    from contextlib import nullcontext

    from tests.conftest import fresh_pg_database

    where = fresh_pg_database("held") if db == "postgresql" else nullcontext(f"sqlite:///{tmp_path / 'calls.db'}")
    with where as url:
        jobs = JobStore(url)
        jobs.init_db()
        try:
            job = jobs.create_job("+12025550101", "Akhil", "the invoice", max_retries=1, request_key="k-9")
            with pytest.raises(sqlalchemy.exc.IntegrityError):
                jobs.create_job("+12025550101", "Akhil", "the invoice", max_retries=1, request_key="k-9")
            jobs.create_job("+12025550102", "Priya", "the budget", max_retries=1)  # no key: many may have none
            jobs.create_job("+12025550103", "Marco", "the review", max_retries=1)
            assert jobs.job_for_request("k-9").id == job.id and jobs.job_for_request("k-0") is None
        finally:
            jobs.close()
