"""Campaign requests, as a model would read them: "how is the December
invoices campaign going?" asks ``campaign_status``; "pause it", "resume the
campaign", "cancel the December invoices campaign" the matching action. "it"
is the campaign the conversation last named (from the earlier campaign tool
calls), else the tool decides (the one still running)."""
from __future__ import annotations

import json
import re

from .intents import Call, Say, tool_or_refusal

CAMPAIGN_TOOLS = ("campaign_status", "pause_campaign", "resume_campaign", "cancel_campaign")
_ACTION = re.compile(r"^(?:(?:ok(?:ay)?|alright|right|then|now|and|please|can you|could you)[,\s]+)*"
                     r"(?P<verb>pause|hold|resume|unpause|continue|restart|cancel|stop|abort)\b(?P<rest>.*)$", re.I)
_VERBS = {"pause": "pause_campaign", "hold": "pause_campaign", "resume": "resume_campaign",
          "unpause": "resume_campaign", "continue": "resume_campaign", "restart": "resume_campaign",
          "cancel": "cancel_campaign", "stop": "cancel_campaign", "abort": "cancel_campaign"}
_PRONOUN = re.compile(r"^(?:it|that|this|that one|this one|them|the list|the calls|all of it)$", re.I)
_STATUS = re.compile(r"\bhow\b|\bstatus\b|\bgoing\b|\bprogress\b|\bdoing\b|\bupdates?\b|\bwhere\b|\bdone\b", re.I)
_STOP_WORDS = {"the", "my", "our", "is", "are", "how", "how's", "hows", "what", "what's", "whats", "about",
               "on", "of", "with", "for", "pause", "hold", "resume", "unpause", "continue", "restart", "cancel",
               "stop", "abort", "please", "now", "and", "then", "ok", "okay", "a", "that", "this", "s", "going",
               "doing", "status", "progress", "update", "updates", "whole", "entire"}


def campaign_answer(text: str, items: list[dict], tools: set[str]) -> list[Say | Call] | None:
    """Outputs for a campaign request, or None when it is none."""
    clean = " ".join(text.strip().rstrip("?!.").split())
    mentioned = re.search(r"\bcampaigns?\b", clean, re.I) is not None
    action = _ACTION.match(clean)
    if action:
        rest = _strip(action["rest"])
        tool = _VERBS[action["verb"].lower()]
        talked = _last_campaign(items)
        # "pause it" can only mean a campaign; "cancel it" or a bare "resume" only once one was talked about
        pronoun = bool(rest) and _PRONOUN.match(rest) is not None
        bare = not rest and tool != "cancel_campaign" and talked is not None
        if not (mentioned or bare or (pronoun and (tool != "cancel_campaign" or talked is not None))):
            return None
        name = _name(clean) if mentioned else None
        if name is None and talked:
            name = talked
        return [tool_or_refusal(tools, tool, {"campaign_name": name} if name else {},
                                "I can't change campaigns right now.")]
    if mentioned and _STATUS.search(clean):
        name = _name(clean)
        return [tool_or_refusal(tools, "campaign_status", {"campaign_name": name} if name else {},
                                "I can't check on campaigns right now.")]
    return None


def _strip(s: str) -> str:
    return re.sub(r"\s+(?:please|now|for me|right away|for now)$", "", s.strip(), flags=re.I).strip()


def _name(text: str) -> str | None:
    """The words naming a campaign: "the December invoices campaign", "campaign December invoices"."""
    m = re.search(r"\bcampaigns?\b", text, re.I)
    assert m is not None
    before = re.findall(r"[\w'-]+", text[: m.start()])
    name: list[str] = []
    for word in reversed(before):
        if word.lower() in _STOP_WORDS:
            break
        name.insert(0, word)
    if not name:
        for word in re.findall(r"[\w'-]+", text[m.end():]):
            if word.lower() in _STOP_WORDS:
                break
            name.append(word)
    return " ".join(name) or None


def _last_campaign(items: list[dict]) -> str | None:
    """The campaign named in this conversation's latest campaign tool call ("" when it named none)."""
    for item in reversed(items):
        if item.get("type") == "function_call" and item.get("name") in CAMPAIGN_TOOLS:
            try:
                args = json.loads(item.get("arguments") or "{}")
            except ValueError:
                return ""
            name = args.get("campaign_name") if isinstance(args, dict) else None
            return name if isinstance(name, str) else ""
    return None
