"""Hostile values at the store, the same on SQLite and PostgreSQL: a
wildcard matches only itself, NUL is kept (as a visible mark) instead of
losing the write, and an id beyond any integer column finds nothing."""
from __future__ import annotations

from typing import Iterator

import pytest
import sqlalchemy as sa

from core.clock import FixedClock
from store import ConversationStore, JobStore

HUGE = 10**40


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    from tests.conftest import fresh_pg_database

    with fresh_pg_database("hostile") as pg:
        yield pg
        sa.create_engine(pg.replace("postgresql://", "postgresql+psycopg://")).dispose()


@pytest.fixture
def jobs(url) -> Iterator[JobStore]:
    store = JobStore(url, clock=FixedClock())
    store.init_db()
    yield store
    store.close()


@pytest.mark.parametrize("pattern", ["%", "_", "%%", "a%", "\\", "_kh%"])
def test_like_wildcards_match_only_themselves(jobs, pattern):
    jobs.create_job("+12025550101", "Akhil", "the invoice", max_retries=3)
    jobs.create_job("+12025550102", "Priya", "the budget", max_retries=3)
    assert jobs.find_jobs(contact_name=pattern) == []
    assert jobs.find_jobs(objective_snippet=pattern) == []
    odd = jobs.create_job("+12025550103", f"x{pattern}y", f"about {pattern}", max_retries=3)
    assert [j.id for j in jobs.find_jobs(contact_name=pattern)] == [odd.id]
    assert [j.id for j in jobs.find_jobs(objective_snippet=pattern)] == [odd.id]


def test_nul_is_kept_visibly_on_every_database(jobs, url):
    job = jobs.create_job("+12025550101", "Ak\x00hil", "the\x00 invoice", max_retries=3)
    assert "\x00" not in job.contact_name and job.contact_name.startswith("Ak")
    attempt = jobs.start_attempt(job.id, 1, "o\x00", "e")
    assert "\x00" not in jobs.update_attempt(attempt.id, summary="said \x00").summary
    turns = ConversationStore(url, clock=FixedClock())
    turns.init_db()
    try:
        turns.add_turn("s1", "user", "call Akhil\x00 now")
        (turn,) = turns.get_recent_turns()
        assert turn.content == "call Akhil\u2400 now"
    finally:
        turns.close()


def test_an_id_beyond_any_integer_finds_nothing(jobs):
    assert jobs.get_job(HUGE) is None
    assert jobs.get_job(-HUGE) is None
    assert jobs.dismiss_update(HUGE) is None
    assert jobs.cancel_job(HUGE) is None
    assert jobs.retry_now(HUGE) is None
    assert jobs.attempts_for_job(HUGE) == []
