"""Telling outcomes: which finished jobs this process's assistant is to
say, and marking them told once said. Part of JobStore."""
from __future__ import annotations

from datetime import timedelta
from typing import Iterable

import sqlalchemy as sa

from core.clock import iso
from core.records import FINISHED, Job
from store.db import transaction
from store.rows import is_id

TELL_CLAIM_S = 120.0  # how long one process holds the telling of an outcome (pending_updates)


class Telling:
    def pending_updates(self, limit: int = 50) -> list[Job]:
        """Finished jobs not told yet that this process's assistant is to tell.

        However many consoles share the database, one tells each outcome: the
        first to ask claims it (``teller``) for TELL_CLAIM_S, renewed while it
        keeps asking; the others leave it to that one (their badges stay until
        it is told). A claim that lapses (that console closed or lost its
        assistant) lets another console take the outcome over. The claim does
        not move ``updated_at``: it is no change any view shows."""
        now = self.clock.now()
        untold = ("main_agent_informed_user = FALSE AND campaign_id IS NULL AND overall_status IN ("
                  + ", ".join(f"'{s.value}'" for s in sorted(FINISHED)) + ")")
        params = {"me": self.teller, "n": limit, "now": iso(now),
                  "until": iso(now + timedelta(seconds=TELL_CLAIM_S)),
                  "renew": iso(now + timedelta(seconds=TELL_CLAIM_S / 2))}
        with transaction(self.db) as conn:
            conn.execute(sa.text(
                f"UPDATE scheduled_calls SET teller = :me, teller_until = :until WHERE {untold}"
                " AND (teller IS NULL OR teller_until < :now OR (teller = :me AND teller_until < :renew))"
            ), params)
            rows = conn.execute(sa.text(
                f"SELECT * FROM scheduled_calls WHERE {untold} AND teller = :me ORDER BY updated_at LIMIT :n"
            ), params).mappings()
            return [Job.from_row(r) for r in rows]

    def mark_informed(self, job_ids: Iterable[int]) -> list[Job]:
        """Mark jobs told; returns only those this call changed (exactly once)."""
        ids = [int(i) for i in job_ids if is_id(int(i))]
        if not ids:
            return []
        now = self.clock.now_iso()
        with transaction(self.db) as conn:
            rows = conn.execute(
                sa.text(
                    "UPDATE scheduled_calls SET main_agent_informed_user = TRUE, informed_at = :t, updated_at = :t"
                    f" WHERE main_agent_informed_user = FALSE AND id IN ({','.join(str(i) for i in ids)})"
                    " RETURNING *"
                ),
                {"t": now},
            ).mappings().all()
            for r in rows:
                self._mine(r)
        jobs = [Job.from_row(r) for r in rows]
        self._publish(jobs)
        return jobs

    def dismiss_update(self, job_id: int) -> Job | None:
        return self.update_job(job_id, update_dismissed=True)

