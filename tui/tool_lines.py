"""A tool call as the operator reads it: one plain sentence ("Scheduled a
call to Marco — job 3"), built the same from a live ToolCalled event and
from a tool_call/tool_result pair in the conversation history."""
from __future__ import annotations

import json
import re
from typing import Any

from tui.format import clip

RESULT_CHARS = 120
_JOB = re.compile(r"\b[Jj]ob (\d+)")
_STATUS_HEAD = re.compile(r"Job (\d+), the call to (.+?) to \"")
_CANCELLED = re.compile(r"(?:Cancelled job|Job) (\d+)(?:, the call to | \(call to )(.+?)(?:\.$|\) is being dialled)")
_FINISHED = re.compile(r"has finished \((\w+)\)")
_STATUS_WORDS = (("is queued", "queued"), ("in progress", "in progress"), ("did not succeed yet", "retry scheduled"))


def _args(arguments: str) -> dict[str, Any]:
    try:
        value = json.loads(arguments or "{}")
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _job(result: str) -> str:
    m = _JOB.search(result)
    return f" — job {m.group(1)}" if m else ""


def _who(args: dict[str, Any]) -> str:
    return str(args.get("contact_name") or args.get("phone_number") or "").strip()


def describe(name: str, arguments: str, result: str) -> str:
    """One line for a tool call and what it returned."""
    args = _args(arguments)
    result = result or ""
    who = clip(_who(args), 40)
    if name == "schedule_outbound_call":
        if result.startswith("Scheduled job"):
            return f"Scheduled a call to {who or 'a contact'}{_job(result)}"
        return f"Could not schedule a call to {who or 'a contact'}: {clip(result, RESULT_CHARS)}"
    if name == "cancel_scheduled_call":
        m = _CANCELLED.match(result)
        if m is not None:
            return f"Cancelled the call to {clip(m.group(2), 40)} — job {m.group(1)}"
        return f"Cancel: {clip(result, RESULT_CHARS)}"
    if name == "check_scheduled_call_status":
        m = _STATUS_HEAD.match(result)
        if m is None:
            return f"Checked calls: {clip(result, RESULT_CHARS)}"
        state = next((word for key, word in _STATUS_WORDS if key in result), "")
        finished = _FINISHED.search(result)
        state = finished.group(1) if finished else state
        return f"Checked the call to {clip(m.group(2), 40)} — job {m.group(1)}" + (f": {state}" if state else "")
    if name == "list_scheduled_calls":
        count = sum(1 for line in result.splitlines() if line.startswith("- "))
        return f"Listed {count} call{'s' if count != 1 else ''}" if count else f"Listed calls: {clip(result, RESULT_CHARS)}"
    if name == "show_on_screen":
        title = clip(str(args.get("title") or args.get("kind") or "a display"), 40)
        if result.startswith("Shown"):
            return f"Showed {title} on the screen"
        return f"Could not show {title}: {clip(result, RESULT_CHARS)}"
    return f"{clip(name, 40)}: {clip(result, RESULT_CHARS)}"
