"""The live conversation: a bounded window of turns, the assistant's reply
streaming under it, and scrollback loaded from the conversation database."""
from __future__ import annotations

from typing import Any, Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import RichLog, Static

from tui.format import clip, safe

TRIM_SLACK = 50
LIVE_TAIL_CHARS = 160

ROLE_STYLE = {
    "user": ("You", "bold cyan"),
    "assistant": ("Assistant", "bold green"),
    "tool_call": ("tool", "dim magenta"),
    "tool_result": ("tool", "dim magenta"),
    "system": ("system", "dim"),
}


def render_turn(turn: dict[str, Any]) -> Text:
    role = turn.get("role", "")
    label, style = ROLE_STYLE.get(role, (role, ""))
    text = turn.get("text") or ""
    if role in ("tool_call", "tool_result"):
        text = clip(text, 160)  # tool traffic stays compact
    line = Text()
    line.append_text(safe(f"{label}: ", style=style))
    line.append_text(safe(text, style="dim" if role.startswith("tool") or role == "system" else ""))
    return line


class Transcript(Vertical):
    """Holds at most ``window`` turns; older ones come back on request."""

    def __init__(self, window: int = 500, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = "Conversation"
        self.window = window
        self.turns: list[dict[str, Any]] = []
        self._live_item: str | None = None
        self._live_text = ""

    def compose(self) -> ComposeResult:
        yield RichLog(wrap=True, markup=False, min_width=20, id="transcript-log")
        yield Static("", id="transcript-live")

    def on_mount(self) -> None:
        self.query_one("#transcript-live", Static).display = False

    @property
    def log_widget(self) -> RichLog:
        return self.query_one("#transcript-log", RichLog)

    def seed(self, turns: list[dict[str, Any]]) -> None:
        self.turns = list(turns)[-self.window:]
        self._redraw()

    def add_turn(self, turn: dict[str, Any]) -> None:
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
        self.add_turn({"role": "tool_call", "text": f"{name}({clip(arguments, 80)}) → {clip(result, 80)}"})

    def load_earlier(self, fetch: Callable[[int, int], list[dict[str, Any]]], count: int = 100) -> int:
        """Prepend up to ``count`` older turns via ``fetch(turn_id, limit)``
        (ConversationStore.get_turns_before's rows); returns how many came back."""
        first = next((t.get("turn_id") for t in self.turns if t.get("turn_id")), None)
        if first is None:
            return 0
        older = [{"role": t["role"], "text": t["content"], "turn_id": t["turn_id"]} for t in fetch(first, count)]
        if older:
            self.turns[:0] = older
            self._redraw(scroll_end=False)
        return len(older)

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
        log.clear()
        for turn in self.turns:
            log.write(render_turn(turn), scroll_end=scroll_end)
        if not scroll_end:
            log.scroll_home(animate=False)
