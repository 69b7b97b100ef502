"""What views show of campaigns: progress (counts by status, success rate,
cost so far, an estimate of the time left) and a campaign's jobs, filtered,
searched, sorted and paged, so a view never loads 100,000 rows at once.
Part of JobStore."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable

import sqlalchemy as sa

from core.clock import parse_iso
from core.records import Job
from store.campaigns import Campaign, CampaignStatus
from store.db import transaction

SUCCESS = "COMPLETED_SUCCESS"
UNFINISHED = frozenset({"PENDING", "PROCESSING", "RETRY_SCHEDULED"})
# what a campaign's job table may be sorted by
JOB_SORTS = {"id": "id", "contact": "LOWER(contact_name)", "phone": "phone_number", "status": "overall_status",
             "updated": "updated_at", "next_try": "next_retry_at", "cost": "cost_estimate_usd"}
EXPORT_COLUMNS = ["id", "contact_name", "phone_number", "overall_status", "outcome_summary", "attempts",
                  "duration_s", "cost_usd", "objective", "timezone", "next_retry_at", "last_error", "updated_at"]


@dataclass(frozen=True)
class CampaignProgress:
    campaign: Campaign
    counts: dict[str, int] = field(default_factory=dict)  # jobs by overall_status
    cost_usd: float = 0.0
    time_left_s: float | None = None  # None: nothing to go on yet (or nothing left)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def finished(self) -> int:
        return sum(n for s, n in self.counts.items() if s not in UNFINISHED)

    @property
    def succeeded(self) -> int:
        return self.counts.get(SUCCESS, 0)

    @property
    def success_rate(self) -> float | None:
        """Succeeded / finished (cancelled ones aside); None before any finished."""
        decided = self.finished - self.counts.get("CANCELLED", 0)
        return self.succeeded / decided if decided > 0 else None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "CampaignProgress":
        """From ``to_dict()``'s form (a ``campaigns_progress`` event's)."""
        return cls(Campaign.from_row(data["campaign"]), dict(data["counts"]), float(data["cost_usd"]),
                   data["time_left_s"])

    def to_dict(self) -> dict[str, Any]:
        return {"campaign": self.campaign.to_dict(), "counts": dict(self.counts), "total": self.total,
                "finished": self.finished, "succeeded": self.succeeded, "success_rate": self.success_rate,
                "cost_usd": round(self.cost_usd, 6), "time_left_s": self.time_left_s}


def estimate_left(campaign: Campaign, counts: dict[str, int], now: datetime) -> float | None:
    """Jobs left at the pace of the jobs done so far since the campaign could
    start, capped by its deadline; None until a job has finished."""
    left = sum(n for s, n in counts.items() if s in UNFINISHED)
    if left == 0 or campaign.status in (CampaignStatus.FINISHED, CampaignStatus.CANCELLED):
        return 0.0 if left == 0 else None
    done = sum(n for s, n in counts.items() if s not in UNFINISHED)
    began = parse_iso(campaign.created_at)
    if campaign.start_at:
        began = max(began, parse_iso(campaign.start_at))
    elapsed = (now - began).total_seconds()
    estimate = left * elapsed / done if done and elapsed > 0 else None
    if campaign.deadline_at:
        until_deadline = max(0.0, (parse_iso(campaign.deadline_at) - now).total_seconds())
        estimate = until_deadline if estimate is None else min(estimate, until_deadline)
    return estimate


class CampaignViews:
    """Part of JobStore, which provides db and clock."""

    def campaigns_progress(self, campaign_ids: Iterable[int] | None = None) -> list[CampaignProgress]:
        """Every campaign (or those named), newest first, with its progress: one
        grouped read over the campaign index, however many jobs."""
        campaigns = self.list_campaigns()
        if campaign_ids is not None:
            wanted = {int(i) for i in campaign_ids}
            campaigns = [c for c in campaigns if c.id in wanted]
        if not campaigns:
            return []
        ids = ",".join(str(c.id) for c in campaigns)
        counts: dict[int, dict[str, int]] = {c.id: {} for c in campaigns}
        cost: dict[int, float] = {c.id: 0.0 for c in campaigns}
        with transaction(self.db) as conn:
            rows = conn.execute(sa.text(
                "SELECT campaign_id, overall_status, COUNT(*), COALESCE(SUM(cost_estimate_usd), 0)"
                f" FROM scheduled_calls WHERE campaign_id IN ({ids}) GROUP BY campaign_id, overall_status"))
            for cid, status, n, usd in rows:
                counts[int(cid)][str(status)] = int(n)
                cost[int(cid)] += float(usd or 0.0)
        now = self.clock.now()
        return [CampaignProgress(c, counts[c.id], cost[c.id], estimate_left(c, counts[c.id], now)) for c in campaigns]

    def campaign_progress(self, campaign_id: int) -> CampaignProgress | None:
        found = self.campaigns_progress([campaign_id])
        return found[0] if found else None

    def _jobs_where(self, campaign_id: int, statuses: Iterable[str] | None,
                    search: str | None) -> tuple[str, dict[str, Any]]:
        from store.rows import like_literal

        where, params = "campaign_id = :c", {"c": int(campaign_id)}
        if statuses is not None:
            names = [str(s) for s in statuses]
            if not names:
                return "1 = 0", params
            where += " AND overall_status IN (" + ", ".join(f":s{i}" for i in range(len(names))) + ")"
            params.update({f"s{i}": s for i, s in enumerate(names)})
        if search and search.strip():
            where += " AND (LOWER(contact_name) LIKE :q ESCAPE '\\' OR phone_number LIKE :q ESCAPE '\\')"
            params["q"] = f"%{like_literal(search.strip().lower())}%"
        return where, params

    def campaign_jobs(self, campaign_id: int, *, statuses: Iterable[str] | None = None, search: str | None = None,
                      sort: str = "id", descending: bool = False, offset: int = 0,
                      limit: int = 200) -> list[Job]:
        """One page of a campaign's jobs: ``statuses`` filters, ``search`` matches
        words in the name or the number, ``sort`` is a JOB_SORTS key (ties by id)."""
        if sort not in JOB_SORTS:
            raise ValueError(f"unknown sort {sort!r}: one of {', '.join(JOB_SORTS)}")
        where, params = self._jobs_where(campaign_id, statuses, search)
        order = "DESC" if descending else "ASC"
        params.update(n=max(0, int(limit)), o=max(0, int(offset)))
        with transaction(self.db) as conn:
            rows = conn.execute(sa.text(
                f"SELECT * FROM scheduled_calls WHERE {where} ORDER BY {JOB_SORTS[sort]} {order}, id {order}"
                " LIMIT :n OFFSET :o"), params).mappings()
            return [Job.from_row(r) for r in rows]

    def count_campaign_jobs(self, campaign_id: int, *, statuses: Iterable[str] | None = None,
                            search: str | None = None) -> int:
        where, params = self._jobs_where(campaign_id, statuses, search)
        with transaction(self.db) as conn:
            return int(conn.execute(sa.text(f"SELECT COUNT(*) FROM scheduled_calls WHERE {where}"),
                                    params).scalar_one())

    def campaign_report(self, campaign_id: int) -> list[dict[str, Any]]:
        """One row per callee for an export (EXPORT_COLUMNS): never a lease,
        an engine's id or a call's credentials."""
        with transaction(self.db) as conn:
            rows = conn.execute(sa.text(
                "SELECT j.id, j.contact_name, j.phone_number, j.overall_status,"
                " j.final_summary_for_main_agent AS outcome_summary, COUNT(a.id) AS attempts,"
                " COALESCE(SUM(a.duration_s), 0) AS duration_s, j.cost_estimate_usd AS cost_usd,"
                " j.current_call_objective_description AS objective, j.timezone, j.next_retry_at, j.last_error,"
                " j.updated_at"
                " FROM scheduled_calls j LEFT JOIN call_attempts a ON a.job_id = j.id"
                " WHERE j.campaign_id = :c GROUP BY j.id ORDER BY j.id"), {"c": campaign_id}).mappings()
            return [{k: r[k] for k in EXPORT_COLUMNS} for r in rows]
