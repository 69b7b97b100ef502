"""How the console writes times, statuses and job fields."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.text import Text

from core.text import visible

STATUS_STYLE = {
    "PENDING": "bold yellow",
    "PROCESSING": "bold cyan",
    "RETRY_SCHEDULED": "bold magenta",
    "COMPLETED_SUCCESS": "bold green",
    "FAILED_MAX_RETRIES": "bold red",
    "FAILED_ERROR": "bold red",
    "CANCELLED": "dim",
    "DECLINED": "bold #d08770",
}


def safe(text: object, *, one_line: bool = False, style: str = "") -> Text:
    """Outside text (a name, an objective, a transcript, a message) for a
    widget: never parsed as markup, its control characters made visible."""
    return Text(visible(text, one_line=one_line), style=style)


def parse_iso(ts: str | None) -> datetime | None:
    if not ts:
        return None
    try:
        return datetime.fromisoformat(ts.replace("Z", "+00:00"))
    except ValueError:
        return None


def short_time(ts: str | None, today: datetime | None = None, *, date_only: bool = False) -> str:
    """Local HH:MM:SS; on another day than ``today``, the date (and time)."""
    dt = parse_iso(ts)
    if dt is None:
        return "—"
    local = dt.astimezone()
    if today is not None and local.date() != today.astimezone().date():
        return local.strftime("%b %d" if date_only else "%m-%d %H:%M")
    return local.strftime("%H:%M:%S")


def status_text(status: str) -> Text:
    return Text(status, style=STATUS_STYLE.get(status, ""))


def attempts_text(job: dict[str, Any]) -> str:
    return f"{job.get('retries_attempted') or 0}/{job.get('max_retries') or 0}"


def clip(text: str | None, width: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"
