"""A campaign with jobs in each state, for the views' tests (console and
mirror): imported as the command line would, then its jobs moved on with
one UPDATE each, as engines would leave them."""
from __future__ import annotations

from typing import Any, Sequence

import sqlalchemy as sa

from store import JobStore
from store.campaigns import Campaign
from store.db import transaction

NAMES = ["Akhil", "Priya", "Marco", "Dana", "Chen", "Olu", "Sofia", "Ravi", "Mina", "Tom", "Lea", "Yuki"]
TEMPLATE = "Remind {name} that invoice {invoice} is overdue"
# one of each, the rest waiting
STATUSES = ["COMPLETED_SUCCESS", "COMPLETED_SUCCESS", "COMPLETED_SUCCESS", "PROCESSING", "RETRY_SCHEDULED",
            "FAILED_MAX_RETRIES", "DECLINED", "FAILED_ERROR"]


def callee_rows(n: int, first: int = 0) -> list[dict[str, Any]]:
    return [{"phone_number": f"+1202555{2000 + i:04d}", "contact_name": f"{NAMES[i % len(NAMES)]} {i}",
             "objective": f"Remind {NAMES[i % len(NAMES)]} {i} that invoice INV-{1000 + i} is overdue",
             "timezone": "America/New_York"} for i in range(first, first + n)]


def make_campaign(jobs: JobStore, name: str = "December invoices", n: int = 12,
                  statuses: Sequence[str] = STATUSES, **spec: Any) -> Campaign:
    campaign, _ = jobs.import_campaign({"name": name, "objective_template": TEMPLATE, "max_retries": 2, **spec},
                                       callee_rows(n))
    assert campaign is not None
    set_statuses(jobs, campaign.id, statuses)
    return campaign


def set_statuses(jobs: JobStore, campaign_id: int, statuses: Sequence[str]) -> None:
    """The campaign's first jobs (by id) to these statuses, each with a cost
    and a try when it was called."""
    with transaction(jobs.db) as conn:
        ids = [r[0] for r in conn.execute(sa.text(
            "SELECT id FROM scheduled_calls WHERE campaign_id = :c ORDER BY id"), {"c": campaign_id})]
        for job_id, status in zip(ids, statuses):
            called = status != "PENDING"
            conn.execute(sa.text(
                "UPDATE scheduled_calls SET overall_status = :s, cost_estimate_usd = :u, retries_attempted = :r"
                " WHERE id = :i"), {"s": status, "u": 0.42 if called else 0.0, "r": 1 if called else 0, "i": job_id})
