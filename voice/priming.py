"""Context for a new Realtime session: the last turns replayed as
conversation items, and the rolling summary, refreshed in the background
with the utility model (never on the connection's critical path)."""
from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any


from core.clock import Clock
from core.records import Role, Turn
from core.retry import RetryPolicy, Transient
from voice import protocol

log = logging.getLogger(__name__)

_TOOL_CALL = re.compile(r"^(?P<name>[A-Za-z_][\w]*)\((?P<args>.*)\)$", re.S)
ROLE_LABEL = {"user": "User", "assistant": "Assistant", "tool_call": "Tool call", "tool_result": "Tool result"}


def tool_call_text(name: str, arguments: str) -> str:
    """How a tool call is written in the turn log (and read back here)."""
    return f"{name}({arguments})"


def parse_tool_call(text: str) -> tuple[str, str] | None:
    m = _TOOL_CALL.match(text.strip())
    return (m["name"], m["args"]) if m else None


def history_items(turns: list[Turn], prefix: str) -> list[protocol.ClientEvent]:
    """conversation.item.create events replaying ``turns`` (oldest first).
    A tool call is replayed only with its result (the item after it), since
    a lone half of the pair confuses the model; ids are ``prefix`` + n."""
    events: list[protocol.ClientEvent] = []
    n = 0

    def next_id() -> str:
        nonlocal n
        n += 1
        return f"{prefix}{n}"[: protocol.MAX_ITEM_ID]

    i = 0
    while i < len(turns):
        turn = turns[i]
        role, content = turn.role, turn.content
        if role == "user":
            events.append(protocol.user_text(next_id(), content))
        elif role == "assistant":
            events.append(protocol.assistant_text(next_id(), content))
        elif role == "tool_call" and i + 1 < len(turns) and turns[i + 1].role == Role.TOOL_RESULT:
            parsed = parse_tool_call(content)
            if parsed is not None:
                call_id = f"{prefix}c{turn.turn_id}"[: protocol.MAX_ITEM_ID]
                events.append(protocol.function_call(next_id(), call_id, parsed[0], parsed[1]))
                events.append(protocol.function_call_output(next_id(), call_id, turns[i + 1].content))
            i += 1
        i += 1
    return events


def _relative(then: str, now: datetime) -> str:
    at = datetime.fromisoformat(then.replace("Z", "+00:00"))
    minutes = int((now - at).total_seconds() // 60)
    if minutes < 1:
        return "just now"
    if minutes < 120:
        return f"{minutes} minute{'s' if minutes != 1 else ''} ago"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} hours ago"
    return f"{hours // 24} days ago"


def summary_prompt(previous: str | None, turns: list[Turn], now: datetime) -> list[dict[str, str]]:
    lines = [f"({_relative(t.timestamp, now)}) {ROLE_LABEL.get(t.role, t.role)}: {t.content}" for t in turns]
    system = (
        "You maintain the rolling summary of a user's conversation with a voice assistant that places "
        "phone calls for them. Write a compact summary (at most 12 short lines) of what matters for "
        "continuing the conversation: requests, calls scheduled and their outcomes, open questions, "
        "preferences. Say when things happened relative to now. Plain text, no preamble."
    )
    user = (
        f"Current time: {now.strftime('%Y-%m-%d %H:%M')} UTC.\n\n"
        f"Previous summary:\n{previous or '(none)'}\n\n"
        "Conversation since then (oldest first):\n" + "\n".join(lines)
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


class Summariser:
    """Chat Completions against ``openai.api_base`` with the summary model."""

    def __init__(self, api_base: str, api_key: str, model: str, timeout_s: float, clock: Clock) -> None:
        self.model = model
        self.clock = clock
        import openai  # slow to import; the worker thread pays it, not start-up

        self._client = openai.OpenAI(api_key=api_key or "missing", base_url=api_base, timeout=timeout_s, max_retries=0)
        self._policy = RetryPolicy(attempts=3, base_s=0.5, cap_s=4.0)

    def summarise(self, previous: str | None, turns: list[Turn], stop: Any = None) -> str:
        messages = summary_prompt(previous, turns, self.clock.now())

        import openai

        def once() -> str:
            try:
                reply = self._client.chat.completions.create(model=self.model, messages=messages)  # type: ignore[arg-type]
            except (openai.APIConnectionError, openai.RateLimitError, openai.InternalServerError) as e:
                raise Transient(str(e)) from e
            text = (reply.choices[0].message.content or "").strip() if reply.choices else ""
            if not text:
                raise ValueError("the summary model returned nothing")
            return text

        return self._policy.call(once, clock=self.clock, stop=stop)

    def close(self) -> None:
        self._client.close()

