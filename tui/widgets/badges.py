"""Bottom-right: one badge per call outcome the operator has not heard yet,
coloured by outcome, with a count in front. Which ones show is
StateView.updates()'s rule; this only draws them. The badges are a
focusable list: left/right move, Enter opens the job, d dismisses.

However many there are and however long their outcomes, they stay on one
line: the count stays put, each badge is at most as wide as the room (cut
with "…", the whole outcome in its tooltip) and the list scrolls sideways
to the focused one."""
from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.containers import Horizontal, HorizontalScroll
from textual.message import Message
from textual.widgets import Static

from core.state import CallUpdate
from tui.format import OUTCOME_WORD, clip


SUMMARY_CHARS = 26
MARK = {"success": "✓", "failure": "✗", "cancelled": "–", "outside": "•"}


def badge_line(update: CallUpdate) -> Text:
    """"✓ Akhil: will pay on Friday": who, and the outcome in one line."""
    line = Text(f"{MARK[update.outcome]} {clip(update.contact_name, 20)}", style="bold")
    summary = update.status_summary or OUTCOME_WORD.get(update.status or "", "")
    if summary:
        line.append(f": {clip(summary, SUMMARY_CHARS)}")
    return line


def badge_key(update: CallUpdate) -> tuple[Any, ...]:
    return (update.job_id, update.contact_name, update.status, update.status_summary, update.outcome)


class Badge(Static, can_focus=True):
    BINDINGS = [
        Binding("left", "step(-1)", "Previous", show=False),
        Binding("right", "step(1)", "Next", show=False),
        Binding("enter", "open", "Open job", show=False),
    ]

    class Opened(Message):
        """The operator asked to see the job behind a badge."""

        def __init__(self, job_id: int) -> None:
            super().__init__()
            self.job_id = job_id

    def __init__(self, update: CallUpdate) -> None:
        self.job_id: int = update.job_id
        self.key = badge_key(update)
        super().__init__(badge_line(update), classes=f"badge {update.outcome}")
        self.tooltip = Text(clip(update.status_summary, 300))

    def action_step(self, step: int) -> None:
        badges = list(self.parent.query(Badge)) if self.parent else [self]
        badges[(badges.index(self) + step) % len(badges)].focus()

    def action_open(self) -> None:
        if self.job_id > 0:
            self.post_message(self.Opened(self.job_id))

    def on_click(self) -> None:
        self.focus()


class UpdateBadges(Horizontal):
    class Changed(Message):
        """The badges shown changed (job ids, in order)."""

        def __init__(self, job_ids: list[int]) -> None:
            super().__init__()
            self.job_ids = job_ids

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown: list[tuple[Any, ...]] = []

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static("", id="badge-count")
        yield HorizontalScroll(id="badge-list", can_focus=False)

    def show_updates(self, updates: list[CallUpdate]) -> None:
        wanted = [badge_key(u) for u in updates]
        if wanted == self._shown:
            return
        self._shown = wanted
        # change only what changed: removal is deferred, so no remove-all-and-remount
        keep = set(wanted)
        present = set()
        for badge in self.query(Badge):
            if badge.key in keep and badge.key not in present:
                present.add(badge.key)
            else:
                badge.remove()
        self.query_one("#badge-list").mount_all([Badge(u) for u in updates if badge_key(u) not in present])
        count = len(updates)
        self.query_one("#badge-count", Static).update(
            Text(f"{count} update{'s' if count != 1 else ''}:", style="bold"))
        self.display = bool(updates)
        self.post_message(self.Changed(self.job_ids))

    @property
    def job_ids(self) -> list[int]:
        return [job_id for job_id, *_ in self._shown]

    def badge_for(self, job_id: int) -> Badge | None:
        return next((b for b in self.query(Badge) if b.job_id == job_id), None)

    def focused_job_id(self) -> int | None:
        focused = self.app.focused
        return focused.job_id if isinstance(focused, Badge) else None

    def focus_first(self) -> bool:
        badges = list(self.query(Badge))
        if badges:
            badges[0].focus()
        return bool(badges)
