"""Small modal dialogs: a yes/no question, and one line of text whose value
the domain checks (in a thread: it may touch the database) before the dialog
closes, showing its reason when it refuses."""
from __future__ import annotations

import logging
from typing import Any, Callable

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, Static
from textual.worker import Worker, WorkerState

from core.text import visible
from tui.screens.form import FormScreen
from tui.bindings import CONFIRM_BINDINGS

log = logging.getLogger(__name__)


class ConfirmScreen(ModalScreen[bool]):
    BINDINGS = CONFIRM_BINDINGS

    def __init__(self, question: str, yes: str = "Yes", no: str = "No") -> None:
        super().__init__(classes="dialog")
        self.question = question
        self.yes, self.no = yes, no

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-body"):
            yield Static(Text(visible(self.question)), classes="dialog-title")
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.yes} (y)", variant="error", id="confirm-yes")
                yield Button(f"{self.no} (n)", id="confirm-no")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#confirm-no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)

    def action_cancel(self) -> None:
        self.dismiss(False)


class AskScreen(FormScreen[Any]):
    """Asks for one line; ``apply(value)`` runs in a worker thread and either
    returns the result (the dialog closes with it) or raises ValueError with
    the operator's message (shown; the dialog stays, the typing kept)."""

    OK_BUTTON = "ask-ok"

    def __init__(self, title: str, label: str, apply: Callable[[str], Any], *, value: str = "",
                 placeholder: str = "", hint: str = "", dialog_id: str | None = None) -> None:
        super().__init__(id=dialog_id, classes="dialog")
        self.title_text, self.label, self.apply_value = title, label, apply
        self.value, self.placeholder, self.hint = value, placeholder, hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-body"):
            yield Static(Text(visible(self.title_text), style="bold"), classes="dialog-title")
            yield Label(self.label)
            yield Input(self.value, placeholder=self.placeholder, id="ask-value")
            if self.hint:
                yield Static(Text(self.hint), classes="dialog-hint")
            yield Static("", id="ask-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("OK", variant="primary", id="ask-ok")
                yield Button("Cancel", id="ask-cancel")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#ask-value", Input).focus()

    def submit(self) -> None:
        self.query_one("#ask-ok", Button).disabled = True
        self._apply(self.query_one("#ask-value", Input).value)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "dialog" and event.state == WorkerState.ERROR:
            log.error("%s failed", self.title_text, exc_info=event.worker.error)
            self._refused(f"Could not do it: {type(event.worker.error).__name__}: {event.worker.error}")

    @work(thread=True, exclusive=True, group="dialog", exit_on_error=False)
    def _apply(self, value: str) -> None:
        try:
            result = self.apply_value(value)
        except ValueError as e:
            self.app.call_from_thread(self._refused, str(e))
            return
        self.app.call_from_thread(self.dismiss, result)

    def _refused(self, reason: str) -> None:
        self.query_one("#ask-error", Static).update(Text(visible(reason), style="bold red"))
        self.query_one("#ask-ok", Button).disabled = False
