"""One campaign: its progress and a chart of its outcomes at the top, its
jobs below — filtered by status (f), searched by name or number (/),
sorted (s), read a page at a time from the store (tui/widgets/campaign_jobs.py)
— and pause, resume, cancel, export from keys and the palette."""
from __future__ import annotations

from itertools import cycle
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.timer import Timer
from textual.widgets import Footer, Header, Input, Static

from core import events as ev
from store.campaign_views import CampaignProgress
from store.campaigns import Campaign
from tui import messages as msg
from tui.bindings import CAMPAIGN_BINDINGS
from tui.screens.campaign_actions import CampaignActions
from tui.widgets.campaign_jobs import PAGE, JobQuery, PagedJobTable, describe_query
from tui.widgets.campaign_progress import chart, counts_text, headline

if TYPE_CHECKING:
    from core.runtime import Runtime

# status filters, in the order f cycles them (None: every job)
STATUS_GROUPS: dict[tuple[str, ...] | None, str] = {
    None: "every status",
    ("PENDING", "RETRY_SCHEDULED"): "waiting",
    ("PROCESSING",): "in a call",
    ("COMPLETED_SUCCESS",): "succeeded",
    ("DECLINED", "FAILED_MAX_RETRIES", "FAILED_ERROR"): "not succeeded",
    ("EXPIRED", "CANCELLED"): "expired or cancelled",
}
# (store sort, descending) -> how the title says it, in the order s cycles them
ORDERS: dict[tuple[str, bool], str] = {
    ("id", False): "in list order",
    ("contact", False): "by name",
    ("status", False): "by status",
    ("updated", True): "last changed first",
    ("next_try", False): "by next try",
    ("cost", True): "costliest first",
}
SORT_WORDS = {sort: words for (sort, _), words in ORDERS.items()}
CHART_WIDTH = 40
SEARCH_PAUSE_S = 0.15  # a search is read once typing pauses: each read scans the campaign's jobs


