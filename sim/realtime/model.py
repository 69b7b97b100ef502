"""The simulator's rule-based "model": pure, deterministic functions.

It reads the response's instructions (sections fixed in docs/architecture.md:
``## Contact directory``, ``## Pending call updates``, and for one response
``## Tell the user now`` or ``## Say exactly``) and the conversation, and
decides what the assistant says or which tool it calls. Like a well-behaved
model it tells pending outcomes when asked to, and answers from tool
results in words meant for the user."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Say:
    text: str


@dataclass(frozen=True)
class Call:
    name: str
    arguments: dict


@dataclass(frozen=True)
class Contact:
    name: str
    role: str
    phone: str
    tz: str = ""
    notes: str = ""


@dataclass(frozen=True)
class PendingUpdate:
    job: int
    name: str
    role: str
    status: str
    summary: str


@dataclass(frozen=True)
class Reply:
    outputs: tuple[Say | Call, ...]
    mentioned: frozenset[int] = field(default_factory=frozenset)


_CONTACT = re.compile(
    r"^-\s+(?P<name>.+?)\s+\((?P<role>[^)]*)\):\s+(?P<phone>\+?[\d\s().-]+?)"
    r"(?:\s+\[(?P<tz>[^\]]*)\])?(?:\s+[—–-]+\s+(?P<notes>.*))?\s*$")
_PENDING = re.compile(
    r"^-\s+\[job\s+(?P<job>\d+)\]\s+(?P<name>.+?)\s+\((?P<role>[^)]*)\),\s+(?P<status>[A-Za-z_-]+):\s+(?P<summary>.*)$")
_PHONE = re.compile(r"\+?\d[\d\s().-]{5,}\d")
_PRONOUNS = {"me", "us", "you", "it", "them", "that", "this", "him", "her", "everyone", "anyone"}
_ARRANGE = re.compile(
    r"\b(?:schedule|set\s+up|arrange|book|make|place|start)\s+(?:a|an|the|another)?\s*(?:phone\s+)?call\s+(?:with|to|for)\s+",
    re.I)
_SHORT_NUMBER = re.compile(r"(?<![\w+])\d{2,6}(?!\w)")
_NOT_A_NAME = re.compile(r"^(?:(?:all|my|the|our|any|those|these)\s+)*(?:calls?|phone\s+calls?|everything|anything|"
                         r"everyone|them|it)$", re.I)
_JOB_LINE = re.compile(r'^-\s+job\s+(?P<job>\d+)\s+\((?P<name>.+?),\s+"(?P<objective>.*)",\s+(?P<status>[A-Z_]+)\)$')
STATUS_WORDS = {"PENDING": "queued", "PROCESSING": "in progress", "RETRY_SCHEDULED": "retry scheduled",
                "COMPLETED_SUCCESS": "done", "FAILED_MAX_RETRIES": "failed", "FAILED_ERROR": "failed",
                "CANCELLED": "cancelled"}
FINISHED_WORDS = {"COMPLETED_SUCCESS": "is done", "FAILED_MAX_RETRIES": "did not get through",
                  "FAILED_ERROR": "failed", "CANCELLED": "was cancelled"}
TOOL_ACTS = {"schedule_outbound_call": "schedule that call", "check_scheduled_call_status": "check on that call",
             "cancel_scheduled_call": "cancel that call", "list_scheduled_calls": "list your calls",
             "show_on_screen": "show that"}
_NOUN_BEFORE = {"the", "a", "my", "that", "this", "his", "her", "their", "our", "your", "last", "next", "each", "every"}


def _section(text: str, heading: str) -> list[str]:
    lines, inside = [], False
    for line in (text or "").splitlines():
        if line.startswith("## "):
            inside = line[3:].strip().lower() == heading.lower()
            continue
        if inside and line.strip():
            lines.append(line.strip())
    return lines


def parse_directory(instructions: str) -> list[Contact]:
    out = []
    for line in _section(instructions, "Contact directory"):
        m = _CONTACT.match(line)
        if m:
            out.append(Contact(m["name"].strip(), m["role"].strip(), normalise_phone(m["phone"]),
                               (m["tz"] or "").strip(), (m["notes"] or "").strip()))
    return out


def told_now(instructions: str) -> set[int] | None:
    """The jobs a delivery response must tell (``## Tell the user now``), or None."""
    lines = _section(instructions, "Tell the user now")
    if not lines:
        return None
    return {int(n) for n in re.findall(r"\bjob\s+(\d+)", " ".join(lines))}


def say_exactly(instructions: str) -> str | None:
    lines = _section(instructions, "Say exactly")
    return " ".join(lines) if lines else None


def parse_pending(instructions: str) -> list[PendingUpdate]:
    out = []
    for line in _section(instructions, "Pending call updates"):
        m = _PENDING.match(line)
        if m:
            out.append(PendingUpdate(int(m["job"]), m["name"].strip(), m["role"].strip(), m["status"],
                                     m["summary"].strip()))
    return out


def normalise_phone(raw: str) -> str:
    digits = re.sub(r"\D", "", raw)
    if raw.strip().startswith("+"):
        return "+" + digits
    if len(digits) == 10:
        return "+1" + digits
    return "+" + digits


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
        return Reply((_tool(usable, again.name, again.arguments, "I can't place calls right now."),), mentioned)
    for item in unanswered:
        outputs.extend(answer(item_text(item), directory, usable, pending))
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
        rows = [m.groups() for m in map(_JOB_LINE.match, text.splitlines()) if m]
        if _wants_screen(asked) and rows:
            title = _strip(re.sub(r"^(?:please\s+)?(?:show|chart|display)(?:\s+me)?\s*(?:a\s+table\s+of\s+)?",
                                  "", asked.strip(), flags=re.I)) or "Calls"
            table = {"columns": ["Job", "Contact", "Objective", "Status"],
                     "rows": [[int(j), n, o, STATUS_WORDS.get(st, st)] for j, n, o, st in rows]}
            return Call("show_on_screen", {"kind": "table", "title": title[:1].upper() + title[1:],
                                           "content": json.dumps(table)})
    return Say(paraphrase_output(text, call.get("name") if call else None))


def _wants_screen(text: str) -> bool:
    low = text.lower()
    return bool(re.match(r"^(?:please\s+)?(?:show|chart|display)\b", low) or re.search(r"\b(?:chart|table)\b", low))


def _join_says(outputs: list[Say | Call]) -> list[Say | Call]:
    joined: list[Say | Call] = []
    for out in outputs:
        if isinstance(out, Say) and joined and isinstance(joined[-1], Say):
            joined[-1] = Say(f"{joined[-1].text} {out.text}")
        else:
            joined.append(out)
    return joined


def answer(text: str, contacts: list[Contact], tools: set[str], pending: list[PendingUpdate]) -> list[Say | Call]:
    """Map one user utterance to outputs (a tool call or words)."""
    clean = text.strip()
    low = clean.lower()
    m = re.match(r"^(?:repeat after me|say)[:,]?\s+(?P<t>.+)$", clean, re.I | re.S)
    if m:
        return [Say(m["t"])]
    if re.search(r"\bcancel\b", low) and re.search(r"\bcalls?\b", low):
        who = _who_after(clean, r"calls?\s+(?:to|with|for)") or _contact_in(low, contacts)
        who = _resolve_name(who, contacts) if who else None
        return [_tool(tools, "cancel_scheduled_call", {"contact_name": who} if who else {},
                      "I can't cancel calls right now.")]
    if _wants_screen(clean):
        if re.search(r"\bcalls?\b", low) and not re.search(r"\bupdates?\b", low) and "list_scheduled_calls" in tools:
            return [Call("list_scheduled_calls", {})]  # the table follows from the list
        return [_tool(tools, "show_on_screen", _screen(clean, contacts, pending), "I can't show that right now.")]
    if re.search(r"\b(?:list|which|what)\b(?:\s+\w+){0,3}\s+calls\b", low) or "scheduled calls" in low:
        return [_tool(tools, "list_scheduled_calls", {}, "I can't list calls right now.")]
    if re.search(r"\bstatus\b|\bwhat happened\b|\bany updates?\b|\bhow did\b.*\bgo\b|\bnews\b", low):
        who = (_who_after(clean, r"(?:calls?\s+(?:to|with)|happened\s+(?:with|to)|on|with|for)")
               or _contact_in(low, contacts))
        who = _resolve_name(who, contacts) if who else None
        return [_tool(tools, "check_scheduled_call_status", {"contact_name": who} if who else {},
                      "I can't check on calls right now.")]
    call = _call_request(clean, contacts)
    if call is not None:
        if isinstance(call, Say):
            return [call]
        return [_tool(tools, "schedule_outbound_call", call, "I can't place calls right now.")]
    return [Say(f"You said: \"{clean.rstrip('.!?')}\". I can call your contacts, check on calls, or cancel them.")]


def _tool(tools: set[str], name: str, args: dict, refusal: str) -> Say | Call:
    return Call(name, args) if name in tools else Say(refusal)


def _strip(s: str) -> str:
    s = re.sub(r"\s+(?:please|now|for me|right away)\s*$", "", s.strip(), flags=re.I)
    return s.strip().rstrip(".!?,;:").strip()


def _who_after(text: str, lead: str) -> str | None:
    m = re.search(rf"\b{lead}\s+(?P<who>.+)$", text, re.I | re.S)
    if not m:
        return None
    who = re.split(r"\s+(?:about|regarding|please|today|yesterday)\b|[?.!,]", m["who"], maxsplit=1)[0]
    who = re.sub(r"^(?:the\s+call\s+to|my\s+call\s+to|the|my)\s+", "", who.strip(), flags=re.I)
    who = re.sub(r"'s$", "", who.strip())
    if who.lower() in _PRONOUNS or _NOT_A_NAME.match(who):
        return None
    return who or None


def _contact_in(low: str, contacts: list[Contact]) -> str | None:
    words = set(re.findall(r"[a-z0-9+']+", low.replace("'s", "")))
    for c in contacts:
        if c.name.lower() in low or c.name.split()[0].lower() in words:
            return c.name
    for c in contacts:
        if any(w in words for w in _role_words(c.role)):
            return c.name
    return None


def _resolve_name(who: str, contacts: list[Contact]) -> str:
    found = _contact_in(who.lower(), contacts)
    return found or who


def _role_words(role: str) -> list[str]:
    return [w for w in re.findall(r"[a-z]+", role.lower()) if len(w) > 3]


def _call_request(text: str, contacts: list[Contact]) -> dict | Say | None:
    verb = _ARRANGE.search(text)
    if verb is None:
        for m in re.finditer(r"\b(?:call|ring|phone)\b", text, re.I):
            before = re.findall(r"[a-z]+", text[: m.start()].lower())
            if before and before[-1] in _NOUN_BEFORE:
                continue
            verb = m
            break
    if verb is None:
        return None
    rest = text[verb.end():].strip()
    parts = re.split(r"\s+(?:about|regarding|to)\s+", rest, maxsplit=1, flags=re.I)
    who_text = parts[0].strip()
    objective = _strip(parts[1]) if len(parts) > 1 else ""
    number_m = _PHONE.search(who_text) or (_PHONE.search(objective) if objective else None)
    number = normalise_phone(number_m.group(0)) if number_m else None
    if number_m is None:
        number_m = _SHORT_NUMBER.search(who_text)  # 911, 112, 999: the scheduling tool decides
        number = number_m.group(0) if number_m else None
    person = who_text
    if number_m and number_m.group(0) in who_text:
        person = who_text.replace(number_m.group(0), " ")
    person = re.sub(r"\b(?:at|on|number)\b", " ", person, flags=re.I)
    person = re.sub(r"\s+", " ", person).strip(" ,")
    contact = _match_contact(person, contacts)
    if contact is None and number:
        contact = next((c for c in contacts if c.phone == number), None)
    name = contact.name if contact else re.split(r"\s+(?:in|from)\s+", person, maxsplit=1, flags=re.I)[0].strip()
    if not name and number:
        name = number
    if contact is None and number is None:
        if not re.search(r"[A-Za-z]{2}", name) or name.lower() in ("about", "to", "regarding"):
            return Say("Who should I call, and what about?")
        return Say(f"I don't have a number for {name}. What number should I call?")
    if not objective:
        return Say(f"What should the call to {name} be about?")
    return {"phone_number": number or contact.phone, "contact_name": name, "call_objective": objective}


def _match_contact(person: str, contacts: list[Contact]) -> Contact | None:
    if not person:
        return None
    low = person.lower()
    words = set(re.findall(r"[a-z]+", low))
    for c in contacts:
        if c.name.lower() in low or c.name.split()[0].lower() in words:
            return c
    for c in contacts:
        if any(w in words for w in _role_words(c.role)):
            return c
    return None


def _screen(text: str, contacts: list[Contact], pending: list[PendingUpdate]) -> dict:
    rest = re.sub(r"^(?:please\s+)?(?:show|chart|display)(?:\s+me)?\s*", "", text.strip(), flags=re.I)
    title = _strip(rest) or "Overview"
    title = title[:1].upper() + title[1:]
    low = text.lower()
    if "contact" in low or "directory" in low:
        rows = "\n".join(f"| {c.name} | {c.role} | {c.phone} |" for c in contacts) or "| (none) | | |"
        content = f"| Name | Role | Phone |\n| --- | --- | --- |\n{rows}"
    elif "update" in low or "call" in low:
        rows = "\n".join(f"- **{u.name}** ({u.status}): {u.summary}" for u in pending)
        content = rows or "No call updates yet."
    else:
        content = f"# {title}\n\n{text.strip()}"
    return {"kind": "markdown", "title": title, "content": content}


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
    rows = [m.groups() for m in map(_JOB_LINE.match, lines[1:]) if m]
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
