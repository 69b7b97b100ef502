"""How a campaign ends: at its deadline every job not finished and not in
a call ends EXPIRED (with that reason); once none of its jobs is left
unfinished the campaign is FINISHED (or stays CANCELLED) and gets its one
summary job, which the assistant tells like any outcome. Engines sweep;
the guarded update makes each step happen once however many sweep at
once. Part of JobStore."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from core.records import Job
from store.campaigns import ACTIVE_JOB, Campaign, CampaignStatus
from store.db import transaction

WORDS = {"COMPLETED_SUCCESS": "succeeded", "DECLINED": "declined", "FAILED_MAX_RETRIES": "not reached",
         "FAILED_ERROR": "failed", "EXPIRED": "expired", "CANCELLED": "cancelled"}


def expiry_reason(campaign: Campaign) -> str:
    return f"not called before campaign {campaign.name}'s deadline ({campaign.deadline_at})"


def summary_name(campaign: Campaign) -> str:
    """The summary job's contact: what the assistant names when it tells it."""
    return f"{campaign.name} campaign"


def summary_text(campaign: Campaign, counts: dict[str, int], cost_usd: float) -> str:
    total = sum(counts.values())
    callees = f"{total} callee{'s' if total != 1 else ''}"
    done = total - counts.get("CANCELLED", 0)
    head = (f"Cancelled with {done} of {callees} done" if campaign.status == CampaignStatus.CANCELLED
            else f"All {callees} done")
    parts = [f"{counts[s]} {WORDS[s]}" for s in WORDS if counts.get(s)]
    rate = f" (a {counts.get('COMPLETED_SUCCESS', 0) * 100 // done}% success rate)" if done else ""
    return f"{head}: {', '.join(parts) or 'none called'}{rate}; cost ${cost_usd:.2f}."


class CampaignEnd:
    """Part of JobStore, which provides db, clock, is_postgres, _mine and _publish_row."""

    def sweep_campaigns(self) -> list[Job]:
        """Expire what a deadline left and finish campaigns with nothing left;
        returns the summary jobs this sweep created."""
        now = self.clock.now_iso()
        with transaction(self.db) as conn:
            rows = conn.execute(sa.text(
                "SELECT * FROM campaigns WHERE finished_at IS NULL ORDER BY id")).mappings().all()
        summaries = []
        for campaign in map(Campaign.from_row, rows):
            if campaign.deadline_at and campaign.deadline_at <= now:
                self._expire(campaign, now)
            summary = self._finish(campaign)
            if summary is not None:
                summaries.append(summary)
        return summaries

    def defer_campaign_zone(self, campaign_id: int, zone: str, until: str, reason: str, *, but: int) -> int:
        """Every due-before-``until`` job of the campaign whose callee is listed in
        ``zone`` waits until then (its window is closed there); returns how many.
        No job events: the feed carries the rows."""
        with transaction(self.db) as conn:
            result = conn.execute(sa.text(
                "UPDATE scheduled_calls SET next_retry_at = :u, last_error = :r, updated_at = :t"
                " WHERE campaign_id = :c AND timezone = :z AND id <> :j"
                " AND overall_status IN ('PENDING', 'RETRY_SCHEDULED')"
                " AND (next_retry_at IS NULL OR next_retry_at < :u)"),
                {"u": until, "r": reason[:500], "t": self.clock.now_iso(), "c": campaign_id, "z": zone, "j": but})
        return int(result.rowcount or 0)

    def _expire(self, campaign: Campaign, now: str) -> int:
        """A call in progress at the deadline is not cut off: its job expires
        at the next sweep if it would be tried again."""
        why = expiry_reason(campaign)
        with transaction(self.db) as conn:
            result = conn.execute(sa.text(
                "UPDATE scheduled_calls SET overall_status = 'EXPIRED', next_retry_at = NULL,"
                " final_summary_for_main_agent = :w, last_error = :w, updated_at = :t"
                " WHERE campaign_id = :c AND overall_status IN ('PENDING', 'RETRY_SCHEDULED')"),
                {"w": why, "t": now, "c": campaign.id})
        return int(result.rowcount or 0)

    def _finish(self, campaign: Campaign) -> Job | None:
        now = self.clock.now_iso()
        with transaction(self.db) as conn:  # a read first: most sweeps find work left, and write nothing
            left = conn.execute(sa.text(
                f"SELECT 1 FROM scheduled_calls WHERE campaign_id = :c AND overall_status IN {ACTIVE_JOB} LIMIT 1"),
                {"c": campaign.id}).first()
        if left is not None:
            return None
        with transaction(self.db) as conn:
            # claims the ending (one sweeper wins; on PostgreSQL the others wait on the row, then see it taken)
            row = conn.execute(sa.text(
                "UPDATE campaigns SET status = CASE WHEN status = 'CANCELLED' THEN status ELSE 'FINISHED' END,"
                " finished_at = :t, updated_at = :t WHERE id = :c AND finished_at IS NULL"
                " AND NOT EXISTS (SELECT 1 FROM scheduled_calls WHERE campaign_id = :c"
                f" AND overall_status IN {ACTIVE_JOB})"
                " RETURNING *"), {"t": now, "c": campaign.id}).mappings().first()
            if row is None:
                return None
            ended = Campaign.from_row(row)
            counts: dict[str, int] = {}
            cost = 0.0
            for status, n, usd in conn.execute(sa.text(
                    "SELECT overall_status, COUNT(*), COALESCE(SUM(cost_estimate_usd), 0) FROM scheduled_calls"
                    " WHERE campaign_id = :c GROUP BY overall_status"), {"c": campaign.id}):
                counts[str(status)] = int(n)
                cost += float(usd or 0.0)
            status = "CANCELLED" if ended.status == CampaignStatus.CANCELLED else "COMPLETED_SUCCESS"
            text = summary_text(ended, counts, cost)
            summary = self._mine(conn.execute(sa.text(
                "INSERT INTO scheduled_calls (phone_number, contact_name, initial_call_objective_description,"
                " current_call_objective_description, overall_status, retries_attempted, max_retries,"
                " main_agent_informed_user, created_at, updated_at, final_summary_for_main_agent,"
                " cost_estimate_usd)"
                " VALUES ('', :n, :o, :o, :s, 0, 0, FALSE, :t, :t, :f, :cost) RETURNING *"),
                {"n": summary_name(ended), "o": f"Call the {sum(counts.values())} callees of campaign {ended.name}",
                 "s": status, "t": now, "f": text, "cost": round(cost, 6)}).mappings().one())
            ended = Campaign.from_row(conn.execute(sa.text(
                "UPDATE campaigns SET summary_job_id = :j WHERE id = :c RETURNING *"),
                {"j": summary["id"], "c": campaign.id}).mappings().one())
        self._announce_campaign(ended)
        return self._publish_row(summary)
