"""How the console writes times, statuses and job fields."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.cells import cell_len, set_cell_size
from rich.text import Text

from core.records import Job
from core.text import visible

AMBER = "#ffaf00"
STATUS_STYLE = {
    "PENDING": "bold",
    "PROCESSING": "bold cyan",
    "RETRY_SCHEDULED": f"bold {AMBER}",
    "COMPLETED_SUCCESS": "bold green",
    "FAILED_MAX_RETRIES": "bold red",
    "FAILED_ERROR": "bold red",
    "CANCELLED": "dim",
    "DECLINED": "bold #d08770",
    "EXPIRED": "dim #d08770",
}
# a finished status in a word, where a badge has no summary
OUTCOME_WORD = {
    "COMPLETED_SUCCESS": "done",
    "FAILED_MAX_RETRIES": "gave up",
    "FAILED_ERROR": "failed",
    "CANCELLED": "cancelled",
    "DECLINED": "declined",
    "EXPIRED": "expired",
}
# a next-try time only means something while a job waits for it
WAITING = ("PENDING", "RETRY_SCHEDULED")


def parse_iso(ts: str | None) -> datetime | None:
    if not ts:
        return None
    try:
        return datetime.fromisoformat(ts.replace("Z", "+00:00"))
    except ValueError:
        return None


def short_time(ts: str | None, today: datetime | None = None, *, date_only: bool = False) -> str:
    """Local HH:MM:SS; on another day than ``today`` (or with no ``today``
    to compare with, when not today by the system's clock) the date too."""
    dt = parse_iso(ts)
    if dt is None:
        return "—"
    local = dt.astimezone()
    reference = (today or datetime.now().astimezone()).astimezone()
    if local.date() != reference.date():
        return local.strftime("%b %d" if date_only else "%b %d %H:%M")
    return local.strftime("%H:%M:%S")


def next_try(job: Job, today: datetime | None = None) -> str:
    """When a waiting job is tried next; nothing while it is dialled or done."""
    if job.overall_status not in WAITING or not job.next_retry_at:
        return ""
    return short_time(job.next_retry_at, today)


def status_text(status: str) -> Text:
    return Text(status, style=STATUS_STYLE.get(status, ""))


def attempts_text(job: Job) -> str:
    return f"{job.retries_attempted or 0}/{job.max_retries or 0}"


def clip(text: str | None, width: int, *, pad: bool = False) -> str:
    """One line of at most ``width`` cells, control characters visible and
    "…" where it was cut; with ``pad``, exactly ``width`` cells (a column)."""
    text = text or ""
    if width > 0 and text.isascii() and text.isprintable():
        # most cells: a character a cell and nothing to make visible (4 µs → 1 µs)
        text = " ".join(text.split())
        if len(text) > width:
            text = text[:width - 1] + "…"
        return text.ljust(width) if pad else text
    text = " ".join(visible(text).split())
    if cell_len(text) > width:
        text = set_cell_size(text, width - 1) + "…"
    return set_cell_size(text, width) if pad else text


def safe(text: object, *, one_line: bool = False, style: str = "") -> Text:
    """Outside text (a name, an objective, a transcript, a message) for a
    widget: never parsed as markup, its control characters made visible."""
    return Text(visible(text, one_line=one_line), style=style)
