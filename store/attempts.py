"""Attempts: one row per dial of a job, written before each step so a crash
can be reconciled, and the decision that closes an attempt. Part of
JobStore, which provides db, clock, bus and the job-publishing helpers."""
from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from core.records import Attempt, Job, Phase
from store.db import transaction
from store.do_not_call import Listing
from store.rows import ATTEMPT_FIELDS, Columns, is_id, job_update, set_clause


class Attempts:
    def start_attempt(self, job_id: int, attempt_number: int, objective: str, engine_id: str) -> Attempt:
        """Written before dialing; (job_id, attempt_number) is unique, so a
        second engine cannot start the same attempt."""
        with transaction(self.db) as conn:
            row = conn.execute(
                sa.text(
                    "INSERT INTO call_attempts (job_id, attempt_number, started_at, objective, phase, engine_id)"
                    " VALUES (:j, :n, :t, :o, :phase, :e) RETURNING *"
                ),
                {"j": job_id, "n": attempt_number, "t": self.clock.now_iso(), "o": objective, "e": engine_id,
                 "phase": Phase.CREATED.value},
            ).mappings().one()
            job = self._touch(conn, job_id)
        self._publish_row(job)
        return Attempt.from_row(row)

    def update_attempt(self, attempt_id: int, **fields: Any) -> Attempt:
        if "transcript" in fields and not isinstance(fields["transcript"], (str, type(None))):
            fields["transcript"] = json.dumps(fields["transcript"])
        with transaction(self.db) as conn:
            row = conn.execute(
                sa.text(f"UPDATE call_attempts SET {set_clause(fields, ATTEMPT_FIELDS)} WHERE id = :_id RETURNING *"),
                dict(fields, _id=attempt_id),
            ).mappings().one()
            job = self._touch(conn, row["job_id"])
        self._publish_row(job)
        return Attempt.from_row(row)

    def _touch(self, conn: sa.Connection, job_id: int) -> Any:
        """An attempt changed: so does its job's updated_at, which is what every
        other process's change feed watches."""
        return self._mine(conn.execute(
            sa.text("UPDATE scheduled_calls SET updated_at = :t WHERE id = :i RETURNING *"),
            {"t": self.clock.now_iso(), "i": job_id},
        ).mappings().one())

    def attempts_for_job(self, job_id: int) -> list[Attempt]:
        if not is_id(job_id):
            return []
        with transaction(self.db) as conn:
            rows = conn.execute(
                sa.text("SELECT * FROM call_attempts WHERE job_id = :j ORDER BY attempt_number"), {"j": job_id}
            ).mappings()
            return [Attempt.from_row(r) for r in rows]

    def open_attempt(self, job_id: int) -> Attempt | None:
        """The attempt of this job that has not been decided yet, if any."""
        with transaction(self.db) as conn:
            row = conn.execute(
                sa.text(
                    "SELECT * FROM call_attempts WHERE job_id = :j AND phase <> :decided"
                    " ORDER BY attempt_number DESC LIMIT 1"
                ),
                {"j": job_id, "decided": Phase.DECIDED.value},
            ).mappings().first()
        return Attempt.from_row(row) if row else None

    def decide(
        self,
        job_id: int,
        attempt_id: int | None,
        *,
        owner: str | None,
        job_fields: Columns,
        attempt_fields: Columns | None = None,
        do_not_call: Listing | None = None,
    ) -> Job | None:
        """Record an attempt's outcome and the job's next state in one
        transaction, releasing the lease. None if ``owner`` lost the lease.
        ``do_not_call`` lists the job's number in the same
        transaction."""
        # the attempt is over: an operator's hang-up request was for it
        job_fields = dict(job_fields, lease_owner=None, lease_expires_at=None, hangup_requested=False,
                          updated_at=self.clock.now_iso())
        job_sql, params = job_update(job_id, job_fields, owner)
        with transaction(self.db) as conn:
            row = conn.execute(job_sql, params).mappings().first()
            if row is None:
                conn.rollback()
                return None
            self._mine(row)
            if attempt_id is not None:
                fields = dict(attempt_fields or {}, phase=Phase.DECIDED.value)
                if "transcript" in fields and not isinstance(fields["transcript"], (str, type(None))):
                    fields["transcript"] = json.dumps(fields["transcript"])
                conn.execute(
                    sa.text(f"UPDATE call_attempts SET {set_clause(fields, ATTEMPT_FIELDS)} WHERE id = :_id"),
                    dict(fields, _id=attempt_id),
                )
            listed = do_not_call is not None and self._insert_do_not_call(
                conn, row["phone_number"], do_not_call.reason, added_by=do_not_call.added_by, job_id=job_id)
        if listed:
            self._announce_do_not_call(row["phone_number"], do_not_call.reason, job_id, listed=True)
        return self._publish_row(row)

    def last_call_started(self, phone_number: str, exclude_job: int | None = None) -> str | None:
        """When the latest attempt to this number (by any job but ``exclude_job``) started."""
        with transaction(self.db) as conn:
            return conn.execute(
                sa.text(
                    "SELECT MAX(a.started_at) FROM call_attempts a JOIN scheduled_calls j ON j.id = a.job_id"
                    " WHERE j.phone_number = :p AND a.job_id <> :x"
                ),
                {"p": phone_number, "x": -1 if exclude_job is None else exclude_job},
            ).scalar()

    def legs_to_number(self, phone_number: str, since: str, exclude_attempt: int) -> list[tuple[str | None, Phase]]:
        """(twilio_call_sid, phase) of every other attempt to this number started
        since ``since``: the legs a lookup by number must not take for its own."""
        with transaction(self.db) as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT a.twilio_call_sid, a.phase FROM call_attempts a JOIN scheduled_calls j ON j.id = a.job_id"
                    " WHERE j.phone_number = :p AND a.started_at >= :s AND a.id <> :x"
                ),
                {"p": phone_number, "s": since, "x": exclude_attempt},
            ).all()
        return [(sid, Phase(phase)) for sid, phase in rows]

    def all_attempts(self) -> list[Attempt]:
        with transaction(self.db) as conn:
            rows = conn.execute(sa.text("SELECT * FROM call_attempts ORDER BY job_id, attempt_number")).mappings()
            return [Attempt.from_row(r) for r in rows]
