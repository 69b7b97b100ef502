"""The do-not-call list: every number Switchboard will never dial — those
whose callees asked (with why, which job, when and who added them) and
those in the config — and a way to lift a listing (asked twice, because it
lets someone who said "don't call again" be called)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, DataTable, Footer, Header, Input, Label, Static

from core.records import DoNotCallEntry
from core.text import visible
from tui import messages as msg
from tui.screens.form import FormScreen
from tui.bindings import DO_NOT_CALL_BINDINGS
from tui.format import safe, short_time

if TYPE_CHECKING:
    from core.runtime import Runtime
    from tui.app import SwitchboardApp

COLUMNS = ("Number", "Reason", "Job", "Added", "Added by")


class DoNotCallScreen(Screen):
    BINDINGS = DO_NOT_CALL_BINDINGS

    def __init__(self, runtime: "Runtime") -> None:
        super().__init__(id="do-not-call")
        self.runtime = runtime
        self.entries: dict[str, DoNotCallEntry] = {}
        self.armed: str | None = None  # the number the next "remove" will lift

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="☎")
        yield Static("", id="dnc-hint")
        table: DataTable[Any] = DataTable(id="dnc-table", cursor_type="row", zebra_stripes=True)
        table.add_columns(*COLUMNS)
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self.title = "Switchboard — do-not-call list"
        self.query_one("#dnc-hint", Static).update(Text(
            "Numbers Switchboard never dials. a adds one; select one and press x twice to lift it; "
            "numbers from the config are lifted in config.toml (calling.do_not_call).", style="dim"))
        self.query_one(DataTable).focus()
        self.reload()

    @work(thread=True, exclusive=True, group="do-not-call")
    def reload(self) -> None:
        entries = self.runtime.actions.do_not_call_list()
        self.app.call_from_thread(self.show, entries)

    def show(self, entries: list[DoNotCallEntry]) -> None:
        table = self.query_one(DataTable)
        selected = self.selected()
        table.clear()
        self.entries = {e.phone_number: e for e in entries}
        today = self.runtime.clock.now()
        for e in entries:
            table.add_row(
                Text(e.phone_number),
                Text(visible(e.reason or "", one_line=True)),
                Text(str(e.job_id) if e.job_id else "—"),
                Text(short_time(e.added_at, today) if e.added_at else "—"),
                Text(visible(e.added_by or "", one_line=True)),
                key=e.phone_number,
            )
        if not entries:
            table.add_row(Text("The list is empty.", style="dim"), "", "", "", "", key="")
        elif selected in self.entries:
            table.move_cursor(row=table.get_row_index(selected))

    def selected(self) -> str | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return key or None

    def on_do_not_call_changed(self, message: msg.DoNotCallChanged) -> None:
        self.reload()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.armed = None

    def action_remove(self) -> None:
        phone = self.selected()
        entry = self.entries.get(phone or "")
        if entry is None:
            self.notify("Nothing selected to remove.")
            return
        if entry.added_by == "config":
            self.notify(f"{phone} is listed in the config: remove it from calling.do_not_call in config.toml.",
                        severity="warning", markup=False)
            return
        if self.armed != phone:
            self.armed = phone
            app: "SwitchboardApp" = self.app  # type: ignore[assignment]
            key = app.keys.get("remove_do_not_call", "x")
            self.notify(f"Remove {phone} ({visible(entry.reason)})? Press {key} again to confirm.",
                        markup=False)
            return
        self.armed = None
        self.lift(phone)

    @work(thread=True, group="do-not-call")
    def lift(self, phone: str) -> None:
        self.runtime.actions.lift_do_not_call(phone)

    def action_add(self) -> None:
        self.app.push_screen(AddDoNotCallScreen(self.runtime))

    def action_close(self) -> None:
        self.dismiss()


class AddDoNotCallScreen(FormScreen[DoNotCallEntry | None]):
    """List a number by hand: any form of it, and why."""
    OK_BUTTON = "dnc-ok"

    def __init__(self, runtime: "Runtime") -> None:
        super().__init__(id="add-do-not-call")
        self.runtime = runtime

    def compose(self) -> ComposeResult:
        with Vertical(id="dnc-form"):
            yield Label("Never call this number", id="dnc-form-title")
            yield Input(placeholder="+14155550123", id="dnc-phone")
            yield Input(placeholder="Why (e.g. asked by email not to be called)", id="dnc-reason")
            yield Label("", id="dnc-error")
            with Horizontal(id="dnc-buttons"):
                yield Button("Add", variant="primary", id="dnc-ok")
                yield Button("Cancel", id="dnc-cancel")

    def on_mount(self) -> None:
        self.query_one("#dnc-phone", Input).focus()

    def submit(self) -> None:
        phone = self.query_one("#dnc-phone", Input).value
        reason = self.query_one("#dnc-reason", Input).value
        try:
            entry = self.runtime.actions.add_do_not_call(phone, reason)
        except ValueError as e:
            self.query_one("#dnc-error", Label).update(safe(e))
            return
        self.notify(f"{entry.phone_number} is on the do-not-call list.", markup=False)
        self.dismiss(entry)
