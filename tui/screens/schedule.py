"""The schedule-a-call form: a contact from the directory or a number, and
the objective. Validation is the domain's (Actions.schedule_call); its
message is shown as-is."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select

from tui.bindings import MODAL_BINDINGS
from tui.format import safe

if TYPE_CHECKING:
    from core.runtime import Runtime


class ScheduleCallScreen(ModalScreen[dict[str, Any] | None]):
    BINDINGS = MODAL_BINDINGS

    def __init__(self, runtime: "Runtime") -> None:
        super().__init__(id="schedule")
        self.runtime = runtime

    def compose(self) -> ComposeResult:
        contacts = self.runtime.config.settings.contacts
        options = [(f"{c.name} ({c.role})" if c.role else c.name, c.name) for c in contacts]
        with Vertical(id="schedule-form"):
            yield Label("Schedule a call", id="schedule-title")
            yield Label("Contact from the directory")
            yield Select(options, prompt="Choose a contact, or type a number below", id="schedule-contact")
            yield Label("…or a name and phone number")
            with Horizontal(id="schedule-other"):
                yield Input(placeholder="Name", id="schedule-name")
                yield Input(placeholder="+14155550123", id="schedule-phone")
            yield Label("Objective")
            yield Input(placeholder="What should the call achieve?", id="schedule-objective")
            yield Label("", id="schedule-error")
            with Horizontal(id="schedule-buttons"):
                yield Button("Schedule", variant="primary", id="schedule-ok")
                yield Button("Cancel", id="schedule-cancel")

    def on_mount(self) -> None:
        self.query_one("#schedule-contact", Select).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "schedule-ok":
            self.submit()
        else:
            self.dismiss(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.submit()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def submit(self) -> None:
        selected = self.query_one("#schedule-contact", Select).value
        name = self.query_one("#schedule-name", Input).value
        if selected is not Select.NULL and selected is not None:
            name = str(selected)
        phone = self.query_one("#schedule-phone", Input).value.strip()
        objective = self.query_one("#schedule-objective", Input).value
        error = self.query_one("#schedule-error", Label)
        if not name.strip() and not phone:
            error.update("Choose a contact or enter a phone number.")
            return
        try:
            job = self.runtime.actions.schedule_call(contact_name=name, phone_number=phone or None,
                                                     objective=objective)
        except ValueError as e:
            error.update(safe(e))
            return
        note = job.get("note")
        self.notify(safe(f"Scheduled job {job['id']}: call {job['contact_name']}." + (f" {note}" if note else "")).plain,
                    markup=False)
        self.dismiss(job)
