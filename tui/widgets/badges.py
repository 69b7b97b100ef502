"""Bottom-right: "Update on call to <name> available" badges. Which ones
show is StateView.updates()'s rule; this only draws them."""
from __future__ import annotations

from typing import Any

from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Static

from tui.format import clip, safe


class Badge(Static, can_focus=True):
    def __init__(self, update: dict[str, Any]) -> None:
        self.job_id: int = update["job_id"]
        super().__init__(safe(f"Update on call to {update['contact_name']} available", one_line=True),
                         classes="badge")
        self.tooltip = safe(clip(update.get("status_summary"), 200))


class UpdateBadges(Horizontal):
    class Changed(Message):
        """The badges shown changed (job ids, in order)."""

        def __init__(self, job_ids: list[int]) -> None:
            super().__init__()
            self.job_ids = job_ids

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown: list[tuple[int, str]] = []

    def show_updates(self, updates: list[dict[str, Any]]) -> None:
        wanted = [(u["job_id"], u["contact_name"]) for u in updates]
        if wanted == self._shown:
            return
        self._shown = wanted
        # change only what changed: removal is deferred, so no remove-all-and-remount
        keep = {job_id for job_id, _ in wanted}
        present = set()
        for badge in self.query(Badge):
            if badge.job_id in keep and badge.job_id not in present:
                present.add(badge.job_id)
            else:
                badge.remove()
        self.mount_all([Badge(u) for u in updates if u["job_id"] not in present])
        self.display = bool(updates)
        self.post_message(self.Changed(self.job_ids))

    @property
    def job_ids(self) -> list[int]:
        return [job_id for job_id, _ in self._shown]

    def badge_for(self, job_id: int) -> Badge | None:
        return next((b for b in self.query(Badge) if b.job_id == job_id), None)

    def focused_job_id(self) -> int | None:
        focused = self.app.focused
        return focused.job_id if isinstance(focused, Badge) else None
