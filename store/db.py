"""Opening a database and bringing its schema up to date."""
from __future__ import annotations

import logging
import sqlite3
import threading
import weakref
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import dataset
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)

Migration = Callable[[sa.Connection], None]


def open_db(url: str) -> dataset.Database:
    """SQLite gets WAL, a busy timeout and NullPool (a pooled SQLite
    connection shared across many threads ends in "database is locked");
    PostgreSQL keeps a small pool, since a connect costs milliseconds."""
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        kwargs = {"poolclass": NullPool, "connect_args": {"timeout": 30, "check_same_thread": False}}
        db = dataset.connect(
            url,
            engine_kwargs=kwargs,
            ensure_schema=False,
            # journal_mode=WAL is what the docstring promised: readers never block the
            # writer, and a commit appends to the log instead of fsyncing a rollback journal
            # secure_delete: a value overwritten (a joinUrl once dialled) is zeroed, not left in free space
            on_connect_statements=["PRAGMA busy_timeout=30000", "PRAGMA journal_mode=WAL",
                                   "PRAGMA synchronous=NORMAL", "PRAGMA secure_delete=ON"],
        )
        if path and path != ":memory:":
            _keep_wal_open(db, path)
        keep_nul_visibly(db.engine)
        return db
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    db = dataset.connect(
        url,
        engine_kwargs={"pool_size": 8, "max_overflow": 16, "pool_pre_ping": True},
        ensure_schema=False,
    )
    keep_nul_visibly(db.engine)
    return db


def _keep_wal_open(db: dataset.Database, path: str) -> None:
    """Hold one idle connection for the store's lifetime. With NullPool every
    operation opens and closes its own connection, and when the LAST
    connection to a WAL database closes, SQLite checkpoints and deletes the
    log: ~10 ms on every write. An idle connection that has read once (so it
    is attached to the WAL index) stops that; it holds no transaction."""
    keeper = sqlite3.connect(path, timeout=30, check_same_thread=False)
    keeper.execute("PRAGMA journal_mode=WAL").fetchall()
    keeper.execute("SELECT COUNT(*) FROM sqlite_master").fetchall()
    weakref.finalize(db, keeper.close)


_migrate_lock = threading.Lock()


def migrate(db: dataset.Database, component: str, migrations: list[Migration]) -> int:
    """Apply the migrations of ``component`` not yet applied; returns the version.

    ``schema_version`` holds one row per component (calls, conversation), so
    both may share one database."""
    engine = db.engine
    assert engine is not None
    with _migrate_lock, engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # several engines may start at once against one database
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(72231)"))
        conn.execute(
            sa.text(
                "CREATE TABLE IF NOT EXISTS schema_version ("
                " component VARCHAR(64) PRIMARY KEY, version INTEGER NOT NULL)"
            )
        )
        row = conn.execute(
            sa.text("SELECT version FROM schema_version WHERE component = :c"), {"c": component}
        ).first()
        version = row[0] if row else 0
        for number, step in enumerate(migrations[version:], start=version + 1):
            log.info("migrating %s schema to version %d", component, number)
            step(conn)
        if len(migrations) != version:
            if row:
                conn.execute(
                    sa.text("UPDATE schema_version SET version = :v WHERE component = :c"),
                    {"v": len(migrations), "c": component},
                )
            else:
                conn.execute(
                    sa.text("INSERT INTO schema_version (component, version) VALUES (:c, :v)"),
                    {"c": component, "v": len(migrations)},
                )
        return len(migrations)


@contextmanager
def transaction(db: dataset.Database) -> Iterator[sa.Connection]:
    """One transaction on a connection of our own, released at the end, so
    no thread keeps a stale read snapshot open between operations."""
    engine = db.engine
    assert engine is not None
    with engine.begin() as conn:
        yield conn


NUL_MARK = "\u2400"  # ␀


def keep_nul_visibly(engine: sa.Engine) -> None:
    """PostgreSQL refuses NUL in text and SQLite keeps it: so that a value
    behaves the same on both (and nothing said is lost), every NUL in a text
    parameter is stored as the visible mark ␀."""
    sa.event.listen(engine, "before_cursor_execute", _mark_nul, retval=True)


def _mark_nul(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
    return statement, without_nul(parameters)


def without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", NUL_MARK) if "\x00" in value else value
    if isinstance(value, dict):
        return {k: without_nul(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        # the common case, a flat row without NUL, is checked with no call per value (a bulk insert has 100,000s)
        if all(("\x00" not in v) if isinstance(v, str) else not isinstance(v, (dict, list, tuple)) for v in value):
            return value
        return type(value)(without_nul(v) for v in value)
    return value
