"""Bottom-left: the assistant's state, always shown (connected, connecting,
reconnecting and when, half-open suspected, a failure to fix), with
"sending…" while a typed message waits for the assistant and "thinking…"
while its answer is pending; then the audio state (voice, muted, text only
and why)."""
from __future__ import annotations

import time

from rich.text import Text
from textual.widgets import Static

from core.events import AudioState, ConnectionStatus, VoiceState
from core.state import CONNECTING, RECONNECTING
from core.text import visible

DOTS = ("   ", ".  ", ".. ", "...")
# what a reconnect's detail says when the socket stopped answering pings
HALF_OPEN_HINTS = ("ping", "pong", "half-open", "half open", "no answer")
HALF_OPEN = "Half-open connection suspected. Attempting to reconnect"
# the same, where the whole would be cut: the wait for the next try matters more than the words
SHORT = {CONNECTING: "Connecting", RECONNECTING: "Reconnecting", HALF_OPEN: "Reconnecting"}


def connection_line(connection: ConnectionStatus, voice: VoiceState, last_drop: str = "") -> tuple[str, str]:
    """(text, css class) for the state line; ``last_drop`` is why the
    connection last ended, kept until it is back."""
    state = voice.state
    detail = visible(voice.detail or "", one_line=True)
    if state == "auth_failed":
        return "Authentication failed — check OPENAI_API_KEY" + (f" ({detail})" if detail else ""), "error"
    if state == "config_error":
        return f"Assistant configuration error: {detail or 'see the log'}", "error"
    if state == "stopped":
        return "The assistant is stopped.", "warning"
    if connection.status == "connected":
        return "● assistant connected", "connected"
    if state == "connecting" and not voice.attempt:
        return CONNECTING, "connecting"
    if any(hint in (detail or last_drop).lower() for hint in HALF_OPEN_HINTS):
        return HALF_OPEN, "reconnecting"
    return RECONNECTING, "reconnecting"


def audio_line(audio: AudioState) -> str:
    if audio.mode == "voice":
        return "mic muted" if audio.muted else "voice on"
    reason = visible(audio.reason or "", one_line=True)
    return "text only" + (f": {reason}" if reason else "")


class ConnectionBanner(Static):
    """Animated (dots, a countdown to the next try) while reconnecting,
    unless animations are off."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self._line: tuple[str, str] | None = None
        self._retry_at: float | None = None
        self._retry_in: float | None = None
        self._last_drop = ""
        self._frame = 0
        self.sending = False
        self.thinking = False

    def on_mount(self) -> None:
        if self.app.animation_level != "none":
            self.set_interval(0.5, self._tick)

    def show_state(self, connection: ConnectionStatus, voice: VoiceState) -> None:
        if voice.state == "reconnecting":
            self._last_drop = visible(voice.detail or "", one_line=True)
        elif connection.status == "connected":
            self._last_drop = ""
        line = connection_line(connection, voice, self._last_drop)
        retry_in = voice.retry_in_s if line[1] == "reconnecting" else None
        self._retry_in = float(retry_in) if retry_in else None
        self._retry_at = time.monotonic() + self._retry_in if self._retry_in else None
        if line != self._line:
            self._line = line
            for cls in ("error", "warning", "connecting", "reconnecting", "connected"):
                self.set_class(line[1] == cls, cls)
            if line[1] != "connected":
                self.thinking = False  # no answer comes on a lost connection
        self._render_line()

    def show_activity(self, *, sending: bool | None = None, thinking: bool | None = None) -> None:
        before = (self.sending, self.thinking)
        if sending is not None:
            self.sending = sending
        if thinking is not None:
            self.thinking = thinking
        if (self.sending, self.thinking) != before:  # a streamed answer calls this per piece
            self._render_line()

    def _tick(self) -> None:
        if self._line is not None and self._line[1] in ("connecting", "reconnecting") or self.thinking:
            self._frame = (self._frame + 1) % len(DOTS)
            self._render_line()

    def on_resize(self) -> None:
        self._render_line()  # the short words, or the whole, may fit now

    def _room(self) -> int:
        """The cells the line may take (max-width, less the padding); 0 when not laid out yet."""
        max_width = self.styles.max_width
        if max_width is None or self.parent is None or not self.parent.size.width:
            return 0
        return int(max_width.resolve(self.parent.size, self.app.size)) - self.styles.padding.width

    def _render_line(self) -> None:
        if self._line is None:
            self.update("")
            return
        text, kind = self._line
        line = self._line_of(text, kind)
        room = self._room()
        if text in SHORT and room and line.cell_len > room:
            line = self._line_of(SHORT[text], kind)
        self.update(line)
        # the whole of it, with why the connection last ended, when the line is cut
        self.tooltip = Text(f"{text} ({self._last_drop})" if self._last_drop else text)

    def _line_of(self, text: str, kind: str) -> Text:
        animated = self.app.animation_level != "none"
        line = Text(text)
        if kind in ("connecting", "reconnecting"):
            line.append(DOTS[self._frame] if animated else "...")
            if self._retry_at is not None and self._retry_in is not None:
                # a still picture (no animations) shows the wait as it was announced
                left = round(self._retry_at - time.monotonic()) if animated else round(self._retry_in)
                line.append(f" next try in {left} s" if left > 0 else " trying now")
        if self.sending:
            line.append("  sending…", style="bold")
        elif self.thinking:
            line.append("  thinking…", style="italic")
        return line


class AudioIndicator(Static):
    def show_audio(self, audio: AudioState) -> None:
        self.set_class(audio.mode != "voice", "text-only")
        self.set_class(audio.muted, "muted")
        line = Text(audio_line(audio))
        self.update(line)
        self.tooltip = line  # the whole reason, when the line is cut
