"""The simulator's rule-based "model": pure, deterministic functions.

It reads the response's instructions (sections fixed in docs/architecture.md:
``## Contact directory``, ``## Pending call updates``, and for one response
``## Tell the user now`` or ``## Say exactly``) and the conversation, and
decides what the assistant says or which tool it calls. Like a well-behaved
model it tells pending outcomes when asked to, and answers from tool
results in words meant for the user.

``instructions`` reads those sections, ``intents`` maps what the user said
to words or a tool call, ``paraphrase`` words a tool's result; this module
puts them together into the next response."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from .campaign_intents import campaign_answer
from .instructions import parse_directory, parse_pending, say_exactly, told_now
from .intents import Call, Say, answer, strip_filler, tool_or_refusal, wants_screen
from .paraphrase import JOB_LINE, STATUS_WORDS, paraphrase_output


@dataclass(frozen=True)
class Reply:
    outputs: tuple[Say | Call, ...]
    mentioned: frozenset[int] = field(default_factory=frozenset)


def item_text(item: dict) -> str:
    """What a conversation item says, for the model's ears."""
    if item.get("type") == "function_call_output":
        return item.get("output") or ""
    parts = []
    for c in item.get("content") or []:
        parts.append(c.get("text") or c.get("transcript") or "")
    return " ".join(p for p in parts if p).strip()


def reply(instructions: str, items: list[dict], tools: set[str], mentioned: frozenset[int] = frozenset(),
          tool_choice: object = "auto", answered: frozenset[str] | None = None) -> Reply:
    """The assistant's next response for this conversation (``mentioned``:
    the jobs told so far in this conversation, grown by delivery responses;
    ``answered``: ids of user messages already answered, when known — else
    the user messages since the assistant last spoke are the new ones)."""
    line = say_exactly(instructions)
    if line is not None:
        return Reply((Say(line),), mentioned)
    wanted = told_now(instructions)
    if wanted is not None:
        news = [u for u in parse_pending(instructions) if u.job in wanted]
        if not news:
            return Reply((Say("There is nothing new on your calls."),), mentioned)
        text = " ".join(f"Update on your call to {u.name}: {u.summary.rstrip('.')}." for u in news)
        return Reply((Say(text),), mentioned | {u.job for u in news})
    last = next((i for i in reversed(items) if i.get("type") in ("message", "function_call_output")
                 and i.get("role") != "system"), None)
    if last is None:
        return Reply((Say("Hello! How can I help you today?"),), mentioned)
    usable = set() if tool_choice == "none" else set(tools)
    outputs: list[Say | Call] = []
    # every new user message is answered, in order, as the real model does
    # when two requests arrive before one response
    if answered is not None:
        start = items.index(last) if last.get("type") == "function_call_output" else 0
        unanswered = [i for i in items[start:] if i.get("type") == "message" and i.get("role") == "user"
                      and i.get("id") not in answered]
    else:
        unanswered = []
        for item in reversed(items):
            if item.get("role") == "system":
                continue
            if item.get("type") != "message" or item.get("role") != "user":
                break
            unanswered.insert(0, item)
    if last.get("type") == "function_call_output":
        # the results given together since the last response, in order (it may have called several tools)
        given: list[dict] = []
        for item in reversed(items):
            if item.get("type") != "function_call_output":
                break
            given.insert(0, item)
        outputs.extend(after_tool(item, items, usable) for item in given)
    elif not unanswered:
        return Reply((Say("Is there anything else I can help with?"),), mentioned)
    directory, pending = parse_directory(instructions), parse_pending(instructions)
    again = _confirmed_again(unanswered, items) if not outputs else None
    if again is not None:
        return Reply((tool_or_refusal(usable, again.name, again.arguments, "I can't place calls right now."),), mentioned)
    for item in unanswered:
        said = item_text(item)
        outputs.extend(campaign_answer(said, items, usable) or answer(said, directory, usable, pending))
    return Reply(tuple(_join_says(outputs)), mentioned)


_YES = re.compile(r"^(?:yes|yeah|yep|sure|ok(?:ay)?|please do|go ahead|call (?:them |him |her )?again)\b", re.I)


def _confirmed_again(unanswered: list[dict], items: list[dict]) -> Call | None:
    """"yes" to "I called Akhil about this 3 minutes ago — call again?"."""
    if len(unanswered) != 1 or not _YES.match(item_text(unanswered[0])):
        return None
    before = items[: items.index(unanswered[0])]
    output = next((i for i in reversed(before) if i.get("type") == "function_call_output"), None)
    if output is None or "call again?" not in (output.get("output") or ""):
        return None
    call = next((i for i in before if i.get("type") == "function_call" and i.get("call_id") == output.get("call_id")),
                None)
    if call is None:
        return None
    try:
        arguments = json.loads(call.get("arguments") or "{}")
    except ValueError:
        return None
    return Call(call.get("name") or "schedule_outbound_call", dict(arguments, call_again=True))


def after_tool(output: dict, items: list[dict], tools: set[str]) -> Say | Call:
    """What follows a tool's result: words for the user, or the next tool
    when the request needs two (a table of the calls needs the list first)."""
    call = next((i for i in items if i.get("type") == "function_call" and i.get("call_id") == output.get("call_id")),
                None)
    text = output.get("output") or ""
    if call is not None and call.get("name") == "list_scheduled_calls" and "show_on_screen" in tools:
        asked = next((item_text(i) for i in reversed(items[: items.index(call)])
                      if i.get("type") == "message" and i.get("role") == "user"), "")
        rows = [m.groups() for m in map(JOB_LINE.match, text.splitlines()) if m]
        if wants_screen(asked) and rows:
            title = strip_filler(re.sub(r"^(?:please\s+)?(?:show|chart|display)(?:\s+me)?\s*(?:a\s+table\s+of\s+)?",
                                  "", asked.strip(), flags=re.I)) or "Calls"
            table = {"columns": ["Job", "Contact", "Objective", "Status"],
                     "rows": [[int(j), n, o, STATUS_WORDS.get(st, st)] for j, n, o, st in rows]}
            return Call("show_on_screen", {"kind": "table", "title": title[:1].upper() + title[1:],
                                           "content": json.dumps(table)})
    return Say(paraphrase_output(text, call.get("name") if call else None))


def _join_says(outputs: list[Say | Call]) -> list[Say | Call]:
    joined: list[Say | Call] = []
    for out in outputs:
        if isinstance(out, Say) and joined and isinstance(joined[-1], Say):
            joined[-1] = Say(f"{joined[-1].text} {out.text}")
        else:
            joined.append(out)
    return joined
