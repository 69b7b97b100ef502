"""The persistent do-not-call list: numbers (E.164) that must never be
dialled again, with why, from which job, when and who added them."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from core.events import DoNotCallChanged
from store.db import transaction

INSERT = ("INSERT INTO do_not_call (phone_number, reason, job_id, added_at, added_by)"
          " VALUES (:p, :r, :j, :t, :b) ON CONFLICT (phone_number) DO NOTHING")


class DoNotCallList:
    """Part of JobStore, which provides db, clock and bus."""

    def list_do_not_call(self) -> list[dict[str, Any]]:
        """Newest first."""
        with transaction(self.db) as conn:
            rows = conn.execute(sa.text("SELECT * FROM do_not_call ORDER BY added_at DESC, id DESC")).mappings()
            return [dict(r) for r in rows]

    def do_not_call_entry(self, phone_number: str) -> dict[str, Any] | None:
        with transaction(self.db) as conn:
            row = conn.execute(sa.text("SELECT * FROM do_not_call WHERE phone_number = :p"),
                               {"p": phone_number}).mappings().first()
        return dict(row) if row else None

    def add_do_not_call(self, phone_number: str, reason: str, *, added_by: str,
                        job_id: int | None = None) -> dict[str, Any]:
        """List a number (kept as first listed if it already is); returns its entry."""
        with transaction(self.db) as conn:
            added = self._insert_do_not_call(conn, phone_number, reason, added_by=added_by, job_id=job_id)
            row = conn.execute(sa.text("SELECT * FROM do_not_call WHERE phone_number = :p"),
                               {"p": phone_number}).mappings().one()
        if added:
            self._announce_do_not_call(dict(row), listed=True)
        return dict(row)

    def _insert_do_not_call(self, conn: sa.Connection, phone_number: str, reason: str, *, added_by: str,
                            job_id: int | None) -> bool:
        result = conn.execute(sa.text(INSERT), {"p": phone_number, "r": reason, "j": job_id,
                                                "t": self.clock.now_iso(), "b": added_by})
        return bool(result.rowcount)

    def remove_do_not_call(self, phone_number: str) -> dict[str, Any] | None:
        """Lift a listing; returns the entry removed, or None if it was not listed."""
        with transaction(self.db) as conn:
            row = conn.execute(sa.text("DELETE FROM do_not_call WHERE phone_number = :p RETURNING *"),
                               {"p": phone_number}).mappings().first()
        if row is None:
            return None
        self._announce_do_not_call(dict(row), listed=False)
        return dict(row)

    def _announce_do_not_call(self, entry: dict[str, Any], *, listed: bool) -> None:
        if self.bus is not None:
            self.bus.publish(DoNotCallChanged(phone_number=entry["phone_number"], listed=listed,
                                              reason=entry["reason"], job_id=entry["job_id"]))
