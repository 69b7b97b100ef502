"""Call jobs and their attempts. Every write publishes the job's new row as
``call_job_updated`` (when a bus is given), so every view stays in step
whoever changed it."""
from __future__ import annotations

import json
import os
import socket
import uuid
from datetime import timedelta
from enum import StrEnum
from typing import Any, Iterable

import sqlalchemy as sa

from core.clock import Clock, SystemClock, iso
from core.events import Bus, CallJobUpdated
from store.campaign_end import CampaignEnd
from store.campaign_views import CampaignViews
from store.campaigns import Campaigns
from store.claims import Claims
from store.db import migrate, open_db, transaction
from store.do_not_call import DoNotCallList
from store.notify import FEED_MIGRATIONS
from store.schema import CALLS_MIGRATIONS


class Status(StrEnum):
    PENDING = "PENDING"
    PROCESSING = "PROCESSING"
    RETRY_SCHEDULED = "RETRY_SCHEDULED"
    COMPLETED_SUCCESS = "COMPLETED_SUCCESS"
    FAILED_MAX_RETRIES = "FAILED_MAX_RETRIES"
    FAILED_ERROR = "FAILED_ERROR"
    CANCELLED = "CANCELLED"
    DECLINED = "DECLINED"  # the callee asked not to be called again, or the number is on the do-not-call list
    EXPIRED = "EXPIRED"  # a campaign's job not called before the campaign's deadline


FINISHED = frozenset({Status.COMPLETED_SUCCESS, Status.FAILED_MAX_RETRIES, Status.FAILED_ERROR, Status.CANCELLED,
                      Status.DECLINED, Status.EXPIRED})
ACTIVE = frozenset({Status.PENDING, Status.PROCESSING, Status.RETRY_SCHEDULED})

JOB_FIELDS = frozenset({
    "phone_number", "contact_name", "initial_call_objective_description",
    "current_call_objective_description", "overall_status", "retries_attempted", "max_retries",
    "next_retry_at", "final_summary_for_main_agent", "main_agent_informed_user", "timezone",
    "lease_owner", "lease_expires_at", "cancel_requested", "cancel_reason", "update_dismissed",
    "informed_at", "last_error", "cost_estimate_usd", "campaign_id",
})
ATTEMPT_FIELDS = frozenset({
    "started_at", "ended_at", "ultravox_call_id", "twilio_call_sid", "end_reason", "transcript",
    "attempt_outcome", "strategist_reasoning_for_attempt", "error_details", "objective", "phase",
    "twilio_status", "answered_by", "duration_s", "summary", "decision_source", "engine_id",
    "join_url", "cost_usd",
    "recording_url",
})


# ids are 64-bit on every database; a larger one names no job (and SQLite
# would refuse the parameter outright)
MAX_ID = 2**63 - 1


def is_id(job_id: int) -> bool:
    return 0 < job_id <= MAX_ID


def like_literal(text: str) -> str:
    """``text`` for a LIKE pattern (with ESCAPE '\\') that matches only itself."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")

TELL_CLAIM_S = 120.0  # how long one process holds the telling of an outcome (pending_updates)


def _job(row: Any) -> dict[str, Any]:
    job = dict(row)
    for flag in ("main_agent_informed_user", "cancel_requested", "update_dismissed"):
        job[flag] = bool(job[flag])
    return job


def _set_clause(fields: dict[str, Any], allowed: frozenset[str]) -> str:
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"unknown fields: {sorted(unknown)}")
    return ", ".join(f"{k} = :{k}" for k in fields)


def _job_update(job_id: int, fields: dict[str, Any], owner: str | None) -> tuple[sa.TextClause, dict[str, Any]]:
    """UPDATE … RETURNING of one job; with ``owner``, only while it holds the lease."""
    sql = f"UPDATE scheduled_calls SET {_set_clause(fields, JOB_FIELDS | {'updated_at'})} WHERE id = :_id"
    params = dict(fields, _id=job_id)
    if owner is not None:
        sql += " AND lease_owner = :_owner"
        params["_owner"] = owner
    return sa.text(sql + " RETURNING *"), params


def is_untold_update(job: dict[str, Any]) -> bool:
    """A finished outcome the assistant has still to say. A campaign's own
    jobs are told through the campaign's one summary job, never one by one."""
    return (job["overall_status"] in FINISHED and not job["main_agent_informed_user"]
            and job.get("campaign_id") is None)


