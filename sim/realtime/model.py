"""The simulator's rule-based "model": pure, deterministic functions.

It reads the session instructions (sections fixed in docs/architecture.md:
``## Contact directory`` and ``## Pending call updates``) and the
conversation, and decides what the assistant says or which tool it calls."""
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
          tool_choice: object = "auto") -> Reply:
    """The assistant's next response for this conversation."""
    last = next((i for i in reversed(items) if i.get("type") in ("message", "function_call_output")
                 and i.get("role") != "system"), None)
    if last is None:
        return Reply((Say("Hello! How can I help you today?"),), mentioned)
    if last.get("type") == "function_call_output":
        return Reply((Say(paraphrase_output(last.get("output") or "")),), mentioned)
    if last.get("role") != "user":
        return Reply((Say("Is there anything else I can help with?"),), mentioned)
    usable = set() if tool_choice == "none" else set(tools)
    outputs: list[Say | Call] = []
    news = [u for u in parse_pending(instructions) if u.job not in mentioned]
    if news:
        outputs.append(Say(" ".join(f"Update on your call to {u.name}: {u.summary.rstrip('.')}." for u in news)))
        mentioned = mentioned | {u.job for u in news}
    # every user message since the assistant last spoke is answered, in order,
    # as the real model does when two requests arrive before one response
    unanswered: list[dict] = []
    for item in reversed(items):
        if item.get("role") == "system":
            continue
        if item.get("type") != "message" or item.get("role") != "user":
            break
        unanswered.append(item)
    directory, pending = parse_directory(instructions), parse_pending(instructions)
    for item in reversed(unanswered):
        outputs.extend(answer(item_text(item), directory, usable, pending))
    return Reply(tuple(_join_says(outputs)), mentioned)


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
    if re.match(r"^(?:please\s+)?(?:show|chart|display)\b", low) or re.search(r"\bchart\b", low):
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
    if who.lower() in _PRONOUNS:
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


def paraphrase_output(output: str) -> str:
    """A short spoken answer from a tool's output."""
    try:
        data = json.loads(output)
    except ValueError:
        data = output
    if isinstance(data, dict):
        for key in ("message", "summary", "result", "status_summary", "error", "status"):
            value = data.get(key)
            if isinstance(value, str) and value.strip():
                return _first_sentence(value)
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
        tail = f": {', '.join(names[:5])}." if names else "."
        return f"There {'is' if len(data) == 1 else 'are'} {len(data)} scheduled call{'' if len(data) == 1 else 's'}{tail}"
    return _first_sentence(str(data)) if str(data).strip() else "Done."


def _first_sentence(text: str) -> str:
    text = " ".join(text.split())
    m = re.match(r"^(.+?[.!?])(?:\s|$)", text)
    sentence = m.group(1) if m else text
    if len(sentence) > 240:
        sentence = sentence[:237].rstrip() + "..."
    return sentence if sentence.endswith((".", "!", "?", "...")) else sentence + "."
