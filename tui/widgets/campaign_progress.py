"""How the console draws a campaign's progress: a bar, its jobs counted by
status, a chart of outcomes, and the figures (success rate, cost, time
left). Names and objectives are outside text: never markup."""
from __future__ import annotations

from rich.text import Text

from calling.campaigns.words import duration
from store.campaign_views import CampaignProgress
from store.campaigns import CampaignStatus
from tui.format import STATUS_STYLE, clip, safe

# how each job status reads in a campaign, in the order the chart shows them
STATUS_WORDS = {
    "PENDING": "waiting",
    "RETRY_SCHEDULED": "to retry",
    "PROCESSING": "in a call",
    "COMPLETED_SUCCESS": "succeeded",
    "DECLINED": "declined",
    "FAILED_MAX_RETRIES": "not reached",
    "FAILED_ERROR": "failed",
    "EXPIRED": "expired",
    "CANCELLED": "cancelled",
}
CAMPAIGN_STYLE = {
    CampaignStatus.ACTIVE: "bold green",
    CampaignStatus.PAUSED: "bold #ffaf00",
    CampaignStatus.CANCELLED: "dim",
    CampaignStatus.FINISHED: "bold",
}


def bar(done: int, total: int, width: int) -> Text:
    """``width`` cells of bar then the percentage done."""
    share = done / total if total else 0.0
    filled = min(width, int(share * width + 0.5)) if done < total else width
    out = Text("█" * filled, style="green")
    out.append("░" * (width - filled), style="dim")
    out.append(f" {share:4.0%}")
    return out


def state_text(p: CampaignProgress) -> Text:
    status = p.campaign.status
    return Text(status.value.lower(), style=CAMPAIGN_STYLE.get(status, ""))


def rate_text(p: CampaignProgress) -> str:
    return f"{p.success_rate:.0%}" if p.success_rate is not None else "—"


def left_text(p: CampaignProgress) -> str:
    if p.campaign.status not in (CampaignStatus.ACTIVE, CampaignStatus.PAUSED):
        return "—"
    if p.time_left_s is None:
        return "?"
    return duration(p.time_left_s) if p.time_left_s > 0 else "—"


def counts_text(counts: dict[str, int]) -> Text:
    """"3 waiting · 1 in a call · 40 succeeded", coloured by status."""
    out = Text()
    for status, word in STATUS_WORDS.items():
        n = counts.get(status, 0)
        if not n:
            continue
        if out:
            out.append(" · ", style="dim")
        out.append(f"{n:,} {word}", style=STATUS_STYLE.get(status, ""))
    return out or Text("no jobs", style="dim")


def chart(counts: dict[str, int], width: int) -> Text:
    """One line a status the campaign has: its word, a bar scaled to the
    largest count, the count."""
    shown = [(s, counts[s]) for s in STATUS_WORDS if counts.get(s)]
    if not shown:
        return Text("No jobs yet.", style="dim")
    largest = max(n for _, n in shown)
    label = max(len(STATUS_WORDS[s]) for s, _ in shown)
    room = max(4, width - label - 10)
    out = Text()
    for i, (status, n) in enumerate(shown):
        if i:
            out.append("\n")
        out.append(STATUS_WORDS[status].ljust(label) + " ")
        out.append("█" * max(1, round(room * n / largest)), style=STATUS_STYLE.get(status, "") or "bold")
        out.append(f" {n:,}")
    return out


def headline(p: CampaignProgress, width: int) -> Text:
    """The campaign in two lines: name, state, bar, figures; then its window,
    start and deadline."""
    c = p.campaign
    out = safe(clip(c.name, max(14, width // 2)), style="bold")
    out.append("  ")
    out.append_text(state_text(p))
    out.append("  ")
    out.append_text(bar(p.finished, p.total, max(10, min(40, width // 4))))
    out.append(f"  {p.finished:,}/{p.total:,} done · success {rate_text(p)} · cost ${p.cost_usd:,.2f}"
               f" · left {left_text(p)}")
    details = [f"window {c.calling_window}" if c.calling_window else "any time in calling hours"]
    if c.start_at:
        details.append(f"from {c.start_at[:16].replace('T', ' ')} UTC")
    if c.deadline_at:
        details.append(f"deadline {c.deadline_at[:16].replace('T', ' ')} UTC")
    if c.max_concurrent:
        details.append(f"at most {c.max_concurrent} at once")
    details.append(f"{c.max_retries} retries")
    out.append("\n")
    out.append_text(safe("Objective: " + clip(c.objective_template, max(20, width - 2)), style="dim"))
    out.append("\n" + " · ".join(details), style="dim")
    return out
