"""A tool's result in words for the user: everything meant for the user,
in full; nothing addressed to the model."""
from __future__ import annotations

import json
import re

JOB_LINE = re.compile(r'^-\s+job\s+(?P<job>\d+)\s+\((?P<name>.+?),\s+"(?P<objective>.*)",\s+(?P<status>[A-Z_]+)\)$')
STATUS_WORDS = {"PENDING": "queued", "PROCESSING": "in progress", "RETRY_SCHEDULED": "retry scheduled",
                "COMPLETED_SUCCESS": "done", "FAILED_MAX_RETRIES": "failed", "FAILED_ERROR": "failed",
                "CANCELLED": "cancelled", "EXPIRED": "expired"}
FINISHED_WORDS = {"COMPLETED_SUCCESS": "is done", "FAILED_MAX_RETRIES": "did not get through",
                  "FAILED_ERROR": "failed", "CANCELLED": "was cancelled",
                  "EXPIRED": "expired before it was made"}
TOOL_ACTS = {"schedule_outbound_call": "schedule that call", "check_scheduled_call_status": "check on that call",
             "cancel_scheduled_call": "cancel that call", "list_scheduled_calls": "list your calls",
             "show_on_screen": "show that", "campaign_status": "check on that campaign",
             "pause_campaign": "pause that campaign", "resume_campaign": "resume that campaign",
             "cancel_campaign": "cancel that campaign"}


_FOR_THE_MODEL = re.compile(
    r"\s*(?:(?:Ask|Tell) the user\b[^.]*\.|Call \w+ again\b[^.]*\.|check its status instead[^.]*\.|"
    r"It is queued; the outcome will follow when it ends\.|The user has already been told this outcome\.|"
    r"If the user says yes\b[^.]*\.)",
    re.I)
_SCHEDULED = re.compile(r'^Scheduled job (?P<job>\d+): a call to (?P<name>.+?) \((?P<phone>[^)]*)\) to "(?P<objective>.*)"\.')
_FINISHED = re.compile(r'Job (?P<job>\d+), the call to (?P<name>.+?) to "(?P<objective>[^"]*)", has finished '
                       r'\((?P<status>[A-Z_]+)\): (?P<summary>.*?)\.(?=\s+Job \d+, the call|\s*$)', re.S)


def paraphrase_output(output: str, tool: str | None = None) -> str:
    """What a good assistant says after a tool answered: everything meant
    for the user, in full; nothing addressed to the model."""
    try:
        data = json.loads(output)
    except ValueError:
        data = output
    if isinstance(data, dict):
        for key in ("message", "summary", "result", "status_summary", "error", "status"):
            value = data.get(key)
            if isinstance(value, str) and value.strip():
                return _sentence(_FOR_THE_MODEL.sub("", value).strip())
        for value in data.values():
            if isinstance(value, list):
                data = value
                break
        else:
            return "Done."
    if isinstance(data, list):
        if not data:
            return "There are no scheduled calls."
        names = [str(d.get("contact_name") or d.get("name") or "") if isinstance(d, dict) else str(d) for d in data]
        names = [n for n in names if n]
        tail = f": {', '.join(names)}." if names else "."
        return f"There {'is' if len(data) == 1 else 'are'} {len(data)} scheduled call{'' if len(data) == 1 else 's'}{tail}"
    return _words_for_user(str(data), tool)


def _words_for_user(text: str, tool: str | None) -> str:
    text = text.strip()
    if not text:
        return "Done."
    failed = re.match(r"^(?P<tool>[a-z_]+) failed(?::\s*| because of an internal error)", text)
    if failed:
        if "internal error" in text[: failed.end() + 20]:
            return "Sorry, I couldn't do that right now. Please try again in a moment."
        act = TOOL_ACTS.get(failed["tool"], "do that")
        reason = _FOR_THE_MODEL.sub("", text[failed.end():]).strip()
        reason = re.sub(r"\s*\(known: .*\)(?=\.)", "", reason)
        said = _sentence(f"I couldn't {act}: {reason[:1].lower() + reason[1:]}" if reason else f"I couldn't {act}.")
        if re.search(r"\bNo contact named\b", reason, re.I):
            said += " What number should I call?"
        return said
    if text.startswith("Shown on the screen: "):
        return _sentence(f"It's on your screen now: {text[len('Shown on the screen: '):].rstrip('.')}")
    m = _SCHEDULED.match(text)
    if m:
        said = f"I've scheduled a call to {m['name']} about {m['objective'].rstrip('.')}; I'll let you know how it goes."
        note = re.search(r"Note: (.*)$", text)
        return said + (" " + _sentence(note.group(1)) if note else "")
    lines = text.splitlines()
    rows = [m.groups() for m in map(JOB_LINE.match, lines[1:]) if m]
    if rows:
        parts = [f"{name} about {objective.rstrip('. ')} ({STATUS_WORDS.get(status, status.lower())})"
                 for _, name, objective, status in rows]
        return f"You have {len(rows)} call{'s' if len(rows) != 1 else ''}: " + "; ".join(parts) + "."
    finished = list(_FINISHED.finditer(_FOR_THE_MODEL.sub("", text).strip()))
    if finished:
        return " ".join(f"Your call to {f['name']} about {f['objective']} {FINISHED_WORDS.get(f['status'], 'is over')}: "
                        f"{f['summary'].strip()}." for f in finished)
    return _sentence(" ".join(_FOR_THE_MODEL.sub("", text).split()))


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    if not text:
        return "Done."
    return text if text.endswith((".", "!", "?")) else text + "."
