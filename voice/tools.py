"""The assistant's tools: their definitions (flat, GA style) and what they
do. Every call returns a text for the model; a bad argument gets a text
saying what to fix, never an exception."""
from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime
from typing import Any, Callable

from calling.gate import do_not_call_reason
from calling.held_requests import HeldRequest, HeldRequests
from calling.scheduling import find_contact, schedule_job
from core.clock import Clock
from core.config import Settings, normalise_phone
from core.events import Bus, CallUpdateDismissed, Display, Notice
from store import errors as store_errors
from voice.campaign_tools import CAMPAIGN_TOOLS, CampaignTools
from voice.protocol import ToolArgs, ToolSchema
from core.records import ACTIVE, FINISHED, Job, JobStatus
from store.jobs import JobStore

log = logging.getLogger(__name__)

_STR = {"type": "string"}
TOOLS: list[ToolSchema] = [
    {
        "type": "function",
        "name": "schedule_outbound_call",
        "description": "Schedule an outbound phone call that an AI phone agent places for the user. "
        "Give a directory contact name, or a phone number, or both, and what the call must achieve.",
        "parameters": {
            "type": "object",
            "properties": {
                "phone_number": {"type": "string", "description": "E.164 if possible, e.g. +14155550123; empty to use the directory"},
                "contact_name": {"type": "string", "description": "who to call, as named in the contact directory"},
                "call_objective": {"type": "string", "description": "what the call must achieve, in full"},
                "call_again": {"type": "boolean", "description": "true only when the user confirmed calling again "
                               "after being told the same call was made recently"},
            },
            "required": ["contact_name", "call_objective"],
        },
    },
    {
        "type": "function",
        "name": "check_scheduled_call_status",
        "description": "How a scheduled call is going or went. Identify it by job id, contact name and/or "
        "a few words of its objective; with nothing (\"any updates on my calls?\"), every finished call the "
        "user has not heard about yet, else the most recent call.",
        "parameters": {
            "type": "object",
            "properties": {
                "job_id": {"type": "integer"},
                "contact_name": _STR,
                "call_objective_snippet": _STR,
            },
        },
    },
    {
        "type": "function",
        "name": "cancel_scheduled_call",
        "description": "Cancel a scheduled call that has not finished, by job id or contact name.",
        "parameters": {"type": "object", "properties": {"job_id": {"type": "integer"}, "contact_name": _STR}},
    },
    {
        "type": "function",
        "name": "list_scheduled_calls",
        "description": "List the most recent scheduled calls and their states.",
        "parameters": {"type": "object", "properties": {}},
    },
    {
        "type": "function",
        "name": "show_on_screen",
        "description": "Show something on the user's screen. kind=markdown: content is markdown text. "
        'kind=table: content is JSON {"columns": [..], "rows": [[..], ..]}. '
        'kind=series: content is JSON {"labels": [..], "values": [numbers, one per label]} to chart.',
        "parameters": {
            "type": "object",
            "properties": {
                "kind": {"type": "string", "enum": ["markdown", "table", "series"]},
                "title": _STR,
                "content": _STR,
            },
            "required": ["kind", "content"],
        },
    },
    *CAMPAIGN_TOOLS,
]
_PARAMS = {t["name"]: t["parameters"] for t in TOOLS}
RECENT_CALL_MIN = 60  # a finished call this recent is not repeated without the user's yes
# words that name no one: "any updates on my calls?"
_NO_NAME = {"calls", "call", "my calls", "all calls", "all", "my call", "the calls", "everyone", "anyone", "any"}


class ToolError(ValueError):
    """A problem the model can fix; its message is the tool result."""


def _text(args: ToolArgs, key: str) -> str | None:
    value = args.get(key)
    if value is None:
        return None
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise ToolError(f"{key} must be a string.")
    return str(value).strip() or None


def _job_id(args: ToolArgs) -> int | None:
    value = args.get("job_id")
    if value in (None, ""):
        return None
    try:
        return int(str(value).strip().lstrip("#"))
    except ValueError:
        raise ToolError(f"job_id must be a whole number like 12, not {value!r}.") from None


