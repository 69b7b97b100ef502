"""The call-job table, kept in step one row at a time (keyed by job id),
so a change costs the same with 5 jobs or 5,000."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from textual.widgets import DataTable

from tui.format import attempts_text, clip, short_time, status_text

COLUMNS = (
    ("id", "Job", 4),
    ("contact", "Contact", 10),
    ("objective", "Objective", 18),
    ("status", "Status", 18),
    ("attempt", "Try", 3),
    ("next_retry", "Next retry", 11),
    ("updated", "Updated", 8),
)


class JobTable(DataTable):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._rows: dict[int, tuple[Any, ...]] = {}
        self.today: datetime | None = None

    def on_mount(self) -> None:
        self.border_title = "Call jobs"
        for key, label, width in COLUMNS:
            self.add_column(label, key=key, width=width)

    def cells(self, job: dict[str, Any]) -> tuple[Any, ...]:
        return (
            str(job["id"]),
            clip(job.get("contact_name"), 10),
            clip(job.get("current_call_objective_description"), 18),
            status_text(job.get("overall_status", "")),
            attempts_text(job),
            short_time(job.get("next_retry_at"), self.today) if job.get("next_retry_at") else "",
            short_time(job.get("updated_at"), self.today, date_only=True),
        )

    def seed(self, jobs: list[dict[str, Any]]) -> None:
        self.clear()
        self._rows.clear()
        for job in sorted(jobs, key=lambda j: j["id"]):
            cells = self.cells(job)
            self._rows[job["id"]] = cells
            self.add_row(*cells, key=str(job["id"]))

    def upsert(self, job: dict[str, Any]) -> None:
        job_id = job["id"]
        cells = self.cells(job)
        old = self._rows.get(job_id)
        self._rows[job_id] = cells
        if old is None:
            self.add_row(*cells, key=str(job_id))
            return
        for (key, _, _), value, before in zip(COLUMNS, cells, old):
            if value != before:
                self.update_cell(str(job_id), key, value)

    def selected_job_id(self) -> int | None:
        if not self.row_count:
            return None
        row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        return int(row_key.value) if row_key.value is not None else None
