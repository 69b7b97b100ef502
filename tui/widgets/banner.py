"""Bottom-left: the assistant connection (hidden while connected) and the
audio state (voice, muted, text only and why)."""
from __future__ import annotations

from typing import Any

from textual.widgets import Static

from tui.format import safe

RECONNECTING = "Agent connectivity issues. Attempting to reconnect"
DOTS = ("   ", ".  ", ".. ", "...")


def connection_line(connection: dict[str, Any], voice: dict[str, Any]) -> tuple[str, str] | None:
    """(text, css class) for the banner, or None when there is nothing to say."""
    state = voice.get("state", "")
    detail = voice.get("detail") or ""
    if state == "auth_failed":
        return "Authentication failed — check OPENAI_API_KEY" + (f" ({detail})" if detail else ""), "error"
    if state == "config_error":
        return f"Assistant configuration error: {detail or 'see the log'}", "error"
    if state == "stopped":
        return "The assistant is stopped.", "warning"
    if connection.get("status") == "connected":
        return None
    if state == "connecting":
        return "Connecting to the assistant", "connecting"
    return RECONNECTING, "reconnecting"


def audio_line(audio: dict[str, Any]) -> str:
    if audio.get("mode") == "voice":
        return "mic muted" if audio.get("muted") else "voice on"
    reason = audio.get("reason") or ""
    return "text only" + (f": {reason}" if reason else "")


class ConnectionBanner(Static):
    """Animated (dots) while reconnecting, unless animations are off."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self._line: tuple[str, str] | None = None
        self._frame = 0

    def on_mount(self) -> None:
        if self.app.animation_level != "none":
            self.set_interval(0.5, self._tick)

    def show_state(self, connection: dict[str, Any], voice: dict[str, Any]) -> None:
        line = connection_line(connection, voice)
        if line == self._line:
            return
        self._line = line
        for cls in ("error", "warning", "connecting", "reconnecting"):
            self.set_class(line is not None and line[1] == cls, cls)
        self.display = line is not None
        self._render_line()

    def _tick(self) -> None:
        if self._line is not None and self._line[1] in ("connecting", "reconnecting"):
            self._frame = (self._frame + 1) % len(DOTS)
            self._render_line()

    def _render_line(self) -> None:
        if self._line is None:
            self.update("")
            return
        text, kind = self._line
        if kind in ("connecting", "reconnecting"):
            text += DOTS[self._frame] if self.app.animation_level != "none" else "..."
        self.update(safe(text, one_line=True))


class AudioIndicator(Static):
    def show_audio(self, audio: dict[str, Any]) -> None:
        self.set_class(audio.get("mode") != "voice", "text-only")
        self.set_class(bool(audio.get("muted")), "muted")
        self.update(safe(audio_line(audio), one_line=True))
