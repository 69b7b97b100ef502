"""The providers' account limits, held in the database every engine shares
(the database is the coordinator; there is no other broker):

- ``call_slots``: one row per call that may be in flight at once. An engine
  holds a slot from before it creates a call until the call is over. A slot
  whose job is no longer leased by its holder (the engine died, or another
  engine reclaimed the job) is free again, so slots live exactly as long as
  the job leases the engines already renew.
- ``call_pacer``: per service, the earliest moment (on the database's own
  clock, so engines on several machines agree) the next call may be
  created. Reserving moves it on by the gap; the caller waits until its
  reserved moment."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from core.clock import Clock, SystemClock
from store.db import migrate, transaction


def pacing_v1(conn: sa.Connection) -> None:
    conn.execute(sa.text(
        "CREATE TABLE call_slots (slot INTEGER PRIMARY KEY, holder TEXT, job_id INTEGER, taken_at VARCHAR(32))"))
    real = "DOUBLE PRECISION" if conn.dialect.name == "postgresql" else "REAL"
    conn.execute(sa.text(f"CREATE TABLE call_pacer (service VARCHAR(32) PRIMARY KEY, next_at {real} NOT NULL)"))


PACING_MIGRATIONS = [pacing_v1]


class PacingStore:
    def __init__(self, db: Any, *, is_postgres: bool, clock: Clock | None = None) -> None:
        self.db = db
        self.is_postgres = is_postgres
        self.clock = clock or SystemClock()
        if is_postgres:
            self._db_now = "CAST(EXTRACT(EPOCH FROM clock_timestamp()) AS DOUBLE PRECISION)"
        else:
            self._db_now = "((julianday('now') - 2440587.5) * 86400.0)"

    def init_db(self, slots: int, services: tuple[str, ...]) -> None:
        migrate(self.db, "pacing", PACING_MIGRATIONS)
        with transaction(self.db) as conn:
            for n in range(slots):
                conn.execute(sa.text("INSERT INTO call_slots (slot) VALUES (:s) ON CONFLICT (slot) DO NOTHING"),
                             {"s": n})
            for service in services:
                conn.execute(sa.text("INSERT INTO call_pacer (service, next_at) VALUES (:s, 0)"
                                     " ON CONFLICT (service) DO NOTHING"), {"s": service})

    def take_slot(self, holder: str, job_id: int, limit: int) -> int | None:
        """One of the first ``limit`` slots that is free, or None."""
        now = self.clock.now_iso()
        lock = " FOR UPDATE OF s SKIP LOCKED" if self.is_postgres else ""
        free = (
            "SELECT s.slot FROM call_slots s WHERE s.slot < :limit AND (s.holder IS NULL OR NOT EXISTS ("
            " SELECT 1 FROM scheduled_calls c WHERE c.id = s.job_id AND c.lease_owner = s.holder"
            " AND c.overall_status = 'PROCESSING' AND c.lease_expires_at >= :now))"
            f" ORDER BY s.slot LIMIT 1{lock}"
        )
        with transaction(self.db) as conn:
            return conn.execute(
                sa.text(f"UPDATE call_slots SET holder = :h, job_id = :j, taken_at = :now"
                        f" WHERE slot = ({free}) RETURNING slot"),
                {"h": holder, "j": job_id, "now": now, "limit": limit},
            ).scalar()

    def give_back(self, slot: int, holder: str, job_id: int) -> None:
        with transaction(self.db) as conn:
            conn.execute(sa.text("UPDATE call_slots SET holder = NULL, job_id = NULL, taken_at = NULL"
                                 " WHERE slot = :s AND holder = :h AND job_id = :j"),
                         {"s": slot, "h": holder, "j": job_id})

    def reserve(self, service: str, gap_s: float) -> float:
        """Reserve the next creation for ``service``; returns how many seconds
        to wait before making it (0 when it may go now)."""
        now = self._db_now
        greatest = "GREATEST" if self.is_postgres else "MAX"
        with transaction(self.db) as conn:
            at, db_now = conn.execute(
                sa.text(f"UPDATE call_pacer SET next_at = {greatest}(next_at, {now}) + :gap WHERE service = :s"
                        f" RETURNING next_at - :gap, {now}"),
                {"gap": gap_s, "s": service},
            ).one()
        return max(0.0, float(at) - float(db_now))
