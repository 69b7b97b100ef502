"""What the user asked for: one utterance mapped to the simulated model's
outputs — words (``Say``) or a tool call (``Call``)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from .instructions import Contact, PendingUpdate, normalise_phone


@dataclass(frozen=True)
class Say:
    text: str


@dataclass(frozen=True)
class Call:
    name: str
    arguments: dict


_PHONE = re.compile(r"\+?\d[\d\s().-]{5,}\d")
_PRONOUNS = {"me", "us", "you", "it", "them", "that", "this", "him", "her", "everyone", "anyone"}
_ARRANGE = re.compile(
    r"\b(?:schedule|set\s+up|arrange|book|make|place|start)\s+(?:a|an|the|another)?\s*(?:phone\s+)?call\s+(?:with|to|for)\s+",
    re.I)
_SHORT_NUMBER = re.compile(r"(?<![\w+])\d{2,6}(?!\w)")
_NOT_A_NAME = re.compile(r"^(?:(?:all|my|the|our|any|those|these)\s+)*(?:calls?|phone\s+calls?|everything|anything|"
                         r"everyone|them|it)$", re.I)
_NOUN_BEFORE = {"the", "a", "my", "that", "this", "his", "her", "their", "our", "your", "last", "next", "each", "every"}


def wants_screen(text: str) -> bool:
    low = text.lower()
    return bool(re.match(r"^(?:please\s+)?(?:show|chart|display)\b", low) or re.search(r"\b(?:chart|table)\b", low))


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
        return [tool_or_refusal(tools, "cancel_scheduled_call", {"contact_name": who} if who else {},
                      "I can't cancel calls right now.")]
    if wants_screen(clean):
        if re.search(r"\bcalls?\b", low) and not re.search(r"\bupdates?\b", low) and "list_scheduled_calls" in tools:
            return [Call("list_scheduled_calls", {})]  # the table follows from the list
        return [tool_or_refusal(tools, "show_on_screen", _screen(clean, contacts, pending), "I can't show that right now.")]
    if re.search(r"\b(?:list|which|what)\b(?:\s+\w+){0,3}\s+calls\b", low) or "scheduled calls" in low:
        return [tool_or_refusal(tools, "list_scheduled_calls", {}, "I can't list calls right now.")]
    if re.search(r"\bstatus\b|\bwhat happened\b|\bany updates?\b|\bhow did\b.*\bgo\b|\bnews\b", low):
        who = (_who_after(clean, r"(?:calls?\s+(?:to|with)|happened\s+(?:with|to)|on|with|for)")
               or _contact_in(low, contacts))
        who = _resolve_name(who, contacts) if who else None
        return [tool_or_refusal(tools, "check_scheduled_call_status", {"contact_name": who} if who else {},
                      "I can't check on calls right now.")]
    call = _call_request(clean, contacts)
    if call is not None:
        if isinstance(call, Say):
            return [call]
        return [tool_or_refusal(tools, "schedule_outbound_call", call, "I can't place calls right now.")]
    return [Say(f"You said: \"{clean.rstrip('.!?')}\". I can call your contacts, check on calls, or cancel them.")]


def tool_or_refusal(tools: set[str], name: str, args: dict, refusal: str) -> Say | Call:
    return Call(name, args) if name in tools else Say(refusal)


def strip_filler(s: str) -> str:
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
    objective = strip_filler(parts[1]) if len(parts) > 1 else ""
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
    title = strip_filler(rest) or "Overview"
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
