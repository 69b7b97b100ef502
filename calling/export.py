"""Export call jobs and their attempts to CSV or JSON (``python app.py export``).

What a reader wants first comes first; the engines' bookkeeping (leases,
engine ids, phases) and the Ultravox ``join_url`` (it carries the call's
credentials) are never written. Text is written as stored, except that
control characters are made visible and, in CSV, a cell a spreadsheet
would run as a formula is prefixed with ``'`` (OWASP's CSV-injection rule)."""
from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any, Literal, Sequence

from core.records import Record
from core.text import visible
from store import JobStore

JOB_COLUMNS = [
    "id", "contact_name", "phone_number", "overall_status", "initial_call_objective_description",
    "current_call_objective_description", "retries_attempted", "max_retries", "next_retry_at",
    "final_summary_for_main_agent", "main_agent_informed_user", "informed_at", "update_dismissed",
    "cancel_requested", "cancel_reason", "last_error", "cost_estimate_usd", "timezone", "created_at", "updated_at",
]
ATTEMPT_COLUMNS = [
    "id", "job_id", "attempt_number", "started_at", "ended_at", "objective", "attempt_outcome", "end_reason",
    "twilio_status", "answered_by", "duration_s", "summary", "strategist_reasoning_for_attempt",
    "decision_source", "error_details", "ultravox_call_id", "twilio_call_sid", "transcript",
]
NOT_EXPORTED = frozenset({"lease_owner", "lease_expires_at", "engine_id", "phase", "join_url", "teller",
                          "teller_until", "hangup_requested", "request_key"})
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")


def _rows(records: Sequence[Record], columns: list[str]) -> list[dict[str, Any]]:
    """Known columns in order, then any newer ones (never the internal ones)."""
    rows = [r.to_dict() for r in records]
    extra = sorted({k for r in rows for k in r} - set(columns) - NOT_EXPORTED)
    cols = columns + extra
    return [{c: r.get(c) for c in cols} for r in rows]


def csv_cell(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    value = visible(value)
    if value.startswith(FORMULA_START) and not NUMBER.fullmatch(value):
        return "'" + value
    return value


def _json_value(value: Any) -> Any:
    if isinstance(value, str):
        return visible(value)
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    return value


def export(jobs: JobStore, out_dir: Path, fmt: Literal["csv", "json"]) -> list[Path]:
    """Write ``jobs.<fmt>`` and ``attempts.<fmt>`` into ``out_dir``; returns their paths.
    In JSON an attempt's transcript is the list of turns, not a string."""
    if fmt not in ("csv", "json"):
        raise ValueError(f"unknown export format {fmt!r}: use csv or json")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    job_rows = _rows(sorted(jobs.list_jobs(limit=10**9), key=lambda j: j.id), JOB_COLUMNS)
    attempt_rows = _rows(jobs.all_attempts(), ATTEMPT_COLUMNS)
    written = []
    for name, rows in (("jobs", job_rows), ("attempts", attempt_rows)):
        path = out_dir / f"{name}.{fmt}"
        tmp = path.with_suffix(path.suffix + ".tmp")
        if fmt == "json":
            if name == "attempts":
                rows = [dict(r, transcript=_turns(r.get("transcript"))) for r in rows]
            tmp.write_text(json.dumps(_json_value(rows), indent=1, ensure_ascii=False, default=str), encoding="utf-8")
        else:
            with tmp.open("w", newline="", encoding="utf-8") as f:
                columns = list(rows[0]) if rows else (JOB_COLUMNS if name == "jobs" else ATTEMPT_COLUMNS)
                writer = csv.DictWriter(f, fieldnames=columns)
                writer.writeheader()
                writer.writerows({k: csv_cell(v) for k, v in row.items()} for row in rows)
        tmp.replace(path)  # a reader never sees half a file
        written.append(path)
    return written


def _turns(raw: Any) -> Any:
    if not isinstance(raw, str) or not raw:
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw
