"""The schedule-a-call form: a contact from the directory or a number, and
the objective. Validation is the domain's (Actions.schedule_call, run on a
worker thread since it writes the database); its message is shown as-is."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Footer, Input, Label, Select
from textual.worker import Worker, WorkerState

from core.records import Job
from core.text import visible

from tui.screens.form import FormScreen

if TYPE_CHECKING:
    from calling.scheduling import Scheduled
    from core.runtime import Runtime

log = logging.getLogger(__name__)


class ScheduleCallScreen(FormScreen[Job | None]):
    OK_BUTTON = "schedule-ok"

    def __init__(self, runtime: "Runtime") -> None:
        super().__init__(id="schedule")
        self.runtime = runtime

    def compose(self) -> ComposeResult:
        contacts = self.runtime.config.settings.contacts
        options = [(visible(f"{c.name} ({c.role})" if c.role else c.name, one_line=True), c.name) for c in contacts]
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
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#schedule-contact", Select).focus()

    def submit(self) -> None:
        selected = self.query_one("#schedule-contact", Select).value
        name = self.query_one("#schedule-name", Input).value
        if selected is not Select.NULL and selected is not None:
            name = str(selected)
        phone = self.query_one("#schedule-phone", Input).value.strip()
        objective = self.query_one("#schedule-objective", Input).value
        if not name.strip() and not phone:
            self._refused("Choose a contact or enter a phone number.")
            return
        self.query_one("#schedule-ok", Button).disabled = True
        self._schedule(name, phone, objective)

    @work(thread=True, exclusive=True, group="schedule", exit_on_error=False)
    def _schedule(self, name: str, phone: str, objective: str) -> None:
        try:
            scheduled = self.runtime.actions.schedule_call(contact_name=name, phone_number=phone or None,
                                                           objective=objective)
        except ValueError as e:
            self.app.call_from_thread(self._refused, str(e))
            return
        self.app.call_from_thread(self._scheduled, scheduled)

    def _scheduled(self, scheduled: Scheduled) -> None:
        job, note = scheduled.job, scheduled.note
        self.notify(f"Scheduled job {job.id}: call {job.contact_name}." + (f" {note}" if note else ""))
        self.dismiss(job)

    def _refused(self, reason: str) -> None:
        self.query_one("#schedule-error", Label).update(Text(visible(reason)))
        self.query_one("#schedule-ok", Button).disabled = False

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "schedule" and event.state == WorkerState.ERROR:
            log.error("scheduling failed", exc_info=event.worker.error)
            self._refused(f"Could not schedule: {type(event.worker.error).__name__}: {event.worker.error}")
