"""The first frame: drawn before the databases and simulators are up (they
start on a worker thread), so the console answers at once."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Center, Middle
from textual.screen import Screen
from textual.widgets import Footer, Header, Static


class StartingScreen(Screen):
    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="☎")
        with Middle():
            with Center():
                yield Static("Starting Switchboard: opening the databases and starting the workers…",
                             id="starting", markup=False)
        yield Footer()
