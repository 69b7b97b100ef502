"""The call-job table, kept in step one row at a time (keyed by job id).

Built on Textual's line API rather than DataTable: DataTable (8.2.8)
rebuilds its row order and repaints every visible cell whenever any cell
changes, which costs ~35 ms a change at 5,000 rows. Here a change rebuilds
one row's strip and repaints one line, so it costs the same with 5 jobs or
5,000. Line 0 is the header, pinned; rows follow."""
from __future__ import annotations

from bisect import bisect_left
from datetime import datetime
from typing import Any, Callable

from rich.style import Style
from rich.text import Text
from textual import events
from textual.geometry import Size
from textual.message import Message
from textual.strip import Strip

from core.records import Job
from core.text import visible
from tui.format import attempts_text, next_try, short_time
from tui.widgets.cursor_table import HEADER, CursorTable, column_widths, fit

# key, header, width; the objective takes whatever room is left
COLUMNS = (
    ("id", "Job", 4),
    ("contact", "Contact", 12),
    ("objective", "Objective", 16),
    ("status", "Status", 18),
    ("retries", "Retries", 7),
    ("next_retry", "Next try", 12),
    ("updated", "Updated", 8),
)
KEYS = [key for key, _, _ in COLUMNS]
OBJECTIVE = KEYS.index("objective")
MIN_OBJECTIVE = 8
# on a narrow terminal these columns go first, in this order
DROPPABLE = [KEYS.index("updated"), KEYS.index("retries")]
STATUS_ORDER = {s: i for i, s in enumerate(
    ("PROCESSING", "PENDING", "RETRY_SCHEDULED", "FAILED_ERROR", "FAILED_MAX_RETRIES", "COMPLETED_SUCCESS", "CANCELLED", "DECLINED",
     "EXPIRED"))}
# sort name -> (label, key of a job row); every sort breaks ties newest first
SORTS: dict[str, tuple[str, Callable[[Job], Any]]] = {
    "newest": ("newest first", lambda j: 0),
    "status": ("by status", lambda j: STATUS_ORDER.get(j.overall_status or "", 99)),
    "next_try": ("by next try", lambda j: (j.overall_status not in ("PENDING", "RETRY_SCHEDULED"),
                                           j.next_retry_at or "~")),
    "contact": ("by contact", lambda j: (j.contact_name or "").casefold()),
}


def haystack(job: Job) -> str:
    """What the filter searches: the job's id, contact, number, objective and
    status, case-folded (kept per job, so a key typed costs one scan)."""
    return " ".join(str(v or "") for v in (
        job.id, job.contact_name, job.phone_number, job.current_call_objective_description, job.overall_status)).casefold()


