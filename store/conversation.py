"""The conversation log: every turn of the assistant's conversation, and the
rolling summary that primes a new Realtime session."""
from __future__ import annotations

import threading
from typing import Any

import sqlalchemy as sa

from core.clock import Clock, SystemClock
from core.records import Role, Summary, Turn
from store.db import migrate, open_db, transaction
from store.errors import FAILURES
from store.rows import Params
from store.schema import CONVERSATION_MIGRATIONS

ROLES = frozenset(Role)


class ConversationStore:
    def __init__(self, url: str, clock: Clock | None = None) -> None:
        self.url = url
        self.clock = clock or SystemClock()
        self.db = open_db(url)
        # turns a failed write could not save (a full disk): written, in order,
        # before the next turn, so what was said is kept once space returns
        self.unsaved: list[Params] = []
        self._unsaved_lock = threading.Lock()

    def init_db(self) -> None:
        migrate(self.db, "conversation", CONVERSATION_MIGRATIONS)

    def close(self) -> None:
        self.db.close()

    def add_turn(
        self,
        session_id: str,
        role: str,
        content: str,
        *,
        timestamp: str | None = None,
        item_id: str | None = None,
    ) -> int:
        """Log one turn; ``timestamp`` is when the item joined the
        conversation (not when its text arrived), which gives the order."""
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}")
        row = {"s": session_id, "t": timestamp or self.clock.now_iso(), "r": role, "c": content, "i": item_id}
        with self._unsaved_lock:
            try:
                while self.unsaved:
                    self._insert(self.unsaved[0])
                    self.unsaved.pop(0)
                return self._insert(row)
            except FAILURES:
                self.unsaved.append(row)
                raise

    def _insert(self, row: Params) -> int:
        with transaction(self.db) as conn:
            result = conn.execute(
                sa.text(
                    "INSERT INTO conversation_turns (session_id, timestamp, role, content, item_id)"
                    " VALUES (:s, :t, :r, :c, :i) RETURNING turn_id"
                ),
                row,
            )
            return int(result.scalar_one())

    def get_recent_turns(self, limit: int = 20) -> list[Turn]:
        """The last ``limit`` turns across sessions, oldest first."""
        with transaction(self.db) as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT * FROM conversation_turns ORDER BY timestamp DESC, turn_id DESC LIMIT :n"
                ),
                {"n": limit},
            ).mappings().all()
        return [Turn.from_row(r) for r in reversed(rows)]

    def get_turns_before(self, turn_id: int, limit: int = 100) -> list[Turn]:
        """Scrollback: the ``limit`` turns logged before ``turn_id``, oldest first."""
        with transaction(self.db) as conn:
            anchor = conn.execute(
                sa.text("SELECT timestamp FROM conversation_turns WHERE turn_id = :t"), {"t": turn_id}
            ).scalar()
            if anchor is None:
                return []
            rows = conn.execute(
                sa.text(
                    "SELECT * FROM conversation_turns WHERE (timestamp < :ts)"
                    " OR (timestamp = :ts AND turn_id < :t)"
                    " ORDER BY timestamp DESC, turn_id DESC LIMIT :n"
                ),
                {"ts": anchor, "t": turn_id, "n": limit},
            ).mappings().all()
        return [Turn.from_row(r) for r in reversed(rows)]

    def save_summary(self, summary: str, upto_turn_id: int) -> None:
        with transaction(self.db) as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO conversation_summaries (created_at, upto_turn_id, summary)"
                    " VALUES (:c, :u, :s)"
                ),
                {"c": self.clock.now_iso(), "u": upto_turn_id, "s": summary},
            )

    def latest_summary(self) -> Summary | None:
        with transaction(self.db) as conn:
            row = conn.execute(
                sa.text("SELECT * FROM conversation_summaries ORDER BY id DESC LIMIT 1")
            ).mappings().first()
        return Summary.from_row(row) if row else None
