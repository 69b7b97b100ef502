"""`?`: every key binding, as currently mapped (after `[keys]`), and the
browser mirror's link."""
from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from core.text import visible
from tui.bindings import APP_BINDINGS, MAIN_BINDINGS, MODAL_BINDINGS, key_of


def bindings_table(keymap: dict[str, str]) -> Table:
    table = Table(title="Keys", expand=True)
    table.add_column("Key", no_wrap=True)
    table.add_column("Does")
    # Text cells: "[keys]" must read as written, not as markup
    table.add_column(Text("Binding id (for [keys] in config.toml)"), style="dim", no_wrap=True)
    for binding in APP_BINDINGS + MAIN_BINDINGS:
        remapped = binding.id in keymap
        key = key_of(binding, keymap) if remapped else (binding.key_display or binding.key)
        table.add_row(Text(visible(key)), Text(binding.tooltip or binding.description or binding.action),
                      Text(binding.id or ""))
    table.add_row(Text("ctrl+p"), Text("Command palette: every action by name"), Text(""))
    table.add_row(Text("enter"), Text("On a job row: open the job detail; on a badge: its job"), Text(""))
    table.add_row(Text("left/right"), Text("Between the update badges"), Text(""))
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
                yield Static(Text.assemble(("Browser mirror: ", "bold"), visible(self.mirror_link),
                                           no_wrap=True, overflow="ignore"), id="help-mirror")
                yield Static("y (on the main screen) copies the link; the token stays the same across "
                             "restarts (app.py --new-mirror-token replaces it).", id="help-mirror-hint", markup=False)
            yield Static("Escape closes this page.", id="help-hint")
        yield Footer()

    def action_cancel(self) -> None:
        self.dismiss(None)
