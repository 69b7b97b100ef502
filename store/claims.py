"""Claiming due jobs with a lease, so two engines never take the same job."""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Iterable, Sequence

import sqlalchemy as sa

from core.clock import iso
from core.records import Job
from store.campaigns import Campaign
from store.db import transaction
from store.rows import Params


class Claims:
    """Part of JobStore, which provides db, clock, is_postgres and _publish_row."""

    def claim_next(self, owner: str, lease_s: float, *, exclude: Iterable[int] = (),
                   campaigns: Sequence[Campaign] = ()) -> Job | None:
        """Take one due job atomically: PENDING, a RETRY_SCHEDULED whose time
        has come, or a PROCESSING one whose lease ran out (its engine died).
        Two engines never get the same job.

        A due single call always goes first, so none waits behind a campaign
        of any size; then the jobs of ``campaigns`` (those runnable now), in
        the order given, each only while it has fewer calls in flight than
        its ``max_concurrent``."""
        job = self._claim(owner, lease_s, exclude, "campaign_id IS NULL", with_leases=True)
        for campaign in campaigns:
            if job is not None:
                break
            job = self._claim(owner, lease_s, exclude, f"campaign_id = {int(campaign.id)}", campaign=campaign)
        return job

    def _claim(self, owner: str, lease_s: float, exclude: Iterable[int], scope: str, *,
               with_leases: bool = False, campaign: Campaign | None = None) -> Job | None:
        now = self.clock.now()
        now_s, until = iso(now), iso(now + timedelta(seconds=lease_s))
        skip = [int(j) for j in exclude]
        skip_sql = (" AND id NOT IN (" + ",".join(str(j) for j in skip) + ")") if skip else ""
        due = (
            "(overall_status = 'PENDING' AND (next_retry_at IS NULL OR next_retry_at <= :now))"
            " OR (overall_status = 'RETRY_SCHEDULED' AND next_retry_at <= :now)"
            " OR (overall_status = 'PROCESSING' AND lease_expires_at < :now)"
        )
        # One index seek per kind of due job (fresh, deferred, retry, expired
        # lease), then the earliest of those few candidates: a claim costs the
        # same with 100 or 100,000 rows. One OR'ed WHERE would scan the table.
        lock = " FOR UPDATE SKIP LOCKED" if self.is_postgres else ""
        kinds = [
            # ordering by (next_retry_at, id), all NULL here, lets the index give id order
            ("created_at", f"{scope} AND overall_status = 'PENDING' AND next_retry_at IS NULL", "next_retry_at, id"),
            ("next_retry_at", f"{scope} AND overall_status = 'PENDING' AND next_retry_at <= :now", "next_retry_at"),
            ("next_retry_at", f"{scope} AND overall_status = 'RETRY_SCHEDULED' AND next_retry_at <= :now",
             "next_retry_at"),
        ]
        if with_leases:  # a call an engine left (whatever its campaign's state): reconciled first-come
            kinds.append(("lease_expires_at", "overall_status = 'PROCESSING' AND lease_expires_at < :now",
                          "lease_expires_at"))
        branches = " UNION ALL ".join(
            f"SELECT * FROM (SELECT id, {key} AS k FROM scheduled_calls WHERE {cond}{skip_sql}"
            f" ORDER BY {order} LIMIT 1{lock}) c{i}"
            for i, (key, cond, order) in enumerate(kinds)
        )
        pick = f"SELECT id FROM ({branches}) candidates ORDER BY k, id LIMIT 1"
        params: Params = {"now": now_s, "until": until, "owner": owner}
        share = ""
        if campaign is not None:
            # still active (a pause may have come since the list was read), and within its share
            params["cid"] = campaign.id
            share = " AND EXISTS (SELECT 1 FROM campaigns WHERE id = :cid AND status = 'ACTIVE')"
            if campaign.max_concurrent is not None:
                params["cap"] = campaign.max_concurrent
                share += (" AND (SELECT COUNT(*) FROM scheduled_calls f WHERE f.campaign_id = :cid"
                          " AND f.overall_status = 'PROCESSING') < :cap")
        # SQLite serialises writers; re-checking due-ness in the UPDATE means a
        # job another engine just took is not taken again. PostgreSQL locks the
        # candidates (SKIP LOCKED), so two engines never wait on each other.
        with transaction(self.db) as conn:
            if self.is_postgres:
                # a claim lost to a server crash leaves the job due again, harmless: nothing
                # is dialed before start_attempt, whose synchronous commit flushes this one too
                conn.execute(sa.text("SET LOCAL synchronous_commit TO OFF"))
                if campaign is not None and campaign.max_concurrent is not None:
                    # claims of one capped campaign take turns, so each counts the others' calls
                    conn.execute(sa.text("SELECT id FROM campaigns WHERE id = :cid FOR UPDATE"), params)
            row = conn.execute(
                sa.text(
                    "UPDATE scheduled_calls SET overall_status = 'PROCESSING', lease_owner = :owner,"
                    f" lease_expires_at = :until, updated_at = :now WHERE id = ({pick}) AND ({due}){share}"
                    " RETURNING *"
                ),
                params,
            ).mappings().first()
            self._mine(row)
        if row is None:
            return None
        return self._publish_row(row)

    def renew_lease(self, job_id: int, owner: str, lease_s: float) -> bool:
        until = iso(self.clock.now() + timedelta(seconds=lease_s))
        with transaction(self.db) as conn:
            result = conn.execute(
                sa.text(
                    "UPDATE scheduled_calls SET lease_expires_at = :u"
                    " WHERE id = :i AND lease_owner = :o AND overall_status = 'PROCESSING'"
                ),
                {"u": until, "i": job_id, "o": owner},
            )
            return result.rowcount == 1
