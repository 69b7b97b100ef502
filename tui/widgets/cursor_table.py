"""A scrolling table drawn line by line, with a header line and a row
cursor moved by keys: what the main job table and a campaign's paged job
table share. A subclass says how many rows there are (``row_count``) and
draws them."""
from __future__ import annotations

from textual.binding import Binding
from textual.reactive import reactive
from textual.scroll_view import ScrollView

HEADER = 1  # the header line above the rows


class CursorTable(ScrollView, can_focus=True):
    BINDINGS = [
        Binding("up", "cursor(-1)", show=False),
        Binding("down", "cursor(1)", show=False),
        Binding("pageup", "page(-1)", show=False),
        Binding("pagedown", "page(1)", show=False),
        Binding("home", "cursor_to(0)", show=False),
        Binding("end", "cursor_to(-1)", show=False),
        Binding("enter", "select", show=False),
    ]

    cursor_row: reactive[int] = reactive(0, layout=False, repaint=False)

    @property
    def row_count(self) -> int:
        raise NotImplementedError

    def watch_cursor_row(self, old: int, new: int) -> None:
        # refresh_line takes a line of the whole table (it subtracts the scroll itself)
        self.refresh_line(old + HEADER)
        self.refresh_line(new + HEADER)
        shown = max(1, self.scrollable_content_region.height - HEADER)
        top = self.scroll_offset.y
        if new < top:
            self.scroll_to(y=new, animate=False)
        elif new >= top + shown:
            self.scroll_to(y=new - shown + 1, animate=False)

    def action_cursor(self, step: int) -> None:
        if self.row_count:
            self.cursor_row = max(0, min(self.row_count - 1, self.cursor_row + step))

    def action_page(self, direction: int) -> None:
        self.action_cursor(direction * max(1, self.scrollable_content_region.height - HEADER))

    def action_cursor_to(self, index: int) -> None:
        if self.row_count:
            self.cursor_row = index % self.row_count
