"""A campaign's jobs, read a page at a time: the table knows how many jobs
the filter matches and keeps only the pages it has drawn (at most
MAX_PAGES), so 100,000 jobs cost what one screenful does. A line whose page
is not here yet is drawn as "…" while a thread worker reads it; a new
filter, search or order starts again from its count. Line 0 is the header,
pinned; rows follow (Textual's line API, as the main job table)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.geometry import Region, Size
from textual.message import Message
from textual.strip import Strip

from core.records import Job
from core.text import visible
from tui.format import WAITING, short_time
from tui.widgets.cursor_table import HEADER, CursorTable, column_widths, fit


PAGE = 200
MAX_PAGES = 15  # 3,000 rows kept at most (each page a read of ~50 ms away); the farthest from the cursor go first
# key, header, width; the objective takes what is left
COLUMNS = (("id", "Job", 6), ("contact", "Contact", 16), ("phone", "Number", 13), ("status", "Status", 18),
           ("tries", "Retries", 7), ("next", "Next try", 9), ("cost", "Cost", 7), ("objective", "Objective", 12))
KEYS = [key for key, _, _ in COLUMNS]
MIN_OBJECTIVE = 10
# on a narrow terminal these columns go first, in this order
DROPPABLE = [KEYS.index("next"), KEYS.index("cost"), KEYS.index("tries")]


@dataclass(frozen=True)
class JobQuery:
    """What the table shows: ``statuses`` (None: all), ``search`` (words in
    the name or the number), ``sort`` (a store.campaign_views.JOB_SORTS key)."""
    statuses: tuple[str, ...] | None = None
    search: str = ""
    sort: str = "id"
    descending: bool = False


def job_cells(job: Job, today: datetime) -> tuple[str, ...]:
    waiting = job.overall_status in WAITING and job.next_retry_at
    cost = job.cost_estimate_usd or 0.0
    return (str(job.id), visible(job.contact_name, one_line=True), job.phone_number, job.overall_status,
            f"{job.retries_attempted}/{job.max_retries}", short_time(job.next_retry_at, today) if waiting else "",
            f"${cost:.2f}" if cost else "", visible(job.current_call_objective_description, one_line=True))


class PagedJobTable(CursorTable):
    COMPONENT_CLASSES = {"paged-jobs--header", "paged-jobs--cursor"}
    COLUMNS = COLUMNS
    HEADER_CLASS, CURSOR_CLASS = "paged-jobs--header", "paged-jobs--cursor"
    DEFAULT_CSS = """
    PagedJobTable { overflow-x: hidden; }
    PagedJobTable > .paged-jobs--header { text-style: bold; background: $panel; }
    PagedJobTable > .paged-jobs--cursor { background: $accent 40%; }
    PagedJobTable:focus > .paged-jobs--cursor { background: $accent; text-style: bold; }
    """

    class RowSelected(Message):
        def __init__(self, job_id: int) -> None:
            super().__init__()
            self.job_id = job_id

    class PageWanted(Message):
        """The table needs rows it does not have: read page ``page`` of ``query``."""
        def __init__(self, generation: int, query: JobQuery, page: int) -> None:
            super().__init__()
            self.generation, self.query, self.page = generation, query, page

    def __init__(self, *, now: Callable[[], datetime], id: str | None = None) -> None:
        super().__init__(id=id)
        self.now = now
        self.query = JobQuery()
        self.generation = 0  # moves with every new query: a late page of an old one is dropped
        self.total: int | None = None
        self.pages: dict[int, list[Job]] = {}
        self.asked: set[int] = set()
        self.stale: set[int] = set()  # pages shown until their new reading arrives
        self.today = now()

    # --- data ---------------------------------------------------------------

    def start(self, query: JobQuery) -> int:
        """A new query: everything shown so far goes; returns its generation."""
        self.query = query
        self.generation += 1
        self.total = None
        self.pages.clear()
        self.asked.clear()
        self.stale.clear()
        self.drawn.clear()
        self.cursor_row = 0
        self.scroll_to(y=0, animate=False)
        self._resize()
        return self.generation

    def reread(self) -> int:
        """The same query read again (jobs moved on): what is shown stays, cursor
        and all, until each page's new reading arrives; returns its generation."""
        self.generation += 1
        self.stale = set(self.pages)
        self.asked.clear()
        self.refresh()
        return self.generation

    def set_total(self, generation: int, total: int) -> None:
        if generation == self.generation:
            self.total = total
            self.cursor_row = min(self.cursor_row, max(0, total - 1))
            self._resize()

    def add_page(self, generation: int, page: int, jobs: list[Job]) -> None:
        if generation != self.generation:
            return
        self.asked.discard(page)
        self.stale.discard(page)
        for old in self.pages.get(page, []):
            self.drawn.discard(old.id)
        self.pages[page] = jobs
        if len(self.pages) > MAX_PAGES:
            here = self.cursor_row // PAGE
            for gone in self.pages.pop(max(self.pages, key=lambda p: abs(p - here))):
                self.drawn.discard(gone.id)
        self.refresh()

    def upsert(self, job: Job) -> None:
        """A job changed: redrawn where it is shown (a new order waits for the next query)."""
        for number, rows in self.pages.items():
            for i, shown in enumerate(rows):
                if shown.id == job.id:
                    rows[i] = job
                    self.drawn.discard(job.id)
                    self.refresh_line(number * PAGE + i + HEADER)
                    return

    def job_at(self, index: int) -> Job | None:
        rows = self.pages.get(index // PAGE)
        return rows[index % PAGE] if rows is not None and index % PAGE < len(rows) else None

    def selected_job(self) -> Job | None:
        return self.job_at(self.cursor_row)

    @property
    def row_count(self) -> int:
        return self.total or 0

    def _resize(self) -> None:
        self.virtual_size = Size(self.size.width, self.row_count + HEADER)
        self.refresh()

    def on_resize(self) -> None:
        # the scrollbar's room is kept whether it shows yet or not (it comes with the first count)
        room = self.size.width - self.styles.scrollbar_size_vertical
        self.set_widths(column_widths(COLUMNS, room, stretch=len(COLUMNS) - 1, droppable=DROPPABLE,
                                      keep=MIN_OBJECTIVE, least=MIN_OBJECTIVE))
        self._resize()

    # --- drawing -------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width, base = self.line_width, self.line_style
        if y < HEADER:
            return fit(self.header_line(), 0, width, base)
        index = self.top + y - HEADER
        if not 0 <= index < self.row_count:
            if index == 0 and self.total == 0:
                return Strip([Segment(" No job matches.", base + Style(dim=True))]).extend_cell_length(width, base)
            return Strip.blank(width, base)
        if index == self.cursor_row:
            base = self.cursor_style
        job = self.job_at(index)
        if job is None or index // PAGE in self.stale:
            self._want(index // PAGE)
        if job is None:
            return Strip([Segment(" …", base + Style(dim=True))]).extend_cell_length(width, base)
        if index == self.cursor_row:
            return self._line(job, base, width)
        strip = self.drawn.get(job.id)
        if strip is None or strip.cell_length != width:
            strip = self._line(job, base, width)
            self.drawn.set(job.id, strip)
        return strip

    def _line(self, job: Job, base: Style, width: int) -> Strip:
        return self.cells_line(job_cells(job, self.today), base, width)

    def render_lines(self, crop: Region) -> list[Strip]:
        self.today = self.now()  # one reading of the clock for a whole pass
        return super().render_lines(crop)

    def _want(self, page: int) -> None:
        if page not in self.asked and (page not in self.pages or page in self.stale):
            self.asked.add(page)
            self.post_message(self.PageWanted(self.generation, self.query, page))

    # --- the cursor ------------------------------------------------------------

    def action_select(self) -> None:
        job = self.selected_job()
        if job is not None:
            self.post_message(self.RowSelected(job.id))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y < HEADER:
            return
        index = self.scroll_offset.y + offset.y - HEADER
        if 0 <= index < self.row_count:
            if index == self.cursor_row and event.chain > 1:
                self.action_select()
            self.cursor_row = index


def describe_query(query: JobQuery, total: int | None, sorts: dict[str, str], groups: dict[Any, str]) -> Text:
    """The table's title: how many jobs match, which filter, which order."""
    shown = "…" if total is None else f"{total:,}"
    title = f"Jobs ({shown})"
    if query.statuses is not None:
        title += f" · {groups[query.statuses]}"
    if query.search:
        title += f" · search: {query.search}"
    title += f" · {sorts[query.sort]}"
    return Text(visible(title, one_line=True))
