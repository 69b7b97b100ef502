"""The persistent do-not-call list: numbers (E.164) that must never be
dialled again, with why, from which job, when and who added them."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from core.events import DoNotCallChanged
from core.records import DoNotCallEntry
from store.db import transaction

INSERT = ("INSERT INTO do_not_call (phone_number, reason, job_id, added_at, added_by)"
          " VALUES (:p, :r, :j, :t, :b) ON CONFLICT (phone_number) DO NOTHING")


@dataclass(frozen=True)
class Listing:
    """Why a number goes on the do-not-call list, and who put it there."""
    reason: str
    added_by: str


class DoNotCallList:
    """Part of JobStore, which provides db, clock and bus."""

    def list_do_not_call(self) -> list[DoNotCallEntry]:
        """Newest first."""
        with transaction(self.db) as conn:
            rows = conn.execute(sa.text("SELECT * FROM do_not_call ORDER BY added_at DESC, id DESC")).mappings()
            return [DoNotCallEntry.from_row(r) for r in rows]

    def do_not_call_entry(self, phone_number: str) -> DoNotCallEntry | None:
        with transaction(self.db) as conn:
            row = conn.execute(sa.text("SELECT * FROM do_not_call WHERE phone_number = :p"),
                               {"p": phone_number}).mappings().first()
        return DoNotCallEntry.from_row(row) if row else None

    def add_do_not_call(self, phone_number: str, reason: str, *, added_by: str,
                        job_id: int | None = None) -> DoNotCallEntry:
        """List a number (kept as first listed if it already is); returns its entry."""
        with transaction(self.db) as conn:
            added = self._insert_do_not_call(conn, phone_number, reason, added_by=added_by, job_id=job_id)
            row = conn.execute(sa.text("SELECT * FROM do_not_call WHERE phone_number = :p"),
                               {"p": phone_number}).mappings().one()
        entry = DoNotCallEntry.from_row(row)
        if added:
            self._announce_do_not_call(entry.phone_number, entry.reason, entry.job_id, listed=True)
        return entry

    def _insert_do_not_call(self, conn: sa.Connection, phone_number: str, reason: str, *, added_by: str,
                            job_id: int | None) -> bool:
        result = conn.execute(sa.text(INSERT), {"p": phone_number, "r": reason, "j": job_id,
                                                "t": self.clock.now_iso(), "b": added_by})
        return bool(result.rowcount)

    def remove_do_not_call(self, phone_number: str) -> DoNotCallEntry | None:
        """Lift a listing; returns the entry removed, or None if it was not listed."""
        with transaction(self.db) as conn:
            row = conn.execute(sa.text("DELETE FROM do_not_call WHERE phone_number = :p RETURNING *"),
                               {"p": phone_number}).mappings().first()
        if row is None:
            return None
        entry = DoNotCallEntry.from_row(row)
        self._announce_do_not_call(entry.phone_number, entry.reason, entry.job_id, listed=False)
        return entry

    def _announce_do_not_call(self, phone_number: str, reason: str, job_id: int | None, *, listed: bool) -> None:
        if self.bus is not None:
            self.bus.publish(DoNotCallChanged(phone_number=phone_number, listed=listed,
                                              reason=reason, job_id=job_id))
