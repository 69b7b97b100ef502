"""The status rule for a hard refusal: whatever the strategist answered, a
callee who said "don't call again" (or the like) is never called again."""
from __future__ import annotations

import re

from calling.ultravox_client import CallMessage

CALLEE_ROLES = {"MESSAGE_ROLE_USER", "user"}
HARD_REFUSAL = re.compile(
    r"\b(?:(?:don'?t|do not|never) (?:ever )?(?:call|phone|ring) (?:me |us |here |this number )?(?:again|any ?more)"
    r"|stop (?:calling|phoning|ringing)"
    r"|(?:remove|take) (?:me|us|my number|this number) (?:off|from)"
    r"|(?:put|add) (?:me|us|my number) on (?:the |your )?do[- ]not[- ]call"
    r"|lose (?:my|this) number)",
    re.IGNORECASE)


def asked_not_to_call(transcript: list[CallMessage]) -> str | None:
    """The callee's words that ask for no more calls, or None. Only the
    callee's lines count: the agent saying "I won't call again" is not a refusal."""
    for turn in transcript:
        if str(turn.get("role")) not in CALLEE_ROLES:
            continue
        text = " ".join(str(turn.get("text") or "").split()).replace("\u2019", "'")
        if HARD_REFUSAL.search(text):
            return text
    return None
