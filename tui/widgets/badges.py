"""Bottom-right: "Update on call to <name> available" badges. Which ones
show is StateView.updates()'s rule; this only draws them."""
from __future__ import annotations

from typing import Any

from textual.containers import Horizontal
from textual.widgets import Static

from tui.format import clip


class Badge(Static, can_focus=True):
    def __init__(self, update: dict[str, Any]) -> None:
        self.job_id: int = update["job_id"]
        super().__init__(
            f"Update on call to {update['contact_name']} available",
            id=f"badge-{self.job_id}" if self.job_id >= 0 else f"badge-x{-self.job_id}",
            classes="badge",
        )
        self.tooltip = clip(update.get("status_summary"), 200)


class UpdateBadges(Horizontal):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown: list[tuple[int, str]] = []

    def show_updates(self, updates: list[dict[str, Any]]) -> None:
        wanted = [(u["job_id"], u["contact_name"]) for u in updates]
        if wanted == self._shown:
            return
        self._shown = wanted
        self.remove_children()
        self.mount_all([Badge(u) for u in updates])
        self.display = bool(updates)

    @property
    def job_ids(self) -> list[int]:
        return [job_id for job_id, _ in self._shown]

    def focused_job_id(self) -> int | None:
        focused = self.app.focused
        return focused.job_id if isinstance(focused, Badge) else None
