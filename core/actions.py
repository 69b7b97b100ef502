"""What an operator can do, from the console, the browser or --headless.
Every action goes through the domain (store, workers) and is seen by every
view through the events it causes."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Protocol

from core.config import Settings
from core.events import Bus, CallUpdateDismissed, Notice

if TYPE_CHECKING:
    from core.state import StateView
    from store.jobs import JobStore

log = logging.getLogger(__name__)


class Assistant(Protocol):
    def send_text(self, text: str) -> None: ...
    def share_updates(self) -> None: ...
    def set_muted(self, muted: bool) -> None: ...
    def set_text_mode(self, text_only: bool) -> None: ...
    def settled(self) -> bool: ...


class Actions:
    def __init__(
        self,
        settings: Settings,
        bus: Bus,
        jobs: "JobStore",
        state: "StateView",
        assistant: Assistant | None = None,
        faults: Any = None,
    ) -> None:
        self.settings = settings
        self.bus = bus
        self.jobs = jobs
        self.state = state
        self.assistant = assistant
        self.faults = faults  # sim.faults.Faults in simulate mode, else None

    # --- the conversation --------------------------------------------------

    def send_text(self, text: str) -> bool:
        text = text.strip()
        if not text:
            return False
        if self.assistant is None:
            self.bus.publish(Notice(level="warning", text="The assistant is not running."))
            return False
        self.assistant.send_text(text)
        return True

    def share_updates(self) -> None:
        """Have the assistant told of finished calls now, not at its next connect."""
        if self.assistant is None:
            self.bus.publish(Notice(level="warning", text="The assistant is not running."))
            return
        self.assistant.share_updates()

    def set_muted(self, muted: bool) -> None:
        if self.assistant is not None:
            self.assistant.set_muted(muted)

    def set_text_mode(self, text_only: bool) -> None:
        if self.assistant is not None:
            self.assistant.set_text_mode(text_only)

    # --- jobs --------------------------------------------------------------

    def schedule_call(self, *, contact_name: str, phone_number: str | None, objective: str) -> dict[str, Any]:
        """Raises ValueError with a message for the operator on bad input."""
        from calling.scheduling import schedule_job

        return schedule_job(
            self.jobs, self.settings, contact_name=contact_name, phone_number=phone_number or "", objective=objective
        )

    def cancel_job(self, job_id: int) -> dict[str, Any] | None:
        job = self.jobs.cancel_job(job_id)
        if job is None:
            self.bus.publish(Notice(level="warning", text=f"Job {job_id} has already finished; nothing to cancel."))
        return job

    def retry_now(self, job_id: int) -> dict[str, Any] | None:
        job = self.jobs.retry_now(job_id)
        if job is None:
            self.bus.publish(Notice(level="warning", text=f"Job {job_id} is not waiting for a retry."))
        return job

    def dismiss_update(self, job_id: int) -> None:
        """Dismiss a badge everywhere: persisted for a job, then announced.
        Ids below zero are outside producers' updates, held only in memory."""
        if job_id > 0:
            self.jobs.dismiss_update(job_id)
        self.bus.publish(CallUpdateDismissed(job_id=job_id))

    def dismiss_all_updates(self) -> None:
        for badge in self.state.updates():
            self.dismiss_update(badge["job_id"])
