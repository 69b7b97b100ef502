"""Fixtures every area may use. Areas keep their own in tests/<area>/conftest.py."""
from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("SWITCHBOARD_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI") == "true"


def need(reason: str) -> None:
    """Skip for a missing service on a laptop; fail in CI, where it must exist."""
    if IN_CI:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


def _pg_admin():  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)


@contextmanager
def fresh_pg_database(prefix: str) -> Iterator[str]:
    """A new PostgreSQL database (its URL), dropped afterwards. Skips on a
    laptop without PostgreSQL; fails under CI=true, where it must exist."""
    try:
        admin = _pg_admin()
    except Exception as e:  # any connection failure means "no PostgreSQL here"
        need(f"PostgreSQL at {PG_ADMIN_URL} unreachable: {e.__class__.__name__}")
    name = f"sb_{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        with _pg_admin() as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session."""
    with fresh_pg_database("session") as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'calls.db'}"
