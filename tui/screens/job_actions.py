"""What the operator does to the selected job from the main screen: cancel
(asked first while its call is live), hang up the live call, retry now,
reschedule, edit the objective, open the detail. The store's work runs on
thread workers (``run_in_background``); a refusal is said as a notice."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from textual.screen import Screen

from core.actions import dialled_already, finished_already, no_live_call
from core.records import FINISHED, Job
from core.text import visible
from tui.format import WAITING, clip
from tui.widgets.jobs_table import JobTable

if TYPE_CHECKING:
    from core.runtime import Runtime


class JobActions(Screen):
    runtime: "Runtime"

    def run_in_background(self, what: str, job: Callable[[], Any], done: Callable[[Any], None] | None = None) -> None:
        raise NotImplementedError

    def selected_job(self) -> Job | None:
        job_id = self.query_one(JobTable).selected_job_id()
        if job_id is None:
            self.notify("No job selected.", severity="warning")
            return None
        return self.query_one(JobTable).jobs.get(job_id)

    def action_cancel_job(self) -> None:
        job = self.selected_job()
        if job is None:
            return
        if job.overall_status in FINISHED:
            self.notify(finished_already(job.id), severity="warning")
            return
        if job.overall_status == "PROCESSING":
            from tui.screens.dialogs import ConfirmScreen

            question = (f"Job {job.id}: the call to {clip(job.contact_name, 40)} is live now. "
                        "Hang up and cancel the job (no more tries)?")
            self.app.push_screen(ConfirmScreen(question, yes="Hang up and cancel", no="Keep the call"),
                                 lambda yes: self._cancel(job.id) if yes else None)
            return
        self._cancel(job.id)

    def _cancel(self, job_id: int) -> None:
        def done(job: Job | None) -> None:
            if job is None:
                return  # Actions published why
            if job.overall_status == "PROCESSING":
                self.notify(f"Job {job_id}: hanging up; the job is cancelled when the call ends.")
            else:
                self.notify(f"Cancelled job {job_id}.")

        self.run_in_background(f"cancel job {job_id}", lambda: self.runtime.actions.cancel_job(job_id), done)

    def action_hang_up(self) -> None:
        from tui.screens.dialogs import ConfirmScreen

        job = self.selected_job()
        if job is None:
            return
        if job.overall_status != "PROCESSING":
            self.notify(no_live_call(job.id), severity="warning")
            return
        question = (f"Job {job.id}: hang up the call to {clip(job.contact_name, 40)} now? The job is not "
                    "cancelled: what was said decides whether it is called again.")
        self.app.push_screen(ConfirmScreen(question, yes="Hang up", no="Keep the call"),
                             lambda yes: self._hang_up(job.id) if yes else None)

    def _hang_up(self, job_id: int) -> None:
        self.run_in_background(f"hang up job {job_id}", lambda: self.runtime.actions.hang_up(job_id),
                               lambda job: job and self.notify(f"Job {job_id}: hanging up the call; "
                                                               "the job goes on."))

    def action_retry_now(self) -> None:
        job = self.selected_job()
        if job is None:
            return
        job_id = job.id
        self.run_in_background(f"retry job {job_id}", lambda: self.runtime.actions.retry_now(job_id),
                               lambda done: done and self.notify(f"Job {job_id} will be dialled now."))

    def action_reschedule(self) -> None:
        from tui.screens.dialogs import AskScreen
        from core.when import EXAMPLES, parse_when

        job = self.selected_job()
        if job is None:
            return
        if job.overall_status not in WAITING:
            self.notify(f"Job {job.id} is not waiting to be dialled; only a waiting job can be rescheduled.",
                        severity="warning")
            return
        job_id, clock = job.id, self.runtime.clock

        def apply(text: str) -> Job:
            now = clock.now()
            return self.runtime.actions.reschedule(job_id, parse_when(text, now), now)

        def done(changed: Job | None) -> None:
            if changed:
                from tui.format import short_time

                self.notify(f"Job {job_id} will be tried at {short_time(changed.next_retry_at, clock.now())}.")

        self.app.push_screen(AskScreen(f"Reschedule job {job_id} ({clip(job.contact_name, 30)})",
                                       "Try it next at", apply, placeholder="14:30", hint=f"For example {EXAMPLES}.",
                                       dialog_id="reschedule"), done)

    def action_edit_objective(self) -> None:
        from tui.screens.dialogs import AskScreen

        job = self.selected_job()
        if job is None:
            return
        if job.overall_status != "PENDING" or job.retries_attempted:
            self.notify(dialled_already(job.id), severity="warning")
            return
        job_id = job.id
        self.app.push_screen(
            AskScreen(f"Edit the objective of job {job_id} ({clip(job.contact_name, 30)})", "Objective",
                      lambda text: self.runtime.actions.edit_objective(job_id, text),
                      value=visible(job.current_call_objective_description or "", one_line=True),
                      dialog_id="edit-objective"),
            lambda changed: changed and self.notify(f"Job {job_id}: objective changed."))

    def action_job_detail(self) -> None:
        job = self.selected_job()
        if job is not None:
            self.open_job(job.id)

    def open_job(self, job_id: int) -> None:
        from tui.screens.job_detail import JobDetailScreen

        self.app.push_screen(JobDetailScreen(self.runtime, job_id))