class ToolBox:
    def __init__(self, jobs: JobStore, settings: Settings, bus: Bus, clock: Clock,
                 held: HeldRequests | None = None) -> None:
        self.jobs = jobs
        self.settings = settings
        self.bus = bus
        self.clock = clock
        self.held = held  # where a call request the database could not write yet waits
        self._handlers: dict[str, Callable[[ToolArgs], str]] = {
            "schedule_outbound_call": self.schedule,
            "check_scheduled_call_status": self.check_status,
            "cancel_scheduled_call": self.cancel,
            "list_scheduled_calls": self.list_calls,
            "show_on_screen": self.show_on_screen,
            **CampaignTools(jobs).handlers(),
        }

    def run(self, name: str, arguments: str) -> str:
        handler = self._handlers.get(name)
        if handler is None:
            return f"There is no tool named {name!r}. Available tools: {', '.join(self._handlers)}."
        try:
            args = json.loads(arguments or "{}")
        except json.JSONDecodeError as e:
            return f"The arguments were not valid JSON ({e.msg} at character {e.pos}). Call {name} again with a JSON object."
        if not isinstance(args, dict):
            return f"The arguments must be a JSON object, not {type(args).__name__}. Call {name} again."
        unknown = sorted(set(args) - set(_PARAMS[name].get("properties", {})))
        if unknown:
            return f"{name} has no argument(s) {', '.join(unknown)}; allowed: {', '.join(_PARAMS[name]['properties']) or 'none'}."
        try:
            return handler(args)
        except (ToolError, ValueError) as e:
            return f"{name} failed: {e}"
        except store_errors.FAILURES as e:
            log.exception("tool %s could not use the calls database", name)
            words = store_errors.describe(e)
            self.bus.publish(Notice(level="error", text=f"{name} could not be done: {words}."))
            return f"{name} failed: nothing was saved because {words}; tell the user exactly that."
        except Exception:
            log.exception("tool %s failed", name)
            return f"{name} failed because of an internal error; tell the user it could not be done right now."

    # --- the tools ------------------------------------------------------------

    def schedule(self, args: ToolArgs) -> str:
        if args.get("call_again") is not True:
            recent = self._recently_called(args)
            if recent is not None:
                return recent
        request = HeldRequest(key=uuid.uuid4().hex, contact_name=_text(args, "contact_name"),
                              phone_number=_text(args, "phone_number"), objective=_text(args, "call_objective"))
        try:
            scheduled = schedule_job(self.jobs, self.settings, contact_name=request.contact_name,
                                     phone_number=request.phone_number, objective=request.objective,
                                     request_key=request.key)
        except store_errors.FAILURES as e:
            if self.held is None or not store_errors.passes(e):
                raise
            words = store_errors.describe(e)
            self.held.hold(request, words)
            return (f"The call to {request.who} is not saved yet because {words}. The request is held and will "
                    "be saved, once, as soon as the database can write again; nothing needs to be asked again. "
                    "Tell the user exactly that.")
        job = scheduled.job
        text = (
            f"Scheduled job {job.id}: a call to {job.contact_name} ({job.phone_number}) to "
            f"\"{job.initial_call_objective_description}\". It is queued; the outcome will follow when it ends."
        )
        if scheduled.note:
            text += " " + scheduled.note
        return text

    def _recently_called(self, args: ToolArgs) -> str | None:
        """The same call (number and objective) finished within the last
        hour: say so and ask, instead of dialling again."""
        name, raw = _text(args, "contact_name"), _text(args, "phone_number")
        objective = " ".join((_text(args, "call_objective") or "").split()).lower()
        try:
            contact = find_contact(self.settings, name) if name else None
            phone = normalise_phone(raw, self.settings.app.default_region) if raw else (contact.phone if contact else None)
        except ValueError:
            return None  # scheduling explains what is wrong with the number
        if not phone or not objective or do_not_call_reason(self.settings, self.jobs, phone):
            return None  # a listed number: scheduling refuses it, saying why, instead of asking again
        now = self.clock.now()
        for job in self.jobs.list_jobs(limit=100, statuses=FINISHED):
            ended = datetime.fromisoformat(job.updated_at.replace("Z", "+00:00"))
            minutes = (now - ended).total_seconds() / 60
            if (job.phone_number == phone and job.current_call_objective_description.lower() == objective
                    and minutes <= RECENT_CALL_MIN):
                ago = "just now" if minutes < 1 else f"{round(minutes)} minute{'s' if round(minutes) != 1 else ''} ago"
                summary = (job.final_summary_for_main_agent or job.overall_status).rstrip(". ")
                return (f"I called {job.contact_name} about this {ago} — call again? "
                        f"Last time (job {job.id}, {job.overall_status}): {summary}. "
                        "If the user says yes, call schedule_outbound_call again with call_again=true.")
        return None

    def _matches(self, args: ToolArgs, *, active_only: bool = False) -> tuple[list[Job], str]:
        job_id = _job_id(args)
        name, snippet = _text(args, "contact_name"), _text(args, "call_objective_snippet")
        if name is not None and name.lower() in _NO_NAME:
            name = None
        if job_id is not None:
            job = self.jobs.get_job(job_id)
            return ([job] if job else []), f"job {job_id}"
        found = self.jobs.find_jobs(contact_name=name, objective_snippet=snippet, limit=20)
        if active_only:
            found = [j for j in found if j.overall_status in ACTIVE]
        what = " and ".join(x for x in (name and f"contact {name!r}", snippet and f"objective {snippet!r}") if x)
        if not (name or snippet):
            found = found[:1]
        return found, what or "any call"

    def check_status(self, args: ToolArgs) -> str:
        found, what = self._matches(args)
        contact = _text(args, "contact_name")
        named = _job_id(args) is not None or _text(args, "call_objective_snippet") or (
            contact is not None and contact.lower() not in _NO_NAME)
        if not named:
            untold = self.jobs.pending_updates()
            if untold:
                return " ".join(self._status_text(j) for j in untold) + " Tell the user these outcomes now."
        if not found:
            recent = self.jobs.list_jobs(limit=5)
            known = "; ".join(self._label(j) for j in recent) or "there are no scheduled calls at all"
            return f"No scheduled call matches {what}. Recent calls: {known}."
        job = found[0]
        text = self._status_text(job)
        if job.overall_status in FINISHED and "already been told" not in text:
            text += " Tell the user this outcome now."
        if len(found) > 1:
            others = "; ".join(self._label(j) for j in found[1:6])
            text += f" This is the most recent of {len(found)} matching calls; ask the user whether they meant another: {others}."
        return text

    def cancel(self, args: ToolArgs) -> str:
        if _job_id(args) is None and not _text(args, "contact_name"):
            raise ToolError("give the job_id or the contact_name of the call to cancel.")
        found, what = self._matches(args, active_only=_job_id(args) is None)
        if not found:
            return f"No unfinished call matches {what}; nothing was cancelled."
        if len(found) > 1:
            labels = "; ".join(self._label(j) for j in found[:6])
            return f"Several unfinished calls match {what}: {labels}. Ask the user which one, then cancel it by job_id."
        job = found[0]
        if job.overall_status in FINISHED:
            return f"Job {job.id} has already finished ({job.overall_status}); it cannot be cancelled."
        changed = self.jobs.cancel_job(job.id, "cancelled at the user's request")
        if changed is None:
            return f"Job {job.id} finished meanwhile; it could not be cancelled."
        if changed.overall_status == JobStatus.PROCESSING:
            return f"Job {job.id} (call to {job.contact_name}) is being dialled now; it will be hung up and cancelled."
        return f"Cancelled job {job.id}, the call to {job.contact_name}."

    def list_calls(self, args: ToolArgs) -> str:
        jobs = self.jobs.list_jobs(limit=20)
        if not jobs:
            return "There are no scheduled calls."
        return "Scheduled calls, newest first:\n" + "\n".join(f"- {self._label(j)}" for j in jobs)

    def show_on_screen(self, args: ToolArgs) -> str:
        kind = _text(args, "kind")
        title = _text(args, "title") or ""
        raw = args.get("content")
        if kind not in ("markdown", "table", "series"):
            raise ToolError("kind must be markdown, table or series.")
        content = _display_content(kind, raw)
        self.bus.publish(Display(kind=kind, title=title, content=content))
        for job in self.jobs.list_jobs(limit=100, statuses=FINISHED):
            if not job.update_dismissed:
                self.jobs.dismiss_update(job.id)
                self.bus.publish(CallUpdateDismissed(job_id=job.id))
        return f"Shown on the screen: {title or kind}."

    # --- texts ------------------------------------------------------------------

    def _label(self, job: Job) -> str:
        objective = " ".join(job.current_call_objective_description.split())
        return f"job {job.id} ({job.contact_name}, \"{objective}\", {job.overall_status})"

    def _when(self, ts: str | None) -> str:
        if not ts:
            return "an unknown time"
        at = datetime.fromisoformat(ts.replace("Z", "+00:00"))
        delta = (at - self.clock.now()).total_seconds()
        minutes = round(abs(delta) / 60)
        rel = "just now" if minutes == 0 else (f"in {minutes} minutes" if delta > 0 else f"{minutes} minutes ago")
        return f"{at.strftime('%Y-%m-%d %H:%M')} UTC ({rel})"

    def _status_text(self, job: Job) -> str:
        head = f"Job {job.id}, the call to {job.contact_name} to \"{job.current_call_objective_description}\""
        status = job.overall_status
        attempts = self.jobs.attempts_for_job(job.id)
        if status == JobStatus.PENDING:
            return f"{head}, is queued and has not been dialled yet."
        if status == JobStatus.PROCESSING:
            number = attempts[-1].attempt_number if attempts else job.retries_attempted + 1
            return f"{head}, is in progress right now (attempt #{number})."
        if status == JobStatus.RETRY_SCHEDULED:
            next_try = f"The next try is scheduled for {self._when(job.next_retry_at)}."
            if not attempts:
                return f"{head}, did not succeed yet, reason: {job.last_error or 'no reason recorded'}. {next_try}"
            last = attempts[-1]
            reason = (last.attempt_outcome or last.end_reason or job.last_error
                      or last.strategist_reasoning_for_attempt or "no reason recorded")
            return (f"{head}, did not succeed yet: the last attempt (#{last.attempt_number}) "
                    f"was at {self._when(last.ended_at or last.started_at)}, reason: {reason}. {next_try}")
        summary = (job.final_summary_for_main_agent or "no summary was recorded").rstrip(". ")
        if job.main_agent_informed_user:
            return f"{head}, has finished ({status}): {summary}. The user has already been told this outcome."
        self.jobs.mark_informed([job.id])  # the answer carries it: it is told with this answer
        return f"{head}, has finished ({status}): {summary}."


