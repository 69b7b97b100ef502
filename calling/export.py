"""Export call jobs and their attempts to CSV or JSON (``python app.py export``)."""
from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any, Literal

from store import JobStore
from store.jobs import ATTEMPT_FIELDS, JOB_FIELDS

JOB_COLUMNS = ["id", *sorted(JOB_FIELDS), "created_at", "updated_at"]
ATTEMPT_COLUMNS = ["id", "job_id", "attempt_number", *sorted(ATTEMPT_FIELDS)]


def _rows(rows: list[dict[str, Any]], columns: list[str]) -> list[dict[str, Any]]:
    extra = sorted({k for r in rows for k in r} - set(columns))
    cols = columns + extra
    return [{c: r.get(c) for c in cols} for r in rows]


def export(jobs: JobStore, out_dir: Path, fmt: Literal["csv", "json"]) -> list[Path]:
    """Write ``jobs.<fmt>`` and ``attempts.<fmt>`` into ``out_dir``; returns their paths.
    In JSON an attempt's transcript is the list of turns, not a string."""
    if fmt not in ("csv", "json"):
        raise ValueError(f"unknown export format {fmt!r}: use csv or json")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    job_rows = _rows(sorted(jobs.list_jobs(limit=10**9), key=lambda j: j["id"]), JOB_COLUMNS)
    attempt_rows = _rows(jobs.all_attempts(), ATTEMPT_COLUMNS)
    written = []
    for name, rows in (("jobs", job_rows), ("attempts", attempt_rows)):
        path = out_dir / f"{name}.{fmt}"
        tmp = path.with_suffix(path.suffix + ".tmp")
        if fmt == "json":
            if name == "attempts":
                rows = [dict(r, transcript=_turns(r.get("transcript"))) for r in rows]
            tmp.write_text(json.dumps(rows, indent=1, ensure_ascii=False, default=str), encoding="utf-8")
        else:
            with tmp.open("w", newline="", encoding="utf-8") as f:
                columns = list(rows[0]) if rows else (JOB_COLUMNS if name == "jobs" else ATTEMPT_COLUMNS)
                writer = csv.DictWriter(f, fieldnames=columns)
                writer.writeheader()
                writer.writerows(rows)
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
