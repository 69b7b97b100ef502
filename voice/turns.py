"""The turn log of one Realtime session: every user transcript, assistant
text, tool call and tool result goes to ``conversation_turns`` with the time
its item JOINED the conversation, so a user transcript that completes after
the assistant's answer still sorts before it."""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from core.clock import Clock, iso
from core.events import Bus, Notice, TranscriptDelta, TranscriptTurn
from store import errors
from store.conversation import ConversationStore

log = logging.getLogger(__name__)


@dataclass
class _Pending:
    role: str
    joined_at: str
    text: str = ""


class ItemClock:
    """Strictly increasing item timestamps (ms resolution), shared across
    sessions, so two items never tie and order is never left to chance."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._last: datetime | None = None
        self._lock = threading.Lock()

    def stamp(self) -> str:
        with self._lock:
            now = self.clock.now().astimezone(timezone.utc)
            now = now.replace(microsecond=now.microsecond // 1000 * 1000)
            if self._last is not None and now <= self._last:
                now = self._last + timedelta(milliseconds=1)
            self._last = now
            return iso(now)


class TurnLog:
    def __init__(self, store: ConversationStore, bus: Bus, item_clock: ItemClock, session_id: str) -> None:
        self.store = store
        self.bus = bus
        self.item_clock = item_clock
        self.session_id = session_id
        self._pending: dict[str, _Pending] = {}
        self._logged: set[str] = set()

    def joined(self, item_id: str, role: str, at: str | None = None) -> str:
        """An item entered the conversation (``at``, else now); remember
        when, for its turn."""
        p = self._pending.get(item_id)
        if p is None:
            p = self._pending[item_id] = _Pending(role, at or self.item_clock.stamp())
        return p.joined_at

    def delta(self, item_id: str, text: str) -> None:
        p = self._pending.get(item_id) or self._pending.setdefault(item_id, _Pending("assistant", self.item_clock.stamp()))
        p.text += text
        self.bus.publish(TranscriptDelta(session_id=self.session_id, item_id=item_id, delta=text))

    def complete(self, item_id: str, role: str, text: str | None) -> int | None:
        """The item's text is final: log it at the time the item joined."""
        if item_id in self._logged:
            return None
        p = self._pending.pop(item_id, None)
        joined_at = p.joined_at if p else self.item_clock.stamp()
        content = (text if text is not None else (p.text if p else "")).strip()
        if not content:
            return None
        return self._write(item_id, role, content, joined_at)

    def add(self, item_id: str, role: str, content: str) -> int | None:
        """A turn whose text is known as it joins (tool calls and results)."""
        joined_at = self.joined(item_id, role)
        self._pending.pop(item_id, None)
        return self._write(item_id, role, content, joined_at)

    def flush(self) -> None:
        """The session ended: keep any assistant text that was cut off."""
        for item_id, p in list(self._pending.items()):
            if p.role == "assistant" and p.text.strip():
                self._write(item_id, p.role, p.text.strip(), p.joined_at)
        self._pending.clear()

    def _write(self, item_id: str, role: str, content: str, joined_at: str) -> int | None:
        self._logged.add(item_id)
        try:
            turn_id: int | None = self.store.add_turn(self.session_id, role, content, timestamp=joined_at,
                                                      item_id=item_id)
        except errors.FAILURES as e:  # kept by the store and saved before its next turn
            log.error("turn %s not saved yet: %s", item_id, e)
            turn_id = None
            self.bus.publish(Notice(level="error", text=f"A {role.replace('_', ' ')} turn was not saved to the "
                                                        f"conversation history: {errors.describe(e)}; it is kept and "
                                                        "saved with a later turn once the database can write."))
        self.bus.publish(
            TranscriptTurn(role=role, text=content, session_id=self.session_id, turn_id=turn_id, item_id=item_id)
        )
        return turn_id
