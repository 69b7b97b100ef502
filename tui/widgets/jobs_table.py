"""The call-job table, kept in step one row at a time (keyed by job id).

Built on Textual's line API rather than DataTable: DataTable (8.2.8)
rebuilds its row order and repaints every visible cell whenever any cell
changes, which costs ~35 ms a change at 5,000 rows. Here a change rebuilds
one row's strip and repaints one line, so it costs the same with 5 jobs or
5,000. Line 0 is the header, pinned; rows follow."""
from __future__ import annotations

from bisect import bisect_left
from datetime import datetime
from typing import Any

from rich.cells import set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from core.text import visible
from tui.format import STATUS_STYLE, attempts_text, short_time

COLUMNS = (
    ("id", "Job", 4),
    ("contact", "Contact", 10),
    ("objective", "Objective", 16),
    ("status", "Status", 18),
    ("retries", "Retries", 7),
    ("next_retry", "Next retry", 11),
    ("updated", "Updated", 8),
)
KEYS = [key for key, _, _ in COLUMNS]
WIDTH = sum(width + 1 for _, _, width in COLUMNS) + 1  # one space before each column, one after
HEADER = 1


def fit(text: str, width: int) -> str:
    text = " ".join(visible(text, one_line=True).split())
    if len(text) > width:
        text = text[: width - 1] + "…"
    return set_cell_size(text, width)


class JobTable(ScrollView, can_focus=True):
    COMPONENT_CLASSES = {"job-table--header", "job-table--cursor", "job-table--row"}
    BINDINGS = [
        Binding("up", "cursor(-1)", show=False),
        Binding("down", "cursor(1)", show=False),
        Binding("pageup", "page(-1)", show=False),
        Binding("pagedown", "page(1)", show=False),
        Binding("home", "cursor_to(0)", show=False),
        Binding("end", "cursor_to(-1)", show=False),
        Binding("enter", "select", show=False),
    ]
    DEFAULT_CSS = """
    JobTable { overflow-x: hidden; }
    JobTable > .job-table--header { text-style: bold; background: $panel; }
    JobTable > .job-table--cursor { background: $accent 40%; }
    JobTable:focus > .job-table--cursor { background: $accent; text-style: bold; }
    """

    cursor_row: reactive[int] = reactive(0, layout=False, repaint=False)

    class RowSelected(Message):
        def __init__(self, table: "JobTable", job_id: int) -> None:
            super().__init__()
            self.table = table
            self.job_id = job_id

        @property
        def control(self) -> "JobTable":
            return self.table

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.order: list[int] = []  # job ids, top to bottom: newest first
        self.position: dict[int, int] = {}
        self.cells: dict[int, tuple[str, ...]] = {}
        self._strips: dict[int, Strip] = {}
        self.today: datetime | None = None

    def on_mount(self) -> None:
        self.border_title = "Call jobs"

    # --- data ---------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self.order)

    def row_cells(self, job: dict[str, Any]) -> tuple[str, ...]:
        return (
            str(job["id"]),
            job.get("contact_name") or "",
            job.get("current_call_objective_description") or "",
            job.get("overall_status") or "",
            attempts_text(job),
            short_time(job.get("next_retry_at"), self.today) if job.get("next_retry_at") else "",
            short_time(job.get("updated_at"), self.today, date_only=True),
        )

    def get_cell(self, job_key: str | int, column: str) -> str:
        return self.cells[int(job_key)][KEYS.index(column)]

    def seed(self, jobs: list[dict[str, Any]]) -> None:
        ordered = sorted(jobs, key=lambda j: j["id"], reverse=True)
        self.order = [j["id"] for j in ordered]
        self.position = {job_id: i for i, job_id in enumerate(self.order)}
        self.cells = {j["id"]: self.row_cells(j) for j in ordered}
        self._strips.clear()
        self.cursor_row = min(self.cursor_row, max(0, len(self.order) - 1))
        self.virtual_size = Size(WIDTH, len(self.order) + HEADER)
        self.refresh()

    def upsert(self, job: dict[str, Any]) -> None:
        job_id = job["id"]
        cells = self.row_cells(job)
        if self.cells.get(job_id) == cells:
            return
        self.cells[job_id] = cells
        self._strips.pop(job_id, None)
        if job_id not in self.position:
            self._insert(job_id)
            return
        self.refresh_line(self.position[job_id] + HEADER)

    def _insert(self, job_id: int) -> None:
        """A new job: in id order (newest first), the cursor staying on its job.
        O(rows) to renumber, but new jobs are rare next to changes."""
        index = bisect_left(self.order, -job_id, key=lambda j: -j)
        self.order.insert(index, job_id)
        for i in range(index, len(self.order)):
            self.position[self.order[i]] = i
        if index <= self.cursor_row and len(self.order) > 1:
            self.cursor_row += 1
        self.virtual_size = Size(WIDTH, len(self.order) + HEADER)
        self.refresh()

    def selected_job_id(self) -> int | None:
        return self.order[self.cursor_row] if 0 <= self.cursor_row < len(self.order) else None

    # --- drawing -------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y < HEADER:
            return self._header().crop_extend(0, width, self.rich_style)
        index = self.scroll_offset.y + y - HEADER
        if not 0 <= index < len(self.order):
            return Strip.blank(width, self.rich_style)
        job_id = self.order[index]
        if index == self.cursor_row:
            strip = self._row(job_id, self.get_component_rich_style("job-table--cursor"))
        else:
            strip = self._strips.get(job_id)
            if strip is None:
                strip = self._strips[job_id] = self._row(job_id, None)
        return strip.crop_extend(self.scroll_offset.x, self.scroll_offset.x + width, self.rich_style)

    def _header(self) -> Strip:
        style = self.get_component_rich_style("job-table--header")
        text = "".join(f" {fit(label, width)}" for _, label, width in COLUMNS) + " "
        return Strip([Segment(text, style)], WIDTH)

    def _row(self, job_id: int, cursor: Style | None) -> Strip:
        base = self.rich_style + cursor if cursor is not None else self.rich_style
        segments = []
        for (key, _, width), value in zip(COLUMNS, self.cells[job_id]):
            style = base
            if key == "status" and value in STATUS_STYLE and cursor is None:
                style = base + Style.parse(STATUS_STYLE[value])
            segments.append(Segment(f" {fit(value, width)}", style))
        segments.append(Segment(" ", base))
        return Strip(segments, WIDTH)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()

    # --- the cursor ------------------------------------------------------------

    def watch_cursor_row(self, old: int, new: int) -> None:
        self.refresh_line(old + HEADER)
        self.refresh_line(new + HEADER)
        visible = max(1, self.scrollable_content_region.height - HEADER)
        top = self.scroll_offset.y
        if new < top:
            self.scroll_to(y=new, animate=False)
        elif new >= top + visible:
            self.scroll_to(y=new - visible + 1, animate=False)

    def action_cursor(self, step: int) -> None:
        if self.order:
            self.cursor_row = max(0, min(len(self.order) - 1, self.cursor_row + step))

    def action_page(self, direction: int) -> None:
        self.action_cursor(direction * max(1, self.scrollable_content_region.height - HEADER))

    def action_cursor_to(self, index: int) -> None:
        if self.order:
            self.cursor_row = index % len(self.order)

    def action_select(self) -> None:
        job_id = self.selected_job_id()
        if job_id is not None:
            self.post_message(self.RowSelected(self, job_id))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        index = self.scroll_offset.y + offset.y - HEADER
        if offset.y >= HEADER and 0 <= index < len(self.order):
            if index == self.cursor_row and event.chain > 1:
                self.action_select()
            self.cursor_row = index
