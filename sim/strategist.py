"""The rule-based "model" behind the chat-completions simulator.

Strategist (a request with a JSON response format): finds the call
transcript in the messages — lines like ``Agent: …`` / ``User: …`` (also
``Callee:``, ``Contact:``, ``Assistant:``, ``MESSAGE_ROLE_USER: …``, with
optional ``[..]`` or ``-`` prefixes), only inside the last ``<call_transcript>``
block when the request has one — and decides from the CALLEE's lines only,
so instructions planted in the transcript cannot change the outcome:

1. refusal ("not interested", "don't call") → MARK_JOB_FAILED_MAX_RETRIES;
   ``callee_asked_not_to_call_again`` is true when they asked not to be
   called again ("don't call again", "stop calling", "remove my number")
2. "call me back in N minutes" → SCHEDULE_JOB_RETRY, delay N
3. voicemail greeting / no callee lines (no answer, busy, unjoined, empty)
   → SCHEDULE_JOB_RETRY, delay 30
4. agreement ("yes", "sure", "agree", "works for me", "confirm") in a
   sentence that is not a question ("Sure, what do you need?" agrees to
   nothing yet) → MARK_JOB_COMPLETED_SUCCESS
5. anything else → SCHEDULE_JOB_RETRY, delay 30

``revised_objective`` echoes the request's ``...objective: <value>`` line
(a JSON string value is decoded).

Summary (any other request): ``"Summary: "`` + the key lines of the last
user message (see ``summarise``), deterministic."""
from __future__ import annotations

import json
import re
from typing import Any

ACTIONS = ("MARK_JOB_COMPLETED_SUCCESS", "SCHEDULE_JOB_RETRY", "MARK_JOB_FAILED_MAX_RETRIES")

_LINE = re.compile(
    r"^\s*(?:[-*•]\s*)?(?:\[[^\]]*\]\s*)?(?:\d+[.)]\s*)?"
    r"(?P<who>MESSAGE_ROLE_USER|MESSAGE_ROLE_AGENT|user|callee|contact|human|person|them|"
    r"agent|assistant|ai|bot|caller)\s*(?:\([^)]*\))?\s*[:>\-–]\s*(?P<text>.*)$",
    re.IGNORECASE)
_CALLEE = {"message_role_user", "user", "callee", "contact", "human", "person", "them"}
_REFUSE = re.compile(r"not interested|don'?t call|do not call|stop calling|never call|no thanks|leave me alone|"
                     r"remove (?:me|my number)", re.IGNORECASE)
_NO_MORE_CALLS = re.compile(r"(?:don'?t|do not|never) call (?:me |us |this number )?(?:again|any ?more)|"
                           r"stop calling|remove (?:me|my number)|take (?:me|my number) off|"
                           r"do[- ]not[- ]call list", re.IGNORECASE)
_CALLBACK = re.compile(r"call (?:me )?back (?:in|after) (?:about |around )?(\d+)\s*(minute|min|hour|hr)", re.IGNORECASE)
_VOICEMAIL = re.compile(r"leave a message|after the tone|voicemail|mailbox", re.IGNORECASE)
_SENTENCE = re.compile(r"[^.!?]*[.!?]?")
_AGREE = re.compile(r"\b(?:yes|yeah|yep|sure|agree[ds]?|works for me|sounds good|confirm(?:ed)?|ok(?:ay)?|"
                    r"deal|of course|absolutely)\b", re.IGNORECASE)

Answer = dict[str, Any]  # an action plan, as the strategist model answers it


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


_BLOCK = re.compile(r"<call_transcript>(.*?)</call_transcript>", re.DOTALL | re.IGNORECASE)
_OBJECTIVE = re.compile(r"objective[^:\n]*:\s*(.+)", re.IGNORECASE)


def _user_text(messages: list[dict]) -> str:
    return "\n".join(_text(m.get("content")) for m in messages if m.get("role") not in ("system", "developer"))


def transcript_lines(messages: list[dict]) -> list[tuple[str, str]]:
    """(speaker, text) lines in the non-system messages — only inside a
    ``<call_transcript>`` block when there is one."""
    found: list[tuple[str, str]] = []
    text = _user_text(messages)
    # a request has one transcript, last: any block before it was written
    # into another field, and is not what the callee said
    blocks = _BLOCK.findall(text)[-1:]
    for chunk in blocks or [text]:
        for line in chunk.splitlines():
            match = _LINE.match(line)
            if match:
                who = match.group("who").lower()
                found.append(("callee" if who in _CALLEE else "agent", match.group("text").strip()))
    return found


