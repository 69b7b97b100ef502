"""Small helpers every test area uses."""
from __future__ import annotations

import threading
import time
from typing import Any, Callable

from core.events import Event


def wait_for(cond: Callable[[], Any], timeout: float = 30.0, interval: float = 0.02, what: str = "") -> Any:
    """Poll ``cond`` until truthy and return its value; fail clearly at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or cond}")
        time.sleep(interval)


class Recorder:
    """A bus subscriber that keeps every event, for assertions."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        with self._lock:
            self.events.append(event)

    def of(self, kind: str, **match: Any) -> list[Any]:
        with self._lock:
            return [e for e in self.events if e.type == kind and all(getattr(e, k) == v for k, v in match.items())]
