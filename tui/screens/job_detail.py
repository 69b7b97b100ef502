"""One job in full: every attempt with its times, end reason, Twilio status,
transcript, the strategist's reasoning and summary, and the transcript of
the call in progress as it arrives."""
from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from rich.console import Group, RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from core import events as ev
from core.text import visible
from tui.bindings import DETAIL_BINDINGS
from tui.format import attempts_text, safe, short_time, status_text

if TYPE_CHECKING:
    from core.runtime import Runtime

log = logging.getLogger(__name__)

SPEAKER = {"agent": "Agent", "MESSAGE_ROLE_AGENT": "Agent", "user": "Callee", "MESSAGE_ROLE_USER": "Callee"}


def transcript_lines(messages: list[dict[str, Any]]) -> list[Text]:
    lines = []
    for m in messages:
        who = SPEAKER.get(str(m.get("role")), str(m.get("role") or "?"))
        line = safe(f"  {who}: ", one_line=True, style="bold cyan" if who == "Agent" else "bold yellow")
        line.append_text(safe(m.get("text") or ""))
        lines.append(line)
    return lines


def parse_transcript(raw: Any) -> list[dict[str, Any]]:
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
    line.append_text(safe("—" if value in (None, "") else value))
    return line


def render_job(job: dict[str, Any]) -> RenderableType:
    head = safe(f"Job {job['id']} — {job.get('contact_name')} ({job.get('phone_number')})  ", one_line=True,
                style="bold")
    head.append_text(status_text(job.get("overall_status", "")))
    return Group(
        head,
        field_line("Objective", job.get("current_call_objective_description")),
        field_line("First objective", job.get("initial_call_objective_description")),
        field_line("Retries", attempts_text(job)),
        field_line("Next retry", short_time(job.get("next_retry_at")) if job.get("next_retry_at") else ""),
        field_line("Summary for the assistant", job.get("final_summary_for_main_agent")),
        field_line("User told", "yes" if job.get("main_agent_informed_user") else "no"),
    )


def render_attempt(a: dict[str, Any]) -> RenderableType:
    head = Text(f"Attempt {a.get('attempt_number')}", style="bold underline")
    head.append(f"  {short_time(a.get('started_at'))} → {short_time(a.get('ended_at'))}")
    parts: list[RenderableType] = [
        head,
        field_line("Outcome", a.get("attempt_outcome")),
        field_line("End reason", a.get("end_reason")),
        field_line("Twilio status", visible(a.get("twilio_status") or "")),
        field_line("Answered by", visible(a.get("answered_by") or "")),
        field_line("Duration", f"{a['duration_s']:.0f} s" if a.get("duration_s") is not None else ""),
        field_line("Cost", f"${a['cost_usd']:.4f}" if a.get("cost_usd") is not None else ""),
        field_line("Summary", a.get("summary")),
        field_line("Strategist", a.get("strategist_reasoning_for_attempt")),
    ]
    if a.get("error_details"):
        parts.append(field_line("Error", a.get("error_details")))
    messages = parse_transcript(a.get("transcript"))
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
        self.reload()

    def reload(self) -> None:
        job = self.runtime.jobs.get_job(self.job_id)
        if job is None:
            self.query_one("#detail-job", Static).update(Text(f"Job {self.job_id} does not exist.", style="red"))
            return
        self.query_one("#detail-job", Static).update(render_job(job))
        attempts = self.runtime.jobs.attempts_for_job(self.job_id)
        body = [render_attempt(a) for a in attempts] or [Text("No attempts yet.", style="dim")]
        self.query_one("#detail-attempts", Static).update(Group(*body))
        if job.get("overall_status") != "PROCESSING":
            self.query_one("#detail-live", Static).display = False

    def apply(self, event: ev.Event) -> None:
        if isinstance(event, ev.CallJobUpdated) and event.job.get("id") == self.job_id:
            self.reload()
        elif isinstance(event, ev.CallTranscriptProgress) and event.job_id == self.job_id:
            live = self.query_one("#detail-live", Static)
            live.display = True
            live.update(Group(Text("Live call transcript:", style="bold green"), *transcript_lines(event.messages)))

    def action_close(self) -> None:
        self.dismiss()
