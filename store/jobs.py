"""Call jobs and their attempts. Every write publishes the job's new row as
``call_job_updated`` (when a bus is given), so every view stays in step
whoever changed it."""
from __future__ import annotations

import os
import socket
import uuid
from typing import Any, Iterable

import sqlalchemy as sa

from core.clock import Clock, SystemClock
from core.events import Bus, CallJobUpdated
from core.records import Job, Phase
from store.attempts import Attempts
from store.campaign_end import CampaignEnd
from store.campaign_views import CampaignViews
from store.campaigns import Campaigns
from store.claims import Claims
from store.db import migrate, open_db, transaction
from store.do_not_call import DoNotCallList
from store.notify import FEED_MIGRATIONS
from store.rows import JOB_FIELDS, Columns, Params, is_id, job_update, like_literal
from store.schema import CALLS_MIGRATIONS
from store.telling import Telling


class JobStore(Claims, Attempts, Telling, DoNotCallList, Campaigns, CampaignViews, CampaignEnd):
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

    def is_own_write(self, job: Job) -> bool:
        """Whether this job row, as read, is this store's own latest write."""
        return self._own.get(job.id) == job.updated_at

    def _publish_row(self, row: Any) -> Job:
        job = Job.from_row(row)
        self._publish([job])
        return job

    def _publish(self, jobs: Iterable[Job]) -> None:
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
        request_key: str | None = None,
    ) -> Job:
        """``request_key`` (unique) names the request, so writing it again never makes a second job."""
        now = self.clock.now_iso()
        with transaction(self.db) as conn:
            row = conn.execute(
                sa.text(
                    "INSERT INTO scheduled_calls (phone_number, contact_name,"
                    " initial_call_objective_description, current_call_objective_description,"
                    " overall_status, retries_attempted, max_retries, main_agent_informed_user,"
                    " created_at, updated_at, timezone, request_key)"
                    " VALUES (:p, :n, :o, :o, 'PENDING', 0, :m, FALSE, :t, :t, :z, :k) RETURNING *"
                ),
                {"p": phone_number, "n": contact_name, "o": objective, "m": max_retries, "t": now, "z": timezone,
                 "k": request_key},
            ).mappings().one()
            self._mine(row)
        return self._publish_row(row)

    def create_jobs(self, jobs: Iterable[Columns], *, chunk_size: int = 5000) -> None:
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

    def get_job(self, job_id: int) -> Job | None:
        if not is_id(job_id):
            return None
        with transaction(self.db) as conn:
            row = conn.execute(sa.text("SELECT * FROM scheduled_calls WHERE id = :i"), {"i": job_id}).mappings().first()
        return Job.from_row(row) if row else None

    def list_jobs(self, *, limit: int = 500, statuses: Iterable[str] | None = None) -> list[Job]:
        """Most recently created first."""
        sql = "SELECT * FROM scheduled_calls"
        params: Params = {"n": limit}
        if statuses is not None:
            names = [str(s) for s in statuses]
            sql += " WHERE overall_status IN (" + ", ".join(f":s{i}" for i in range(len(names))) + ")"
            params.update({f"s{i}": s for i, s in enumerate(names)})
        sql += " ORDER BY id DESC LIMIT :n"
        with transaction(self.db) as conn:
            return [Job.from_row(r) for r in conn.execute(sa.text(sql), params).mappings()]

    def jobs_updated_since(self, ts: str, limit: int = 1000, *, after_id: int = 0) -> list[Job]:
        """Rows changed after (``ts``, ``after_id``), in (updated_at, id) order:
        page on with the last row's pair. For views of a database another
        process also writes."""
        with transaction(self.db) as conn:
            rows = conn.execute(
                sa.text("SELECT * FROM scheduled_calls WHERE updated_at > :t OR (updated_at = :t AND id > :i)"
                        " ORDER BY updated_at, id LIMIT :n"),
                {"t": ts, "i": after_id, "n": limit},
            ).mappings()
            return [Job.from_row(r) for r in rows]

    def jobs_by_id(self, job_ids: Iterable[int]) -> list[Job]:
        ids = sorted({int(i) for i in job_ids})
        if not ids:
            return []
        with transaction(self.db) as conn:
            rows = conn.execute(
                sa.text(f"SELECT * FROM scheduled_calls WHERE id IN ({','.join(str(i) for i in ids)})")
            ).mappings()
            return [Job.from_row(r) for r in rows]

    def job_for_request(self, request_key: str) -> Job | None:
        """The job a call request created, if its write went through."""
        with transaction(self.db) as conn:
            row = conn.execute(sa.text("SELECT * FROM scheduled_calls WHERE request_key = :k"),
                               {"k": request_key}).mappings().first()
        return Job.from_row(row) if row else None

    def find_jobs(
        self, *, contact_name: str | None = None, objective_snippet: str | None = None, limit: int = 20
    ) -> list[Job]:
        """Case-insensitive match on name and objective, newest first."""
        sql = "SELECT * FROM scheduled_calls WHERE 1 = 1"
        params: Params = {"n": limit}
        if contact_name:
            sql += " AND LOWER(contact_name) LIKE :name ESCAPE '\\'"
            params["name"] = f"%{like_literal(contact_name.lower())}%"
        if objective_snippet:
            sql += (" AND (LOWER(initial_call_objective_description) LIKE :obj ESCAPE '\\'"
                    " OR LOWER(current_call_objective_description) LIKE :obj ESCAPE '\\')")
            params["obj"] = f"%{like_literal(objective_snippet.lower())}%"
        sql += " ORDER BY created_at DESC, id DESC LIMIT :n"
        with transaction(self.db) as conn:
            return [Job.from_row(r) for r in conn.execute(sa.text(sql), params).mappings()]

    def update_job(self, job_id: int, *, expect_owner: str | None = None, **fields: Any) -> Job | None:
        """Set fields; with ``expect_owner`` only while that engine holds the lease.
        Returns the new row, or None if nothing matched."""
        if not is_id(job_id):
            return None
        sql, params = job_update(job_id, dict(fields, updated_at=self.clock.now_iso()), expect_owner)
        with transaction(self.db) as conn:
            row = self._mine(conn.execute(sql, params).mappings().first())
        if row is None:
            return None
        return self._publish_row(row)

    # --- the operator and the assistant -------------------------------------

    def cancel_job(self, job_id: int, reason: str = "cancelled by the operator") -> Job | None:
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

    def request_hangup(self, job_id: int) -> Job | None:
        """Ask the job's engine to hang up its live call (one being dialled or
        in progress) without cancelling the job: the attempt is decided as any
        ended call. None when no call of the job is live."""
        if not is_id(job_id):
            return None
        with transaction(self.db) as conn:
            row = conn.execute(
                sa.text(
                    "UPDATE scheduled_calls SET hangup_requested = TRUE, updated_at = :t"
                    " WHERE id = :i AND overall_status = 'PROCESSING' AND cancel_requested = FALSE"
                    " AND EXISTS (SELECT 1 FROM call_attempts WHERE job_id = :i AND phase IN (:dialing, :dialed))"
                    " RETURNING *"
                ),
                {"t": self.clock.now_iso(), "i": job_id, "dialing": Phase.DIALING.value,
                 "dialed": Phase.DIALED.value},
            ).mappings().first()
            self._mine(row)
        return None if row is None else self._publish_row(row)

    def retry_now(self, job_id: int) -> Job | None:
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

    def reschedule(self, job_id: int, at_iso: str) -> Job | None:
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

    def edit_objective(self, job_id: int, objective: str) -> Job | None:
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

    def counts(self) -> dict[str, int]:
        with transaction(self.db) as conn:
            rows = conn.execute(
                sa.text("SELECT overall_status, COUNT(*) FROM scheduled_calls GROUP BY overall_status")
            ).all()
        return {str(s): int(n) for s, n in rows}