def _display_content(kind: str, raw: Any) -> Any:
    if kind == "markdown":
        if not isinstance(raw, str) or not raw.strip():
            raise ToolError("for kind=markdown, content must be non-empty markdown text.")
        return raw
    value = raw
    if isinstance(raw, str):
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            raise ToolError(f"for kind={kind}, content must be JSON; it did not parse.") from None
    if kind == "table":
        ok = (isinstance(value, dict) and isinstance(value.get("columns"), list) and isinstance(value.get("rows"), list)
              and all(isinstance(r, list) and len(r) == len(value["columns"]) for r in value["rows"]))
        if not ok:
            raise ToolError('for kind=table, content must be {"columns": [names], "rows": [[one value per column], ...]}.')
        return {"columns": [str(c) for c in value["columns"]], "rows": value["rows"]}
    return _series(value)


def _series(value: Any) -> dict[str, list[Any]]:
    """The one series shape every screen reads: {"labels": [...], "values": [...]}.
    Accepted as that, or as {"points": [[label, value], ...]}."""
    if isinstance(value, dict) and isinstance(value.get("points"), list):
        points = value["points"]
        if not all(isinstance(p, list) and len(p) == 2 for p in points):
            points = None
        else:
            value = {"labels": [p[0] for p in points], "values": [p[1] for p in points]}
    labels = value.get("labels") if isinstance(value, dict) else None
    values = value.get("values") if isinstance(value, dict) else None
    if (not isinstance(labels, list) or not isinstance(values, list) or not values or len(labels) != len(values)
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)):
        raise ToolError('for kind=series, content must be {"labels": [..], "values": [numbers, one per label]} '
                        'or {"points": [[label, number], ...]}.')
    return {"labels": [str(label) for label in labels], "values": values}