class CampaignScreen(CampaignActions):
    BINDINGS = CAMPAIGN_BINDINGS

    def __init__(self, runtime: "Runtime", progress: CampaignProgress) -> None:
        super().__init__(id="campaign")
        self.runtime = runtime
        self.progress = progress
        self._groups = cycle(list(STATUS_GROUPS)[1:] + [None])
        self._orders = cycle(list(ORDERS)[1:] + list(ORDERS)[:1])
        self._search_timer: Timer | None = None

    @property
    def campaign(self) -> Campaign:
        return self.progress.campaign

    def current_campaign(self) -> Campaign | None:
        return self.campaign

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="☎")
        with Horizontal(id="campaign-top"):
            yield Static("", id="campaign-head")
            yield Static("", id="campaign-chart")
        yield Input(placeholder="Search by name or number; Enter keeps it, Escape clears", id="campaign-search")
        yield PagedJobTable(id="campaign-jobs", now=self.runtime.clock.now)
        yield Footer()

    def on_mount(self) -> None:
        self.title = "Switchboard — campaign"
        self.query_one("#campaign-search", Input).display = False
        self.show_progress(self.progress)
        table = self.query_one(PagedJobTable)
        table.focus()
        self.requery(JobQuery())

    # --- progress --------------------------------------------------------------

    def show_progress(self, progress: CampaignProgress) -> None:
        self.progress = progress
        head = self.query_one("#campaign-head", Static)
        text = headline(progress, max(40, head.size.width or self.size.width - CHART_WIDTH))
        text.append("\n")
        text.append_text(counts_text(progress.counts))
        head.update(text)
        box = self.query_one("#campaign-chart", Static)
        box.update(chart(progress.counts, CHART_WIDTH - 4))
        box.border_title = "Outcomes"

    @work(thread=True, exclusive=True, group="campaign-progress")
    def reload_progress(self) -> None:
        progress = self.runtime.jobs.campaign_progress(self.campaign.id)
        if progress is not None:
            self.app.call_from_thread(self.show_progress, progress)

    def on_campaigns_changed(self, message: msg.CampaignsChanged) -> None:
        event = message.event
        if isinstance(event, ev.CampaignsProgress):
            mine = next((p for p in event.campaigns if p["campaign"]["id"] == self.campaign.id), None)
            if mine is not None:
                moved = mine["counts"] != self.progress.counts
                self.show_progress(CampaignProgress.from_dict(mine))
                if moved:  # jobs changed status: the filter's count and order may have moved
                    self.count_jobs(self.query_one(PagedJobTable).reread(), self.query_one(PagedJobTable).query)
        elif event.campaign.get("id") == self.campaign.id:  # type: ignore[attr-defined]
            self.reload_progress()

    def on_job_changed(self, message: msg.JobChanged) -> None:
        job = message.job
        if job.campaign_id == self.campaign.id:
            self.query_one(PagedJobTable).upsert(job)

    # --- the jobs ----------------------------------------------------------------

    def requery(self, query: JobQuery) -> None:
        table = self.query_one(PagedJobTable)
        generation = table.start(query)
        self._title()
        self.count_jobs(generation, query)

    def _title(self) -> None:
        table = self.query_one(PagedJobTable)
        table.border_title = describe_query(table.query, table.total, SORT_WORDS, STATUS_GROUPS)

    @work(thread=True, exclusive=True, group="campaign-count")
    def count_jobs(self, generation: int, query: JobQuery) -> None:
        total = self.runtime.jobs.count_campaign_jobs(self.campaign.id, statuses=query.statuses,
                                                      search=query.search or None)
        self.app.call_from_thread(self._counted, generation, total)

    def _counted(self, generation: int, total: int) -> None:
        self.query_one(PagedJobTable).set_total(generation, total)
        self._title()

    def on_paged_job_table_page_wanted(self, event: PagedJobTable.PageWanted) -> None:
        event.stop()
        self.read_page(event.generation, event.query, event.page)

    @work(thread=True, group="campaign-pages")
    def read_page(self, generation: int, query: JobQuery, page: int) -> None:
        rows = self.runtime.jobs.campaign_jobs(self.campaign.id, statuses=query.statuses,
                                               search=query.search or None, sort=query.sort,
                                               descending=query.descending, offset=page * PAGE, limit=PAGE)
        self.app.call_from_thread(self.query_one(PagedJobTable).add_page, generation, page, rows)

    def on_paged_job_table_row_selected(self, event: PagedJobTable.RowSelected) -> None:
        event.stop()
        self.open_job(event.job_id)

    def open_job(self, job_id: int) -> None:
        from tui.screens.job_detail import JobDetailScreen

        self.app.push_screen(JobDetailScreen(self.runtime, job_id))

    def query_with(self, **changes: Any) -> JobQuery:
        query = self.query_one(PagedJobTable).query
        return JobQuery(**{**query.__dict__, **changes})

    # --- actions (tui/bindings.py) --------------------------------------------------

    def action_filter_status(self) -> None:
        group = next(self._groups)
        self.requery(self.query_with(statuses=group))

    def action_sort_jobs(self) -> None:
        sort, descending = next(self._orders)
        self.requery(self.query_with(sort=sort, descending=descending))

    def action_search_jobs(self) -> None:
        box = self.query_one("#campaign-search", Input)
        box.display = True
        box.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "campaign-search":
            event.stop()
            if self._search_timer is not None:
                self._search_timer.stop()
            search = " ".join(event.value.split())
            self._search_timer = self.set_timer(SEARCH_PAUSE_S, lambda: self.requery(self.query_with(search=search)))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "campaign-search":
            event.stop()
            self.query_one(PagedJobTable).focus()

    def action_job_detail(self) -> None:
        job = self.query_one(PagedJobTable).selected_job()
        if job is None:
            self.notify("No job selected.", severity="warning")
            return
        self.open_job(job.id)

    def action_close(self) -> None:
        box = self.query_one("#campaign-search", Input)
        if box.has_focus:
            box.value = ""
            box.display = False
            self.query_one(PagedJobTable).focus()
            return
        self.dismiss()
