"""A scrolling table drawn line by line, with a header line and a row
cursor moved by keys: what the main job table and a campaign's paged job
table share (their columns, header and row lines too). A subclass says how
many rows there are (``row_count``) and draws them."""
from __future__ import annotations

from typing import Sequence

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Region
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.format import STATUS_STYLE, clip

Column = tuple[str, str, int]  # key, header, width
HEADER = 1  # the header line above the rows
# rows' lines kept drawn: a few screenfuls, so moving the cursor redraws two
# lines, while the lines (each with its caches) of rows scrolled far past go
LINES_KEPT = 500


def fit(strip: Strip, start: int, width: int, style: Style) -> Strip:
    """``strip`` from cell ``start``, cut or padded (in ``style``) to ``width``
    cells. Not Strip.crop_extend: its cache keeps a strip that already fits
    in a reference cycle with itself, which only a full collection frees."""
    if start == 0 and strip.cell_length == width:
        return strip
    return strip.extend_cell_length(start + width, style).crop(start, start + width)


def column_widths(columns: Sequence[Column], room: int, *, stretch: int, droppable: Sequence[int],
                  keep: int, least: int) -> list[int]:
    """Each column's width in ``room`` cells (a space before each column and
    one at the end): column ``stretch`` takes what the others leave; while
    that would be under ``keep`` cells, the ``droppable`` columns go (width
    0), in their order; it is never under ``least``."""
    for dropped in range(len(droppable) + 1):
        widths = [width for _, _, width in columns]
        for index in droppable[:dropped]:
            widths[index] = 0
        left = room - sum(w + 1 for i, w in enumerate(widths) if w and i != stretch) - 2
        if left >= keep:
            break
    widths[stretch] = max(least, left)
    return widths


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
    COLUMNS: tuple[Column, ...] = ()
    HEADER_CLASS = ""  # the component classes a subclass styles its header and cursor lines with
    CURSOR_CLASS = ""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        # what every line of one render pass shares, read once a pass (see render_lines)
        self.line_style = Style()
        self.cursor_style = Style()
        self.line_width = 0
        self.top = 0  # the first row shown
        self.left = 0  # the first column shown
        self.drawn: LRUCache[int, Strip] = LRUCache(LINES_KEPT)  # job id -> its line without the cursor
        self.widths = [width for _, _, width in self.COLUMNS]
        self._header: Strip | None = None

    def render_lines(self, crop: Region) -> list[Strip]:
        # Textual works a widget's style out by walking all its ancestors (~50 µs),
        # and its size and scroll from its region: the same for every line of a pass
        self.line_style = self.rich_style
        self.cursor_style = self.line_style + self.get_component_rich_style(self.CURSOR_CLASS)
        self.line_width = self.size.width
        self.left, self.top = self.scroll_offset
        return super().render_lines(crop)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self.drawn.clear()
        self._header = None

    def set_widths(self, widths: list[int]) -> bool:
        """New column widths (every line drawn goes); False when they are the same."""
        if widths == self.widths:
            return False
        self.widths = widths
        self.drawn.clear()
        self._header = None
        return True

    def header_line(self) -> Strip:
        if self._header is None:  # made again when the widths or the styles change
            style = self.get_component_rich_style(self.HEADER_CLASS)
            text = "".join(f" {clip(label, w, pad=True)}" for (_, label, _), w in zip(self.COLUMNS, self.widths) if w)
            self._header = Strip([Segment(text + " ", style)])
        return self._header

    def cells_line(self, cells: Sequence[str], base: Style, width: int, *, status_colour: bool = True) -> Strip:
        """A row's cells in the columns shown, each after a space, cut or
        padded to ``width`` cells; the status in its colour if ``status_colour``."""
        segments, used = [], 0
        for (key, _, _), w, value in zip(self.COLUMNS, self.widths, cells):
            if not w:
                continue
            style = base
            if status_colour and key == "status" and value in STATUS_STYLE:
                style = base + Style.parse(STATUS_STYLE[value])
            segments.append(Segment(f" {clip(value, w, pad=True)}", style))
            used += w + 1
        if used < width:
            segments.append(Segment(" " * (width - used), base))
            return Strip(segments, width)
        return Strip(segments, used).crop(0, width)

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
