"""A simulated Ultravox call (the record ``/api/calls/{id}`` shows, its
messages and call stages) and the account's call history file, which keeps
the calls across restarts as an account does."""
from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from core.clock import Clock

STAGE_SPLIT_AFTER = 20  # messages: a call this long moves to a new call stage
log = logging.getLogger(__name__)


@dataclass
class UltravoxCall:
    call_id: str
    api_key: str
    agent_id: str
    join_url: str
    created: str
    template_context: dict
    metadata: dict
    medium: dict
    clock: Clock
    on_end: list = field(default_factory=list)
    on_join: list = field(default_factory=list)
    joined: str | None = None
    ended: str | None = None
    end_reason: str | None = None
    short_summary: str | None = None
    summary: str | None = None
    messages: list[dict] = field(default_factory=list)
    first_speaker: str = "agent"
    join_timeout_s: float = 30.0
    recording_enabled: bool = False
    stage_ids: list[str] = field(default_factory=list)

    @property
    def running(self) -> bool:
        return self.ended is None

    def mark_joined(self) -> None:
        if self.joined is None and self.running:
            self.joined = self.clock.now_iso()
            for callback in self.on_join:
                callback(self)

    def add_message(self, role: str, text: str) -> None:
        if not self.running:
            return
        if not self.stage_ids or len(self.messages) == STAGE_SPLIT_AFTER:
            self.stage_ids.append(str(uuid.uuid4()))
        stage = self.stage_ids[-1]
        index = sum(1 for m in self.messages if m["callStageId"] == stage)
        self.messages.append({"role": role, "text": text, "medium": "MESSAGE_MEDIUM_VOICE",
                              "callStageMessageIndex": index, "callStageId": stage})

    def stage_messages(self, mode: str) -> list[dict]:
        if mode == "in_call" or not self.stage_ids:
            return list(self.messages)
        return [m for m in self.messages if m["callStageId"] == self.stage_ids[-1]]

    def end(self, reason: str, summary: str = "") -> None:
        if not self.running:
            return
        self.ended = self.clock.now_iso()
        self.end_reason = reason
        if reason == "unjoined":
            self.short_summary = self.summary = None
        else:
            said = " ".join(m["text"] for m in self.messages[:2])
            self.short_summary = summary or (said[:120] if said else "The call ended before anything was said.")
            self.summary = f"{self.short_summary} The call ended ({reason}) after {len(self.messages)} messages."
        for callback in self.on_end:
            callback(self)

    def as_json(self) -> dict:
        return {
            "callId": self.call_id, "clientVersion": None, "created": self.created,
            "joined": self.joined, "ended": self.ended, "endReason": self.end_reason,
            "firstSpeaker": f"FIRST_SPEAKER_{self.first_speaker.upper()}",
            "firstSpeakerSettings": {self.first_speaker: {}},
            "joinUrl": None if self.ended else self.join_url,
            "shortSummary": self.short_summary, "summary": self.summary,
            "agent": {"agentId": self.agent_id, "name": "switchboard-sim-agent"},
            "agentId": self.agent_id, "metadata": dict(self.metadata),
            "templateContext": dict(self.template_context), "medium": self.medium,
            "joinTimeout": f"{self.join_timeout_s:g}s", "maxDuration": "3600s", "recordingEnabled": self.recording_enabled,
            "billedDuration": None, "billingStatus": "BILLING_STATUS_PENDING",
        }


def load_history(path: Path, api_key: str, clock: Clock) -> dict[str, UltravoxCall]:
    """The calls saved in ``path`` (none when it is missing or unreadable)."""
    if not path.exists():
        return {}
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        log.exception("simulated Ultravox history %s unreadable; starting empty", path)
        return {}
    calls = {}
    for row in rows:
        call = UltravoxCall(call_id=row["callId"], api_key=api_key, agent_id=row["agentId"],
                            join_url=row.get("joinUrl") or "", created=row["created"],
                            template_context=row.get("templateContext") or {},
                            metadata=row.get("metadata") or {}, medium=row.get("medium") or {},
                            clock=clock, joined=row.get("joined"), ended=row.get("ended"),
                            end_reason=row.get("endReason"), short_summary=row.get("shortSummary"),
                            summary=row.get("summary"), messages=row.get("messages") or [])
        calls[call.call_id] = call
    return calls


def save_history(path: Path, calls: list[UltravoxCall]) -> None:
    """Write every call to ``path``; a running call is saved as ended ``system_error``."""
    rows = []
    for call in calls:
        if call.running:
            call.end("system_error")
        rows.append({**call.as_json(), "joinUrl": None, "messages": call.messages})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rows), encoding="utf-8")
