"""`?`: every key binding, as currently mapped (after `[keys]`)."""
from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.bindings import APP_BINDINGS, MAIN_BINDINGS, MODAL_BINDINGS


def bindings_table(keymap: dict[str, str]) -> Table:
    table = Table(title="Keys", expand=True)
    table.add_column("Key")
    table.add_column("Does")
    table.add_column("Binding id (for [keys] in config.toml)", style="dim")
    for binding in APP_BINDINGS + MAIN_BINDINGS:
        key = keymap.get(binding.id or "", binding.key_display or binding.key)
        table.add_row(Text(key), binding.description or binding.action, binding.id or "")
    table.add_row("ctrl+p", "Command palette: every action by name", "")
    table.add_row("enter", "On a job row: open the job detail", "")
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS = MODAL_BINDINGS

    def __init__(self, keymap: dict[str, str], mirror_link: str | None = None) -> None:
        super().__init__(id="help")
        self.keymap = keymap
        self.mirror_link = mirror_link

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Static(bindings_table(self.keymap))
            if self.mirror_link:  # the link carries the mirror's token: for the operator's eyes
                yield Static(f"Browser mirror: {self.mirror_link}", id="help-mirror", markup=False)
            yield Static("Escape closes this page.", id="help-hint")

    def action_cancel(self) -> None:
        self.dismiss(None)
