"""The live conversation: a bounded window of turns, the assistant's reply
streaming under it, and scrollback loaded from the conversation database."""
from __future__ import annotations

from typing import NotRequired, TypedDict

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import RichLog, Static

from core.text import visible
from tui.tool_lines import describe
from voice.priming import parse_tool_call


class Line(TypedDict):
    """One line of the transcript as drawn: a turn, or a tool call with its result."""
    role: str  # user | assistant | tool | system
    text: str
    turn_id: NotRequired[int | None]

TRIM_SLACK = 50
LIVE_TAIL_CHARS = 160

ROLE_STYLE = {
    "user": ("You", "bold cyan"),
    "assistant": ("Assistant", "bold green"),
    "tool": ("tool", "dim magenta"),
    "tool_call": ("tool", "dim magenta"),
    "tool_result": ("tool", "dim magenta"),
    "system": ("system", "dim"),
}


def render_turn(turn: Line) -> Text:
    role = turn.get("role", "")
    label, style = ROLE_STYLE.get(role, (role, ""))
    text = visible(turn.get("text") or "")
    line = Text()
    line.append(f"{label}: ", style=style)
    line.append(text, style="dim" if role.startswith("tool") or role == "system" else "")
    return line


def tool_call_turn(name: str, arguments: str, result: str, turn_id: int | None = None) -> Line:
    return {"role": "tool", "text": describe(name, arguments, result), "turn_id": turn_id}


def with_tool_lines(turns: list[Line]) -> list[Line]:
    """History as the live view draws it: each tool_call and the tool_result
    after it become one readable tool line."""
    out: list[Line] = []
    i = 0
    while i < len(turns):
        turn = turns[i]
        parsed = parse_tool_call(turn.get("text") or "") if turn.get("role") == "tool_call" else None
        if parsed is not None:
            following = turns[i + 1] if i + 1 < len(turns) else None
            result = following.get("text") or "" if following and following.get("role") == "tool_result" else ""
            out.append(tool_call_turn(parsed[0], parsed[1], result, turn.get("turn_id")))
            i += 2 if following and following.get("role") == "tool_result" else 1
            continue
        if turn.get("role") != "tool_result":  # a result without its call says nothing alone
            out.append(turn)
        i += 1
    return out


class Transcript(Vertical):
    """Holds at most ``window`` turns; older ones come back on request."""

    def __init__(self, window: int = 500, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = "Conversation"
        self.window = window
        self.turns: list[Line] = []
        self._live_item: str | None = None
        self._live_text = ""
        self._drawn_width = 0

    def compose(self) -> ComposeResult:
        yield RichLog(wrap=True, markup=False, min_width=20, id="transcript-log")
        yield Static("", id="transcript-live")

    def on_mount(self) -> None:
        self.query_one("#transcript-live", Static).display = False

    @property
    def log_widget(self) -> RichLog:
        return self.query_one("#transcript-log", RichLog)

    def load_turns(self, turns: list[Line]) -> None:
        self.turns = with_tool_lines(list(turns))[-self.window:]
        self._redraw()

    def add_turn(self, turn: Line) -> None:
        if turn.get("role") == "assistant":
            self._set_live(None, "")
        self.turns.append(turn)
        if len(self.turns) > self.window + TRIM_SLACK:
            # trim in chunks so a long conversation redraws once per TRIM_SLACK turns
            del self.turns[: len(self.turns) - self.window]
            self._redraw()
        else:
            self.log_widget.write(render_turn(turn))

    def add_delta(self, item_id: str, delta: str) -> None:
        text = self._live_text + delta if item_id == self._live_item else delta
        self._set_live(item_id, text)

    def add_tool_call(self, name: str, arguments: str, result: str) -> None:
        self.add_turn(tool_call_turn(name, arguments, result))

    def first_turn_id(self) -> int | None:
        """The oldest stored turn shown: where scrollback continues from."""
        return next((t.get("turn_id") for t in self.turns if t.get("turn_id")), None)

    def prepend(self, rows: list[Line]) -> None:
        """Older turns (ConversationStore rows, oldest first) above the rest."""
        older = with_tool_lines([{"role": t.role, "text": t.content, "turn_id": t.turn_id} for t in rows])
        if older:
            self.turns[:0] = older
            self._redraw(scroll_end=False)

    def on_resize(self, event: events.Resize) -> None:
        # RichLog wraps a line when it is written: re-write so lines fit the new width
        if event.size.width != self._drawn_width and self.turns:
            self._redraw(scroll_end=True)

    def _set_live(self, item_id: str | None, text: str) -> None:
        self._live_item, self._live_text = item_id, text
        live = self.query_one("#transcript-live", Static)
        if live.display != bool(text):
            live.display = bool(text)  # a layout only when streaming starts or ends
        # fixed height: show the tail, and repaint without a layout pass per delta
        tail = text[-LIVE_TAIL_CHARS:]
        live.update(render_turn({"role": "assistant", "text": ("…" if tail != text else "") + tail}) if text else "",
                    layout=False)

    def _redraw(self, scroll_end: bool = True) -> None:
        log = self.log_widget
        self._drawn_width = self.size.width
        log.clear()
        for turn in self.turns:
            log.write(render_turn(turn), scroll_end=scroll_end)
        if not scroll_end:
            log.scroll_home(animate=False)