def objective_of(messages: list[dict]) -> str:
    """The objective as the request states it (``Objective: ...``), if it does."""
    m = _OBJECTIVE.search(_BLOCK.sub("", _user_text(messages)))
    if not m:
        return ""
    value = m.group(1).strip()
    if value.startswith('"'):
        try:
            value = str(json.loads(value))
        except ValueError:
            value = value.strip('"')
    return value


def decide(messages: list[dict]) -> Answer:
    answer = _decide(messages)
    objective = objective_of(messages)
    if answer["action"] == "SCHEDULE_JOB_RETRY":
        answer["revised_objective"] = objective or "Follow up on the original objective."
    else:
        answer["revised_objective"] = objective
    return answer


def _decide(messages: list[dict]) -> Answer:
    lines = transcript_lines(messages)
    callee = [t for who, t in lines if who == "callee" and t]
    said = " ".join(callee)
    if _NO_MORE_CALLS.search(said):
        return dict(_answer("MARK_JOB_FAILED_MAX_RETRIES", 0,
                            "The contact refused and asked not to be called again.",
                            "The callee declined; calling again would go against their wishes."),
                    callee_asked_not_to_call_again=True)
    if _REFUSE.search(said):
        return _answer("MARK_JOB_FAILED_MAX_RETRIES", 0, "The contact refused.",
                       "The callee declined the request.")
    if m := _CALLBACK.search(said):
        n = int(m.group(1)) * (60 if m.group(2).lower().startswith("h") else 1)
        return _answer("SCHEDULE_JOB_RETRY", n, f"The contact was busy and asked for a call back in {n} minutes.",
                       f"The callee asked to be called back in {n} minutes.")
    if not callee or _VOICEMAIL.search(said):
        why = "reached voicemail" if callee else "did not reach the contact (no answer, busy, or no transcript)"
        return _answer("SCHEDULE_JOB_RETRY", 30, f"The call {why}; will try again in 30 minutes.",
                       f"The call {why}.")
    statements = [m.group(0) for m in _SENTENCE.finditer(said) if not m.group(0).rstrip().endswith("?")]
    if any(_AGREE.search(x) for x in statements):
        return _answer("MARK_JOB_COMPLETED_SUCCESS", 0, "The contact agreed: the objective was achieved.",
                       "The callee agreed to the objective.")
    return _answer("SCHEDULE_JOB_RETRY", 30, "The call did not reach a clear outcome; will try again in 30 minutes.",
                   "No agreement, refusal or callback request was heard.")


def _answer(action: str, delay: int, summary: str, reasoning: str) -> Answer:
    return {"action": action, "summary_for_user": summary, "revised_objective": "",
            "retry_delay_minutes": delay, "reasoning": reasoning, "callee_asked_not_to_call_again": False}


def fit_schema(answer: Answer, schema: dict | None) -> Answer:
    """Keep the properties ``schema`` declares; give unknown ones a typed default."""
    props = (schema or {}).get("properties")
    if not isinstance(props, dict) or not props:
        return answer
    out: Answer = {}
    for name, spec in props.items():
        if name in answer:
            out[name] = answer[name]
            continue
        kind = spec.get("type") if isinstance(spec, dict) else None
        if isinstance(kind, list):
            kind = "null" if "null" in kind else (kind[0] if kind else None)
        out[name] = {"string": "", "integer": 0, "number": 0, "boolean": False,
                     "array": [], "object": {}}.get(kind) if kind else None
    return out


_HEADING = re.compile(r"^(?:current time\b.*|\(none\)|[^:]{0,60}:)$", re.IGNORECASE)
_AGE = re.compile(r"^\((?:just now|[^)]*\bago)\)\s*", re.IGNORECASE)
MAX_ITEMS = 12


def summarise(messages: list[dict]) -> str:
    """``"Summary: a | b | ..."`` over the last user message's key lines: a
    previous summary's items are kept (so it rolls), headings and relative
    ages ("(5 minutes ago)") dropped, duplicates removed, the newest
    ``MAX_ITEMS`` kept."""
    last = next((_text(m.get("content")) for m in reversed(messages) if m.get("role") == "user"), "")
    items: list[str] = []
    for raw in last.splitlines():
        line = raw.strip()
        if not line or _HEADING.match(line):
            continue
        parts = line[len("Summary:"):].split(" | ") if line.startswith("Summary:") else [line]
        for part in parts:
            item = _AGE.sub("", part.strip().removeprefix("- ").strip())
            if item and item not in items:
                items.append(item if len(item) <= 160 else item[:157] + "...")
    if not items:
        return "Summary: nothing to summarise."
    return "Summary: " + " | ".join(items[-MAX_ITEMS:])
