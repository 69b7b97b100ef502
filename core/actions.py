"""What an operator can do, from the console, the browser or --headless.
Every action goes through the domain (store, workers) and is seen by every
view through the events it causes."""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable, Protocol

from core.config import Settings
from core.events import Bus, CallUpdateDismissed, Notice
from core.records import DoNotCallEntry, Job
from store import errors as store_errors

if TYPE_CHECKING:
    from calling.scheduling import Scheduled
    from core.state import StateView
    from store.jobs import JobStore

log = logging.getLogger(__name__)

# what the operator is told when an action cannot be done (the console says
# the same when it can tell before asking)
ASSISTANT_NOT_RUNNING = "The assistant is not running."


def finished_already(job_id: int) -> str:
    return f"Job {job_id} has already finished; nothing to cancel."


def no_live_call(job_id: int) -> str:
    return f"Job {job_id} has no call in progress; nothing to hang up."


def dialled_already(job_id: int) -> str:
    return f"Job {job_id} has been dialled already; its objective can no longer be edited."


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
    ) -> None:
        self.settings = settings
        self.bus = bus
        self.jobs = jobs
        self.state = state
        self.assistant = assistant

    # --- the conversation --------------------------------------------------

    def send_text(self, text: str) -> bool:
        text = text.strip()
        if not text:
            return False
        if self.assistant is None:
            self.bus.publish(Notice(level="warning", text=ASSISTANT_NOT_RUNNING))
            return False
        self.assistant.send_text(text)
        return True

    def share_updates(self) -> None:
        """Have the assistant told of finished calls now, not at its next connect."""
        if self.assistant is None:
            self.bus.publish(Notice(level="warning", text=ASSISTANT_NOT_RUNNING))
            return
        self.assistant.share_updates()

    def set_muted(self, muted: bool) -> None:
        if self.assistant is not None:
            self.assistant.set_muted(muted)

    def set_text_mode(self, text_only: bool) -> None:
        if self.assistant is not None:
            self.assistant.set_text_mode(text_only)

    # --- jobs --------------------------------------------------------------

    def schedule_call(self, *, contact_name: str, phone_number: str | None, objective: str) -> Scheduled:
        """Raises ValueError with a message for the operator on bad input."""
        from calling.scheduling import schedule_job

        try:
            return schedule_job(
                self.jobs, self.settings, contact_name=contact_name, phone_number=phone_number or "",
                objective=objective
            )
        except store_errors.FAILURES as e:
            log.exception("scheduling a call could not be saved")
            # not held for later like the assistant's requests: the operator is at the form, which
            # keeps what was typed; saving again is theirs to choose (a duplicate is refused)
            raise ValueError(f"The call was not scheduled: {store_errors.describe(e)}. "
                             "What you typed is kept: try again once it can be saved.") from e

    def _store_failed(self, what: str, e: BaseException) -> None:
        log.exception("%s failed", what)
        self.bus.publish(Notice(level="error", text=f"{what} failed: {store_errors.describe(e)}."))

    def do_not_call_list(self) -> list[DoNotCallEntry]:
        """Every number never to dial: the persistent table (newest first), then
        the config's ``calling.do_not_call`` (``added_by`` "config"), in one form."""
        from calling.gate import configured_do_not_call

        listed = self.jobs.list_do_not_call()
        in_table = {e.phone_number for e in listed}
        return listed + [DoNotCallEntry(phone_number=phone, reason="listed in the config (calling.do_not_call)",
                                        added_by="config")
                         for phone in sorted(configured_do_not_call(self.settings) - in_table)]

    def add_do_not_call(self, phone_number: str, reason: str) -> DoNotCallEntry:
        """The operator lists a number (any form, read with the default region).
        Raises ValueError with a message for the operator on bad input."""
        from core.phone import normalise

        phone = normalise(phone_number, self.settings.app.default_region)
        reason = " ".join(reason.split())
        if not reason:
            raise ValueError("Say why this number must not be called.")
        if self.jobs.do_not_call_entry(phone) is not None:
            raise ValueError(f"{phone} is already on the do-not-call list.")
        return self.jobs.add_do_not_call(phone, reason, added_by="operator")

    def lift_do_not_call(self, phone_number: str) -> DoNotCallEntry | None:
        """Take a number off the persistent do-not-call list; a notice says
        what happened (a number from the config is lifted only there)."""
        from calling.gate import configured_do_not_call

        entry = self.jobs.remove_do_not_call(phone_number)
        if phone_number in configured_do_not_call(self.settings):
            self.bus.publish(Notice(level="warning", text=(
                f"{phone_number} is in the config's calling.do_not_call; remove it there to call this number.")))
        elif entry is None:
            self.bus.publish(Notice(level="warning", text=f"{phone_number} is not on the do-not-call list."))
        else:
            self.bus.publish(Notice(level="info", text=f"{phone_number} is off the do-not-call list; it may be called again."))
        return entry

    def cancel_job(self, job_id: int) -> Job | None:
        return self._change_job(self.jobs.cancel_job, job_id, f"Cancelling job {job_id}", finished_already(job_id))

    def hang_up(self, job_id: int) -> Job | None:
        """End the job's live call without cancelling the job: its engine hangs
        up and decides the attempt like any ended call."""
        return self._change_job(self.jobs.request_hangup, job_id, f"Hanging up the call of job {job_id}",
                                no_live_call(job_id))

    def retry_now(self, job_id: int) -> Job | None:
        return self._change_job(self.jobs.retry_now, job_id, f"Retrying job {job_id}",
                                f"Job {job_id} is not waiting for a retry.")

    def _change_job(self, change: Callable[[int], Job | None], job_id: int, doing: str,
                    refused: str) -> Job | None:
        """The changed job; None, with a notice saying why, when the store
        failed or the job's state does not allow the change."""
        try:
            job = change(job_id)
        except store_errors.FAILURES as e:
            self._store_failed(doing, e)
            return None
        if job is None:
            self.bus.publish(Notice(level="warning", text=refused))
        return job

    def reschedule(self, job_id: int, at: datetime, now: datetime) -> Job:
        """Try a waiting job next at ``at``. Raises ValueError with a message
        for the operator when ``at`` is past or the job no longer waits."""
        if at <= now:
            raise ValueError("That time has passed; choose a later one.")
        job = self.jobs.reschedule(job_id, at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z"))
        if job is None:
            raise ValueError(f"Job {job_id} is not waiting to be dialled; it cannot be rescheduled.")
        return job

    def edit_objective(self, job_id: int, objective: str) -> Job:
        """Raises ValueError with a message for the operator."""
        from calling.scheduling import checked_objective

        job = self.jobs.edit_objective(job_id, checked_objective(objective))
        if job is None:
            raise ValueError(dialled_already(job_id))
        return job

    def dismiss_update(self, job_id: int) -> None:
        """Dismiss a badge everywhere: persisted for a job, then announced.
        Ids below zero are outside producers' updates, held only in memory."""
        if job_id > 0:
            try:
                self.jobs.dismiss_update(job_id)
            except store_errors.FAILURES as e:
                self._store_failed(f"Dismissing the update of job {job_id}", e)
                return
        self.bus.publish(CallUpdateDismissed(job_id=job_id))

    def dismiss_all_updates(self) -> None:
        for badge in self.state.updates():
            self.dismiss_update(badge.job_id)
