"""The campaigns: one row a campaign (newest first) with its progress bar,
done/total, success rate, cost so far and time left; below, the selected
one's jobs counted by status. Open one for its jobs; pause, resume, cancel,
export or import from here. Redrawn from ``campaigns_progress`` (the
campaigns worker) and re-read when a campaign changes here."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.widgets import DataTable, Footer, Header, Static

from core import events as ev
from store.campaign_views import CampaignProgress
from store.campaigns import Campaign
from tui import messages as msg
from tui.bindings import CAMPAIGNS_BINDINGS
from tui.format import clip, safe
from tui.screens.campaign_actions import CampaignActions
from tui.widgets.campaign_progress import bar, counts_text, headline, left_text, rate_text, state_text

if TYPE_CHECKING:
    from core.runtime import Runtime

COLUMNS = ("Campaign", "State", "Progress", "Done", "Success", "Cost", "Left")
BAR_WIDTH = 12
NAME_WIDTH = 40
OTHER_COLUMNS = 64  # what the columns after the name take, about


class CampaignsScreen(CampaignActions):
    BINDINGS = CAMPAIGNS_BINDINGS

    def __init__(self, runtime: "Runtime") -> None:
        super().__init__(id="campaigns")
        self.runtime = runtime
        self.progress: dict[int, CampaignProgress] = {}
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="☎")
        table: DataTable[Any] = DataTable(id="campaigns-table", cursor_type="row", zebra_stripes=True)
        table.add_columns(*COLUMNS)
        yield table
        yield Static("", id="campaigns-selected")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "Switchboard — campaigns"
        self.query_one(DataTable).focus()
        self.reload()

    @work(thread=True, exclusive=True, group="campaigns-read")
    def reload(self) -> None:
        progress = self.runtime.jobs.campaigns_progress()
        self.app.call_from_thread(self.show, progress)

    def on_campaigns_changed(self, message: msg.CampaignsChanged) -> None:
        event = message.event
        if isinstance(event, ev.CampaignsProgress):
            self.show([CampaignProgress.from_dict(p) for p in event.campaigns])
        else:
            self.reload()  # this process changed one: show it at once

    def show(self, progress: list[CampaignProgress]) -> None:
        table = self.query_one(DataTable)
        selected = self.selected_id()
        self.loaded = True
        self.progress = {p.campaign.id: p for p in progress}
        table.clear()
        name_width = max(12, min(NAME_WIDTH, self.size.width - OTHER_COLUMNS))
        for p in progress:
            table.add_row(
                safe(clip(p.campaign.name, name_width)),
                state_text(p),
                bar(p.finished, p.total, BAR_WIDTH if self.size.width >= 100 else 8),
                Text(f"{p.finished:,}/{p.total:,}"),
                Text(rate_text(p), justify="right"),
                Text(f"${p.cost_usd:,.2f}", justify="right"),
                Text(left_text(p), justify="right"),
                key=str(p.campaign.id),
            )
        if selected in self.progress:
            table.move_cursor(row=table.get_row_index(str(selected)))
        self.show_selected()

    def selected_id(self) -> int | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return int(key) if key else None

    def current_campaign(self) -> Campaign | None:
        p = self.progress.get(self.selected_id() or 0)
        return p.campaign if p is not None else None

    def show_selected(self) -> None:
        box = self.query_one("#campaigns-selected", Static)
        p = self.progress.get(self.selected_id() or 0)
        if p is None:
            box.update(Text("No campaigns yet: press i to import a call list. A campaign calls a whole list "
                            "with one objective template; the file is CSV (phone, name, timezone and the "
                            "template's fields).") if self.loaded and not self.progress else "")
            return
        text = headline(p, self.size.width)
        text.append("\n")
        text.append_text(counts_text(p.counts))
        box.update(text)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_selected()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open_campaign()

    def action_open_campaign(self) -> None:
        from tui.screens.campaign import CampaignScreen

        p = self.progress.get(self.selected_id() or 0)
        if p is None:
            self.notify("No campaign selected.", severity="warning")
            return
        self.app.push_screen(CampaignScreen(self.runtime, p))

    def action_import_campaign(self) -> None:
        from tui.screens.campaign_import import ImportCampaignScreen

        self.app.push_screen(ImportCampaignScreen(self.runtime))

    def action_close(self) -> None:
        self.dismiss()
