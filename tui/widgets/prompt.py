"""The input line to the assistant.

Enter takes the line and clears it in the same step, so keys typed before
the screen has handled the submission start a new line instead of joining
(or being wiped with) the one just sent. A paste of several lines is one
message, sent at once exactly as pasted (line breaks kept, with whatever was
already typed on the line before it); a one-line paste is inserted for
editing as usual."""
from __future__ import annotations

from textual import events
from textual.widgets import Input


class Prompt(Input):
    def on_key(self, event: events.Key) -> None:
        # Handled here, in key order: the Enter binding's action would run
        # only after keys that arrived in the same read were inserted.
        if event.key == "enter":
            event.prevent_default()
            event.stop()
            self._take_line()

    async def action_submit(self) -> None:
        self._take_line()

    def _take_line(self) -> None:
        value = self.value
        self.value = ""
        self.post_message(self.Submitted(self, value, None))

    def on_paste(self, event: events.Paste) -> None:
        lines = event.text.splitlines()
        if len(lines) <= 1:
            return  # Input inserts it
        event.prevent_default()
        event.stop()
        cursor = self.cursor_position
        text = (self.value[:cursor] + "\n".join(lines) + self.value[cursor:]).strip()
        if not text:
            return
        self.value = ""
        self.post_message(self.Submitted(self, text, None))
