"""One job in full: the whole objective, cost and time on the phone, every
attempt with its times, duration, end reason, Twilio status, transcript, the
strategist's reasoning and summary, and the transcript of the call in
progress as it arrives. The database is read on a worker thread."""
from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from rich.console import Group, RenderableType
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static
from textual.worker import Worker, WorkerState

from calling.ultravox_client import CallMessage
from core.records import Attempt, Job
from core.text import visible
from tui import messages as msg
from tui.bindings import DETAIL_BINDINGS
from tui.format import attempts_text, next_try, short_time, status_text

if TYPE_CHECKING:
    from core.runtime import Runtime

log = logging.getLogger(__name__)

SPEAKER = {"agent": "Agent", "MESSAGE_ROLE_AGENT": "Agent", "user": "Callee", "MESSAGE_ROLE_USER": "Callee"}


def transcript_lines(messages: list[CallMessage]) -> list[Text]:
    lines = []
    for m in messages:
        who = SPEAKER.get(str(m.get("role")), str(m.get("role") or "?"))
        line = Text(f"  {visible(who, one_line=True)}: ", style="bold cyan" if who == "Agent" else "bold yellow")
        line.append(visible(m.get("text") or ""))
        lines.append(line)
    return lines


def parse_transcript(raw: Any) -> list[CallMessage]:
    if not raw:
        return []
    if isinstance(raw, list):
        return raw
    try:
        data = json.loads(raw)
    except (TypeError, ValueError):
        log.warning("attempt transcript is not JSON; shown as text")
        return [{"role": "?", "text": str(raw)}]
    return data if isinstance(data, list) else [{"role": "?", "text": str(data)}]


def field_line(label: str, value: Any) -> Text:
    line = Text(f"{label}: ", style="bold")
    line.append("—" if value in (None, "") else visible(value))
    return line


def duration_text(seconds: Any) -> str:
    if seconds in (None, ""):
        return ""
    total = round(float(seconds))
    return f"{total // 60} min {total % 60:02d} s" if total >= 60 else f"{total} s"


def render_job(job: Job, attempts: list[Attempt], today: Any = None) -> RenderableType:
    head = Text(f"Job {job.id} — ", style="bold")
    head.append(visible(f"{job.contact_name} ({job.phone_number})", one_line=True))
    head.append("  ")
    head.append_text(status_text(job.overall_status))
    on_phone = sum(float(a.duration_s or 0) for a in attempts)
    cost = job.cost_estimate_usd
    lines = [
        head,
        field_line("Objective", job.current_call_objective_description),
    ]
    if job.hangup_requested:
        lines.append(field_line("Live call", "hanging up at the operator's request; the job goes on"))
    if job.initial_call_objective_description != job.current_call_objective_description:
        lines.append(field_line("First objective", job.initial_call_objective_description))
    lines += [
        field_line("Retries", attempts_text(job)),
        field_line("Next try", next_try(job, today)),
        field_line("On the phone", duration_text(on_phone) if attempts else ""),
        field_line("Cost (estimate)", f"${cost:.2f}" if isinstance(cost, (int, float)) else ""),
        field_line("Summary for the assistant", job.final_summary_for_main_agent),
        field_line("User told", "yes" if job.main_agent_informed_user else "no"),
    ]
    if job.last_error:
        lines.append(field_line("Last error", job.last_error))
    return Group(*lines)


def render_attempt(a: Attempt, today: Any = None) -> RenderableType:
    head = Text(f"Attempt {a.attempt_number}", style="bold underline")
    head.append(f"  {short_time(a.started_at, today)} → {short_time(a.ended_at, today)}")
    if a.duration_s is not None:
        head.append(f"  ({duration_text(a.duration_s)})")
    parts: list[RenderableType] = [
        head,
        field_line("Outcome", a.attempt_outcome),
        field_line("End reason", a.end_reason),
        field_line("Twilio status", a.twilio_status),
        field_line("Answered by", a.answered_by),
        field_line("Duration", duration_text(a.duration_s)),
        field_line("Cost", f"${a.cost_usd:.4f}" if isinstance(a.cost_usd, (int, float)) else ""),
        field_line("Summary", a.summary),
        field_line("Strategist", a.strategist_reasoning_for_attempt),
    ]
    if a.error_details:
        parts.append(field_line("Error", a.error_details))
    messages = parse_transcript(a.transcript)
    parts.append(Text("Transcript:" if messages else "Transcript: —", style="bold"))
    parts.extend(transcript_lines(messages))
    parts.append(Text(""))
    return Group(*parts)


class JobDetailScreen(Screen):
    BINDINGS = DETAIL_BINDINGS

    def __init__(self, runtime: "Runtime", job_id: int) -> None:
        super().__init__(id="job-detail")
        self.runtime = runtime
        self.job_id = job_id

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="☎")
        with VerticalScroll(id="detail-scroll"):
            yield Static("", id="detail-job")
            yield Static("", id="detail-live")
            yield Static("", id="detail-attempts")
        yield Footer()

    def on_mount(self) -> None:
        self.title = f"Switchboard — job {self.job_id}"
        self.query_one("#detail-live", Static).display = False
        self.query_one("#detail-job", Static).update(Text("Loading…", style="dim"))
        self.reload()

    @work(thread=True, exclusive=True, group="detail", exit_on_error=False)
    def reload(self) -> None:
        """Read the job and its attempts off the UI thread (a remote database
        never freezes the screen); the newest read wins."""
        job = self.runtime.jobs.get_job(self.job_id)
        attempts = self.runtime.jobs.attempts_for_job(self.job_id) if job is not None else []
        self.app.call_from_thread(self.show, job, attempts)

    def show(self, job: Job | None, attempts: list[Attempt]) -> None:
        if not self.is_attached:
            return
        if job is None:
            self.query_one("#detail-job", Static).update(Text(f"Job {self.job_id} does not exist.", style="red"))
            return
        today = self.runtime.clock.now()
        self.query_one("#detail-job", Static).update(render_job(job, attempts, today))
        body = [render_attempt(a, today) for a in attempts] or [Text("No attempts yet.", style="dim")]
        self.query_one("#detail-attempts", Static).update(Group(*body))
        if job.overall_status != "PROCESSING":
            self.query_one("#detail-live", Static).display = False

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "detail" and event.state == WorkerState.ERROR:
            error = event.worker.error
            log.error("reading job %s failed", self.job_id, exc_info=error)
            self.query_one("#detail-job", Static).update(
                Text(visible(f"Could not read job {self.job_id}: {type(error).__name__}: {error}"), style="red"))

    def on_job_changed(self, message: msg.JobChanged) -> None:
        if message.job.id == self.job_id:
            self.reload()

    def on_call_progress(self, message: msg.CallProgress) -> None:
        progress = message.progress
        if progress.job_id == self.job_id:
            live = self.query_one("#detail-live", Static)
            live.display = True
            live.update(Group(Text("Live call transcript:", style="bold green"), *transcript_lines(progress.messages)))

    def action_close(self) -> None:
        self.dismiss()