class JobStore(Claims, DoNotCallList, Campaigns, CampaignViews, CampaignEnd):
    def __init__(self, url: str, clock: Clock | None = None, bus: Bus | None = None) -> None:
        self.url = url
        self.clock = clock or SystemClock()
        self.bus = bus
        self.db = open_db(url)
        assert self.db.engine is not None
        self.is_postgres = self.db.engine.dialect.name == "postgresql"
        self.teller = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"  # see pending_updates
        # job id -> updated_at of this store's latest write, noted before its commit,
        # so the change feed never re-announces a write this process publishes itself
        self._own: dict[int, str] = {}

    def init_db(self) -> None:
        migrate(self.db, "calls", CALLS_MIGRATIONS)
        migrate(self.db, "feed", FEED_MIGRATIONS)

    def close(self) -> None:
        self.db.close()

    def _mine(self, row: Any) -> Any:
        """Note a job row this store is writing (call inside the transaction)."""
        if row is not None:
            self._own[int(row["id"])] = str(row["updated_at"])
        return row

    def is_own_write(self, job: dict[str, Any]) -> bool:
        """Whether this job row, as read, is this store's own latest write."""
        return self._own.get(int(job["id"])) == job["updated_at"]

    def _publish_row(self, row: Any) -> dict[str, Any]:
        job = _job(row)
        self._publish([job])
        return job

    def _publish(self, jobs: Iterable[dict[str, Any]]) -> None:
        if self.bus is not None:
            for job in jobs:
                self.bus.publish(CallJobUpdated(job=job))

    # --- jobs -------------------------------------------------------------

    def create_job(
        self,
        phone_number: str,
        contact_name: str,
        objective: str,
        *,
        max_retries: int,
        timezone: str | None = None,
    ) -> dict[str, Any]:
        now = self.clock.now_iso()
        with transaction(self.db) as conn:
            row = conn.execute(
                sa.text(
                    "INSERT INTO scheduled_calls (phone_number, contact_name,"
                    " initial_call_objective_description, current_call_objective_description,"
                    " overall_status, retries_attempted, max_retries, main_agent_informed_user,"
                    " created_at, updated_at, timezone)"
                    " VALUES (:p, :n, :o, :o, 'PENDING', 0, :m, FALSE, :t, :t, :z) RETURNING *"
                ),
                {"p": phone_number, "n": contact_name, "o": objective, "m": max_retries, "t": now, "z": timezone},
            ).mappings().one()
            self._mine(row)
        return self._publish_row(row)

    def create_jobs(self, jobs: Iterable[dict[str, Any]], *, chunk_size: int = 5000) -> None:
        """Many jobs at once (imports, seeding): dataset's insert_many, far
        faster than one create_job each. Each dict needs phone_number,
        contact_name and objective; other job columns are optional. No
        events: views load the rows from the store."""
        now = self.clock.now_iso()
        rows = []
        for job in jobs:
            job = dict(job)
            objective = job.pop("objective")
            row = {"overall_status": "PENDING", "retries_attempted": 0, "max_retries": 3,
                   "main_agent_informed_user": False, "created_at": now, "updated_at": now,
                   "initial_call_objective_description": objective,
                   "current_call_objective_description": objective, **job}
            unknown = set(row) - JOB_FIELDS - {"created_at", "updated_at", "initial_call_objective_description",
                                              "current_call_objective_description"}
            if unknown:
                raise ValueError(f"unknown fields: {sorted(unknown)}")
            rows.append(row)
        self.db["scheduled_calls"].insert_many(rows, chunk_size=chunk_size)

    def get_job(self, job_id: int) -> dict[str, Any] | None:
        if not is_id(job_id):
            return None
        with transaction(self.db) as conn:
            row = conn.execute(sa.text("SELECT * FROM scheduled_calls WHERE id = :i"), {"i": job_id}).mappings().first()
        return _job(row) if row else None

    def list_jobs(self, *, limit: int = 500, statuses: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """Most recently created first."""
        sql = "SELECT * FROM scheduled_calls"
        params: dict[str, Any] = {"n": limit}
        if statuses is not None:
            names = [str(s) for s in statuses]
            sql += " WHERE overall_status IN (" + ", ".join(f":s{i}" for i in range(len(names))) + ")"
            params.update({f"s{i}": s for i, s in enumerate(names)})
        sql += " ORDER BY id DESC LIMIT :n"
        with transaction(self.db) as conn:
            return [_job(r) for r in conn.execute(sa.text(sql), params).mappings()]

    def jobs_updated_since(self, ts: str, limit: int = 1000, *, after_id: int = 0) -> list[dict[str, Any]]:
        """Rows changed after (``ts``, ``after_id``), in (updated_at, id) order:
        page on with the last row's pair. For views of a database another
        process also writes."""
        with transaction(self.db) as conn:
            rows = conn.execute(
                sa.text("SELECT * FROM scheduled_calls WHERE updated_at > :t OR (updated_at = :t AND id > :i)"
                        " ORDER BY updated_at, id LIMIT :n"),
                {"t": ts, "i": after_id, "n": limit},
            ).mappings()
            return [_job(r) for r in rows]

    def jobs_by_id(self, job_ids: Iterable[int]) -> list[dict[str, Any]]:
        ids = sorted({int(i) for i in job_ids})
        if not ids:
            return []
        with transaction(self.db) as conn:
            rows = conn.execute(
                sa.text(f"SELECT * FROM scheduled_calls WHERE id IN ({','.join(str(i) for i in ids)})")
            ).mappings()
            return [_job(r) for r in rows]

    def find_jobs(
        self, *, contact_name: str | None = None, objective_snippet: str | None = None, limit: int = 20
    ) -> list[dict[str, Any]]:
        """Case-insensitive match on name and objective, newest first."""
        sql = "SELECT * FROM scheduled_calls WHERE 1 = 1"
        params: dict[str, Any] = {"n": limit}
        if contact_name:
            sql += " AND LOWER(contact_name) LIKE :name ESCAPE '\\'"
            params["name"] = f"%{like_literal(contact_name.lower())}%"
        if objective_snippet:
            sql += (" AND (LOWER(initial_call_objective_description) LIKE :obj ESCAPE '\\'"
                    " OR LOWER(current_call_objective_description) LIKE :obj ESCAPE '\\')")
            params["obj"] = f"%{like_literal(objective_snippet.lower())}%"
        sql += " ORDER BY created_at DESC, id DESC LIMIT :n"
        with transaction(self.db) as conn:
            return [_job(r) for r in conn.execute(sa.text(sql), params).mappings()]

    def update_job(self, job_id: int, *, expect_owner: str | None = None, **fields: Any) -> dict[str, Any] | None:
        """Set fields; with ``expect_owner`` only while that engine holds the lease.
        Returns the new row, or None if nothing matched."""
        if not is_id(job_id):
            return None
        sql, params = _job_update(job_id, dict(fields, updated_at=self.clock.now_iso()), expect_owner)
        with transaction(self.db) as conn:
            row = self._mine(conn.execute(sql, params).mappings().first())
        if row is None:
            return None
        return self._publish_row(row)

    # --- attempts ---------------------------------------------------------

    def start_attempt(self, job_id: int, attempt_number: int, objective: str, engine_id: str) -> dict[str, Any]:
        """Written before dialing; (job_id, attempt_number) is unique, so a
        second engine cannot start the same attempt."""
        with transaction(self.db) as conn:
            row = conn.execute(
                sa.text(
                    "INSERT INTO call_attempts (job_id, attempt_number, started_at, objective, phase, engine_id)"
                    " VALUES (:j, :n, :t, :o, 'CREATED', :e) RETURNING *"
                ),
                {"j": job_id, "n": attempt_number, "t": self.clock.now_iso(), "o": objective, "e": engine_id},
            ).mappings().one()
            job = self._touch(conn, job_id)
        self._publish_row(job)
        return dict(row)

    def update_attempt(self, attempt_id: int, **fields: Any) -> dict[str, Any]:
        if "transcript" in fields and not isinstance(fields["transcript"], (str, type(None))):
            fields["transcript"] = json.dumps(fields["transcript"])
        with transaction(self.db) as conn:
            row = conn.execute(
                sa.text(f"UPDATE call_attempts SET {_set_clause(fields, ATTEMPT_FIELDS)} WHERE id = :_id RETURNING *"),
                dict(fields, _id=attempt_id),
            ).mappings().one()
            job = self._touch(conn, row["job_id"])
        self._publish_row(job)
        return dict(row)

    def _touch(self, conn: sa.Connection, job_id: int) -> Any:
        """An attempt changed: so does its job's updated_at, which is what every
        other process's change feed watches."""
        return self._mine(conn.execute(
            sa.text("UPDATE scheduled_calls SET updated_at = :t WHERE id = :i RETURNING *"),
            {"t": self.clock.now_iso(), "i": job_id},
        ).mappings().one())

    def attempts_for_job(self, job_id: int) -> list[dict[str, Any]]:
        if not is_id(job_id):
            return []
        with transaction(self.db) as conn:
            rows = conn.execute(
                sa.text("SELECT * FROM call_attempts WHERE job_id = :j ORDER BY attempt_number"), {"j": job_id}
            ).mappings()
            return [dict(r) for r in rows]

    def open_attempt(self, job_id: int) -> dict[str, Any] | None:
        """The attempt of this job that has not been decided yet, if any."""
        with transaction(self.db) as conn:
            row = conn.execute(
                sa.text(
                    "SELECT * FROM call_attempts WHERE job_id = :j AND phase <> 'DECIDED'"
                    " ORDER BY attempt_number DESC LIMIT 1"
                ),
                {"j": job_id},
            ).mappings().first()
        return dict(row) if row else None

    def decide(
        self,
        job_id: int,
        attempt_id: int | None,
        *,
        owner: str | None,
        job_fields: dict[str, Any],
        attempt_fields: dict[str, Any] | None = None,
        do_not_call: dict[str, Any] | None = None,
    ) -> dict[str, Any] | None:
        """Record an attempt's outcome and the job's next state in one
        transaction, releasing the lease. None if ``owner`` lost the lease.
        ``do_not_call`` (reason, added_by) lists the job's number in the same
        transaction."""
        job_fields = dict(job_fields, lease_owner=None, lease_expires_at=None, updated_at=self.clock.now_iso())
        job_sql, params = _job_update(job_id, job_fields, owner)
        with transaction(self.db) as conn:
            row = conn.execute(job_sql, params).mappings().first()
            if row is None:
                conn.rollback()
                return None
            self._mine(row)
            if attempt_id is not None:
                fields = dict(attempt_fields or {}, phase="DECIDED")
                if "transcript" in fields and not isinstance(fields["transcript"], (str, type(None))):
                    fields["transcript"] = json.dumps(fields["transcript"])
                conn.execute(
                    sa.text(f"UPDATE call_attempts SET {_set_clause(fields, ATTEMPT_FIELDS)} WHERE id = :_id"),
                    dict(fields, _id=attempt_id),
                )
            listed = do_not_call is not None and self._insert_do_not_call(
                conn, row["phone_number"], do_not_call["reason"], added_by=do_not_call["added_by"], job_id=job_id)
        if listed:
            self._announce_do_not_call({"phone_number": row["phone_number"], "reason": do_not_call["reason"],
                                        "job_id": job_id}, listed=True)
        return self._publish_row(row)

    # --- the operator and the assistant -------------------------------------

    def cancel_job(self, job_id: int, reason: str = "cancelled by the operator") -> dict[str, Any] | None:
        """Cancel a job that has not finished. A job being dialed is flagged;
        its engine hangs up and finishes the cancel. None if already finished."""
        if not is_id(job_id):
            return None
        now = self.clock.now_iso()
        with transaction(self.db) as conn:
            row = conn.execute(
                sa.text(
                    "UPDATE scheduled_calls SET"
                    " overall_status = CASE WHEN overall_status = 'PROCESSING' THEN overall_status ELSE 'CANCELLED' END,"
                    " cancel_requested = TRUE, cancel_reason = :r, updated_at = :t,"
                    " final_summary_for_main_agent = CASE WHEN overall_status = 'PROCESSING'"
                    "   THEN final_summary_for_main_agent ELSE :r END,"
                    " next_retry_at = NULL"
                    " WHERE id = :i AND overall_status IN ('PENDING', 'RETRY_SCHEDULED', 'PROCESSING')"
                    " RETURNING *"
                ),
                {"r": reason, "t": now, "i": job_id},
            ).mappings().first()
            self._mine(row)
        if row is None:
            return None
        return self._publish_row(row)

    def retry_now(self, job_id: int) -> dict[str, Any] | None:
        """Bring a scheduled retry forward to now."""
        if not is_id(job_id):
            return None
        now = self.clock.now_iso()
        with transaction(self.db) as conn:
            row = conn.execute(
                sa.text(
                    "UPDATE scheduled_calls SET next_retry_at = :t, updated_at = :t"
                    " WHERE id = :i AND overall_status IN ('RETRY_SCHEDULED', 'PENDING') RETURNING *"
                ),
                {"t": now, "i": job_id},
            ).mappings().first()
            self._mine(row)
        if row is None:
            return None
        return self._publish_row(row)

    def reschedule(self, job_id: int, at_iso: str) -> dict[str, Any] | None:
        """Move a waiting job's next try to ``at_iso``; None unless it waits."""
        with transaction(self.db) as conn:
            row = conn.execute(
                sa.text(
                    "UPDATE scheduled_calls SET next_retry_at = :at, updated_at = :t"
                    " WHERE id = :i AND overall_status IN ('RETRY_SCHEDULED', 'PENDING') RETURNING *"
                ),
                {"at": at_iso, "t": self.clock.now_iso(), "i": job_id},
            ).mappings().first()
        return None if row is None else self._publish_row(row)

    def edit_objective(self, job_id: int, objective: str) -> dict[str, Any] | None:
        """Change what a call must achieve before it is first dialled (then the
        first objective too: nothing was tried yet); None once it was dialled."""
        with transaction(self.db) as conn:
            row = conn.execute(
                sa.text(
                    "UPDATE scheduled_calls SET current_call_objective_description = :o,"
                    " initial_call_objective_description = :o, updated_at = :t"
                    " WHERE id = :i AND overall_status = 'PENDING' AND retries_attempted = 0"
                    " AND NOT EXISTS (SELECT 1 FROM call_attempts WHERE job_id = :i) RETURNING *"
                ),
                {"o": objective, "t": self.clock.now_iso(), "i": job_id},
            ).mappings().first()
        return None if row is None else self._publish_row(row)

    def pending_updates(self, limit: int = 50) -> list[dict[str, Any]]:
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
            return [_job(r) for r in rows]

    def mark_informed(self, job_ids: Iterable[int]) -> list[dict[str, Any]]:
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
        jobs = [_job(r) for r in rows]
        self._publish(jobs)
        return jobs

    def dismiss_update(self, job_id: int) -> dict[str, Any] | None:
        return self.update_job(job_id, update_dismissed=True)

    def counts(self) -> dict[str, int]:
        with transaction(self.db) as conn:
            rows = conn.execute(
                sa.text("SELECT overall_status, COUNT(*) FROM scheduled_calls GROUP BY overall_status")
            ).all()
        return {str(s): int(n) for s, n in rows}

    # --- for the calling engine (reconciliation, cooldown, export) ------------

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

    def all_attempts(self) -> list[dict[str, Any]]:
        with transaction(self.db) as conn:
            rows = conn.execute(sa.text("SELECT * FROM call_attempts ORDER BY job_id, attempt_number")).mappings()
            return [dict(r) for r in rows]
