"""How a campaign's progress reads, alike on the command line and in the
assistant's answers."""
from __future__ import annotations

from core.text import visible
from store.campaign_views import CampaignProgress
from store.campaigns import CampaignStatus


# a job status as the counts read it
COUNT_WORDS = {"COMPLETED_SUCCESS": "succeeded", "PROCESSING": "in a call", "PENDING": "waiting",
               "RETRY_SCHEDULED": "to try again", "DECLINED": "declined", "FAILED_MAX_RETRIES": "not reached",
               "FAILED_ERROR": "failed", "EXPIRED": "expired", "CANCELLED": "cancelled"}


def describe(p: CampaignProgress) -> str:
    """One line: name, state, done/total, success rate, cost, time left, counts."""
    c = p.campaign
    rate = f"{p.success_rate:.0%}" if p.success_rate is not None else "—"
    counts = ", ".join(f"{p.counts[s]} {w}" for s, w in COUNT_WORDS.items() if p.counts.get(s)) or "no jobs"
    left = ""
    if p.time_left_s and c.status in (CampaignStatus.ACTIVE, CampaignStatus.PAUSED):
        left = f"; about {duration(p.time_left_s)} left"
    return (f"{visible(c.name)}: {c.status.value.lower()}, {p.finished}/{p.total} done, success {rate}, "
            f"cost ${p.cost_usd:.2f}{left} ({counts})")


def duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"
