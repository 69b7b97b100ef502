"""Textual messages the console posts to itself."""
from __future__ import annotations

from textual.message import Message

from core.events import Event


class BusEvent(Message):
    """A domain event handed from the publisher's thread to the UI thread."""

    def __init__(self, event: Event) -> None:
        super().__init__()
        self.event = event
