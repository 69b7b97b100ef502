"""The SQL side of the records: which columns a write may set, ids, and
the small builders every store module shares."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa

Columns = dict[str, Any]  # column -> the value to write
Params = dict[str, Any]  # a statement's bind parameters

JOB_FIELDS = frozenset({
    "phone_number", "contact_name", "initial_call_objective_description",
    "current_call_objective_description", "overall_status", "retries_attempted", "max_retries",
    "next_retry_at", "final_summary_for_main_agent", "main_agent_informed_user", "timezone",
    "lease_owner", "lease_expires_at", "cancel_requested", "cancel_reason", "update_dismissed",
    "informed_at", "last_error", "cost_estimate_usd", "campaign_id", "hangup_requested",
})
ATTEMPT_FIELDS = frozenset({
    "started_at", "ended_at", "ultravox_call_id", "twilio_call_sid", "end_reason", "transcript",
    "attempt_outcome", "strategist_reasoning_for_attempt", "error_details", "objective", "phase",
    "twilio_status", "answered_by", "duration_s", "summary", "decision_source", "engine_id",
    "join_url", "cost_usd",
    "recording_url",
})


# ids are 64-bit on every database; a larger one names no job (and SQLite
# would refuse the parameter outright)
MAX_ID = 2**63 - 1


def is_id(job_id: int) -> bool:
    return 0 < job_id <= MAX_ID


def like_literal(text: str) -> str:
    """``text`` for a LIKE pattern (with ESCAPE '\\') that matches only itself."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def set_clause(fields: Columns, allowed: frozenset[str]) -> str:
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"unknown fields: {sorted(unknown)}")
    return ", ".join(f"{k} = :{k}" for k in fields)


def job_update(job_id: int, fields: Columns, owner: str | None) -> tuple[sa.TextClause, Params]:
    """UPDATE … RETURNING of one job; with ``owner``, only while it holds the lease."""
    sql = f"UPDATE scheduled_calls SET {set_clause(fields, JOB_FIELDS | {'updated_at'})} WHERE id = :_id"
    params = dict(fields, _id=job_id)
    if owner is not None:
        sql += " AND lease_owner = :_owner"
        params["_owner"] = owner
    return sa.text(sql + " RETURNING *"), params
