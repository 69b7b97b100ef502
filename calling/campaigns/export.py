"""``campaign export NAME --format csv|json``: one row per callee with its
status, outcome summary, attempts, time on the phone and cost — never a
lease, an engine's id or a call's credentials. Text as in ``app.py
export``: control characters visible, CSV cells a spreadsheet would run
as a formula prefixed with ``'``."""
from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any, TextIO

from calling.export import csv_cell
from core.text import visible
from store import JobStore
from store.campaign_views import EXPORT_COLUMNS
from store.campaigns import CampaignError


def export_campaign(jobs: JobStore, name: str, fmt: str, path: Path | None, out: TextIO) -> int:
    campaign = jobs.campaign(name)
    if campaign is None:
        known = ", ".join(c.name for c in jobs.list_campaigns()[:10]) or "none yet"
        raise CampaignError(f"No campaign named {name!r} (campaigns: {known}).")
    rows = jobs.campaign_report(campaign.id)
    if path is None:
        _write(rows, fmt, out)
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as f:
        _write(rows, fmt, f)
    tmp.replace(path)  # a reader never sees half a file
    print(path, file=out)
    return 0


def _write(rows: list[dict[str, Any]], fmt: str, f: TextIO) -> None:
    if fmt == "json":
        clean = [{k: visible(v) if isinstance(v, str) else v for k, v in row.items()} for row in rows]
        f.write(json.dumps(clean, indent=1, ensure_ascii=False) + "\n")
        return
    writer = csv.DictWriter(f, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: csv_cell(v) for k, v in row.items()} for row in rows)
