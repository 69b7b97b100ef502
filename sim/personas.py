"""Simulated people, keyed by phone number (``sim/personas.toml``), and the
scripts they act out on a simulated call.

A script is what the Twilio leg does (ring, then busy / no-answer / answer
as a human or a machine) and, once answered, the turns spoken on the
Ultravox call. The agent's lines use the call's ``templateContext``: any key
containing ``objective`` (or ``task``) is the objective, any key containing
``name`` is the contact's name (``contact_name``, ``contactName``, …)."""
from __future__ import annotations

import threading
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

BEHAVIOURS = ("success", "callback", "no_answer", "busy", "voicemail", "refuse",
              "invalid_number", "hangup", "long_call", "late_answer")
NEVER = float("inf")

AGENT = "MESSAGE_ROLE_AGENT"
USER = "MESSAGE_ROLE_USER"


@dataclass(frozen=True)
class Persona:
    phone: str
    name: str = "there"
    behaviour: str = "success"
    callback_minutes: int = 10


@dataclass
class Script:
    """What one dialled call does. Times are simulated seconds (divide by speed)."""
    behaviour: str
    ring_s: float = 1.0
    outcome: str = "answered"          # answered | busy | no-answer | failed
    answered_by: str = "human"         # human | machine_start
    turns: list[tuple[str, str]] = field(default_factory=list)
    turn_s: float = 1.0
    end_reason: str = "agent_hangup"   # hangup when the callee ends the call
    summary: str = ""


class Personas:
    def __init__(self, personas: list[Persona] | None = None) -> None:
        self._by_phone = {p.phone: p for p in personas or []}
        self._answered: dict[str, int] = {}
        self._lock = threading.Lock()

    @classmethod
    def load(cls, path: str | Path) -> "Personas":
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        people = []
        for i, row in enumerate(data.get("persona", [])):
            behaviour = row.get("behaviour", "success")
            if behaviour not in BEHAVIOURS:
                raise ValueError(f"{path}: persona[{i}].behaviour {behaviour!r} is not one of {BEHAVIOURS}")
            people.append(Persona(phone=row["phone"], name=row.get("name", "there"), behaviour=behaviour,
                                  callback_minutes=int(row.get("callback_minutes", 10))))
        return cls(people)

    def __iter__(self):
        return iter(list(self._by_phone.values()))

    def __len__(self) -> int:
        return len(self._by_phone)

    def get(self, phone: str) -> Persona:
        return self._by_phone.get(phone) or Persona(phone=phone)

    def add(self, persona: Persona) -> None:
        with self._lock:
            self._by_phone[persona.phone] = persona

    def script_for(self, phone: str) -> Script:
        """The Twilio side of the next call to ``phone`` (turns come at join)."""
        p = self.get(phone)
        b = p.behaviour
        if b == "busy":
            return Script(b, ring_s=0.5, outcome="busy")
        if b == "no_answer":  # rings until the caller's timeout
            return Script(b, ring_s=NEVER, outcome="no-answer")
        if b == "late_answer":  # picks up after 40 s of ringing, if still ringing
            return Script(b, ring_s=40.0)
        if b == "voicemail":
            return Script(b, ring_s=2.0, answered_by="machine_start")
        return Script(b)

    def converse(self, phone: str, script: Script, context: Mapping[str, object],
                 first_speaker: str = "agent") -> Script:
        """Fill ``script`` with the turns of an answered call (counts the answer).
        A person answers with "Hello?": when the agent speaks first it talks over that."""
        p = self.get(phone)
        with self._lock:
            nth = self._answered.get(phone, 0)
            self._answered[phone] = nth + 1
        name = _pick_name(context, p.name)
        objective = _pick(context, ("objective", "task", "purpose"), "a quick question")
        hello = f"Hi {name}, this is an assistant calling on someone's behalf about: {objective}."
        b = p.behaviour
        if b == "callback" and nth > 0:
            b = "success"
        if b == "callback":
            m = p.callback_minutes
            script.turns = [(AGENT, hello),
                            (USER, f"Sorry, I'm busy right now. Can you call me back in {m} minutes?"),
                            (AGENT, f"Of course. I'll call you back in {m} minutes. Goodbye!")]
            script.summary = f"{name} was busy and asked for a call back in {m} minutes."
        elif b == "voicemail":
            script.turn_s = 3.0  # a greeting takes a while: detection decides before its end
            script.turns = [(USER, f"Hi, you've reached {name}. I can't take your call; please leave a message after the tone."),
                            (AGENT, f"Hello {name}, I'm calling about: {objective}. I'll try again later.")]
            script.summary = "Reached voicemail; left a short message."
        elif b == "refuse":
            script.turns = [(AGENT, hello),
                            (USER, "I'm not interested. Please don't call again.")]
            script.end_reason = "hangup"
            script.summary = f"{name} refused and asked not to be called again."
        elif b == "hangup":
            script.turns = [(AGENT, hello)]
            script.turn_s = 0.3
            script.end_reason = "hangup"
            script.summary = f"{name} hung up straight away."
        else:
            script.turns = _success_turns(name, objective, hello)
            if b == "long_call":
                middle = []
                for i in range(1, 28):
                    middle += [(USER, f"Before we settle it, one more detail, point {i}: can you explain how that works?"),
                               (AGENT, f"Certainly. On point {i}: it is all part of {objective}.")]
                script.turns = script.turns[:2] + middle + script.turns[2:]
            script.summary = f"{name} agreed: {objective}."
        if script.turns and script.turns[0][0] == AGENT:
            if first_speaker == "user":
                script.turns.insert(0, (USER, "Hello?"))
            else:
                script.turns.insert(1, (USER, "Hello? ... Sorry, who is this? You were talking over me."))
        return script


def _success_turns(name: str, objective: str, hello: str) -> list[tuple[str, str]]:
    return [(AGENT, hello),
            (USER, f"Hello, {name} speaking. Sure, what do you need?"),
            (AGENT, f"I'd like to confirm: {objective}. Is that all right with you?"),
            (USER, "Yes, that works for me. I agree."),
            (AGENT, "Great, thank you for confirming. Have a good day!"),
            (USER, "You too, bye.")]


def _pick_name(context: Mapping[str, object], default: str) -> str:
    """The callee's name: ``contact_name``-like keys first, then a bare ``name``."""
    for key, value in context.items():
        k = key.lower()
        if "name" in k and any(w in k for w in ("contact", "callee", "recipient", "person")) and str(value).strip():
            return str(value).strip()
    value = context.get("name")
    return str(value).strip() if isinstance(value, str) and value.strip() else default


def _pick(context: Mapping[str, object], words: tuple[str, ...], default: str) -> str:
    for word in words:
        for key, value in context.items():
            if word in key.lower() and isinstance(value, (str, int, float)) and str(value).strip():
                return str(value).strip()
    return default