class JobTable(CursorTable):
    COMPONENT_CLASSES = {"job-table--header", "job-table--cursor", "job-table--row"}
    COLUMNS = COLUMNS
    HEADER_CLASS, CURSOR_CLASS = "job-table--header", "job-table--cursor"
    DEFAULT_CSS = """
    JobTable { overflow-x: hidden; }
    JobTable > .job-table--header { text-style: bold; background: $panel; }
    JobTable > .job-table--cursor { background: $accent 40%; }
    JobTable:focus > .job-table--cursor { background: $accent; text-style: bold; }
    """

    class RowSelected(Message):
        def __init__(self, table: "JobTable", job_id: int) -> None:
            super().__init__()
            self.table = table
            self.job_id = job_id

        @property
        def control(self) -> "JobTable":
            return self.table

    def __init__(self, *, now: Callable[[], datetime] | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self.now = now or (lambda: datetime.now().astimezone())
        self.jobs: dict[int, Job] = {}
        self.order: list[int] = []  # job ids shown, top to bottom
        self._position: dict[int, int] | None = None  # job id -> its index in order, made when asked
        self._sorted: list[int] | None = None  # every job id in the sort's order, filter aside
        self.cells: dict[int, tuple[str, ...]] = {}  # made when a job is first drawn
        self.hay: dict[int, str] = {}  # job id -> haystack(job)
        self.filter_words: list[str] = []
        self.sort = "newest"
        self.today: datetime | None = None

    def on_mount(self) -> None:
        self._title()

    def on_resize(self) -> None:
        # the objective takes the room the others leave; when room is short the Updated,
        # then the Retries column goes before the objective narrows below its usual width
        widths = column_widths(COLUMNS, self.scrollable_content_region.width, stretch=OBJECTIVE,
                               droppable=DROPPABLE, keep=COLUMNS[OBJECTIVE][2], least=MIN_OBJECTIVE)
        if self.set_widths(widths):
            self.virtual_size = Size(self.row_width, len(self.order) + HEADER)
            self.refresh()

    @property
    def row_width(self) -> int:
        return sum(width + 1 for width in self.widths if width) + 1

    def _title(self) -> None:
        shown, total = len(self.order), len(self.jobs)
        title = f"Call jobs ({total})" if shown == total else f"Call jobs ({shown} of {total})"
        if self.sort != "newest":
            title += f" · {SORTS[self.sort][0]}"
        if self.filter_words:
            title += f" · filter: {' '.join(self.filter_words)}"
        self.border_title = Text(visible(title, one_line=True))  # never markup: the filter is typed text

    # --- data ---------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self.order)

    def row_cells(self, job: Job) -> tuple[str, ...]:
        today = self.today or self.now()
        return (
            str(job.id),
            visible(job.contact_name or "", one_line=True),
            visible(job.current_call_objective_description or "", one_line=True),
            job.overall_status or "",
            attempts_text(job),
            next_try(job, today),
            short_time(job.updated_at, today, date_only=True),
        )

    def get_cell(self, job_key: str | int, column: str) -> str:
        return self.job_cells(int(job_key))[KEYS.index(column)]

    def job_cells(self, job_id: int) -> tuple[str, ...]:
        """A job's cells, made when first drawn (a start with 5,000 jobs draws a screenful)."""
        cells = self.cells.get(job_id)
        if cells is None:
            cells = self.cells[job_id] = self.row_cells(self.jobs[job_id])
        return cells

    def _sort_key(self, job_id: int) -> tuple[Any, int]:
        return (SORTS[self.sort][1](self.jobs[job_id]), -job_id)

    def load_jobs(self, jobs: list[Job]) -> None:
        self.jobs = {j.id: j for j in jobs}
        self.cells = {}
        self.hay = {j.id: haystack(j) for j in jobs}
        self.drawn.clear()  # a job's line depends on its cells, never on where it is: kept across filters
        self._sorted = None
        self._reorder()

    def set_view(self, *, filter_text: str | None = None, sort: str | None = None) -> None:
        """Show only jobs matching ``filter_text``, in ``sort`` order (a key of SORTS)."""
        narrower = False
        if filter_text is not None:
            words = visible(filter_text, one_line=True).casefold().split()
            # a key typed at the end of the filter only narrows it: every job it
            # shows is among those shown now, so only they need looking at
            narrower = all(any(old in new for new in words) for old in self.filter_words)
            self.filter_words = words
        if sort is not None and sort != self.sort:
            if sort not in SORTS:
                raise ValueError(f"unknown sort {sort!r}; one of {', '.join(SORTS)}")
            self.sort = sort
            self._sorted = None
            narrower = False
        self._reorder(self.order if narrower else None)

    @property
    def position(self) -> dict[int, int]:
        if self._position is None:
            self._position = dict(zip(self.order, range(len(self.order))))
        return self._position

    def _reorder(self, among: list[int] | None = None) -> None:
        """Rebuild the shown order from ``among`` (ids in order; all jobs when
        None), the cursor staying on its job if still shown."""
        current = self.selected_job_id()
        if among is None:
            if self._sorted is None:
                # newest first is the ids descending: no key to compute per job
                self._sorted = (sorted(self.hay, reverse=True) if self.sort == "newest"
                                else sorted(self.hay, key=self._sort_key))
            among = self._sorted
        hay = self.hay
        for word in self.filter_words:  # a pass per word: each pass looks at fewer jobs
            among = [job_id for job_id in among if word in hay[job_id]]
        self.order = list(among)
        self._position = None
        try:
            self.cursor_row = self.order.index(current)
        except ValueError:
            self.cursor_row = min(self.cursor_row, max(0, len(self.order) - 1))
        self.virtual_size = Size(self.row_width, len(self.order) + HEADER)
        self._title()
        self.refresh()

    def upsert(self, job: Job) -> None:
        job_id = job.id
        before = self.jobs.get(job_id)
        self.jobs[job_id] = job
        cells = self.row_cells(job)
        if self.cells.get(job_id) == cells and before is not None:
            return
        self.cells[job_id] = cells
        self.hay[job_id] = haystack(job)
        self.drawn.discard(job_id)
        shown = all(word in self.hay[job_id] for word in self.filter_words)
        moved = self.sort != "newest" and before is not None and SORTS[self.sort][1](before) != SORTS[self.sort][1](job)
        if before is None or moved:
            self._sorted = None
        if job_id not in self.position:
            if shown:
                self._insert(job_id)
            else:
                self._title()
            return
        if not shown or moved:
            self._reorder()  # it left the filter or moved in the order
            return
        self.refresh_line(self.position[job_id] + HEADER)

    def _insert(self, job_id: int) -> None:
        """A new job in its place, the cursor staying on its job."""
        index = bisect_left(self.order, self._sort_key(job_id), key=self._sort_key)
        self.order.insert(index, job_id)
        self._position = None
        if index <= self.cursor_row and len(self.order) > 1:
            self.cursor_row += 1
        self.virtual_size = Size(self.row_width, len(self.order) + HEADER)
        self._title()
        self.refresh()

    def selected_job_id(self) -> int | None:
        return self.order[self.cursor_row] if 0 <= self.cursor_row < len(self.order) else None

    # --- drawing -------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.line_width
        if y < HEADER:
            return fit(self.header_line(), 0, width, self.line_style)
        index = self.top + y - HEADER
        if not 0 <= index < len(self.order):
            return Strip.blank(width, self.line_style)
        job_id = self.order[index]
        if index == self.cursor_row:
            strip = self._row(job_id, self.cursor_style, cursor=True)
        else:
            strip = self.drawn.get(job_id)
            if strip is None:
                strip = self._row(job_id, self.line_style)
                self.drawn.set(job_id, strip)
        return fit(strip, self.left, width, self.line_style)

    def _row(self, job_id: int, base: Style, cursor: bool = False) -> Strip:
        return self.cells_line(self.job_cells(job_id), base, self.row_width, status_colour=not cursor)

    # --- the cursor ------------------------------------------------------------

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
