"""The one clock. Everything that reads the time takes a Clock, so tests and
snapshots can run on a fixed or hand-advanced one."""
from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone


def iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(text: str) -> datetime:
    """The inverse of ``iso``: an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class Clock:
    def now(self) -> datetime:
        raise NotImplementedError

    def monotonic(self) -> float:
        raise NotImplementedError

    def sleep(self, seconds: float, stop: threading.Event | None = None) -> bool:
        """Sleep, waking early if ``stop`` is set. Returns True if stopped."""
        raise NotImplementedError

    def now_iso(self) -> str:
        return iso(self.now())


class SystemClock(Clock):
    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float, stop: threading.Event | None = None) -> bool:
        if stop is None:
            time.sleep(max(0.0, seconds))
            return False
        return stop.wait(max(0.0, seconds))


class FixedClock(Clock):
    """A clock that moves only when told (or, with ``auto_advance``, by the
    amount each sleep asks for, so timed loops run instantly in tests)."""

    def __init__(self, start: datetime | None = None, auto_advance: bool = False) -> None:
        self._now = start or datetime(2026, 1, 5, 10, 0, tzinfo=timezone.utc)
        self._mono = 1000.0
        self._auto = auto_advance
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        with self._lock:
            return self._mono

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += timedelta(seconds=seconds)
            self._mono += seconds

    def sleep(self, seconds: float, stop: threading.Event | None = None) -> bool:
        if self._auto:
            self.advance(seconds)
        if stop is not None:
            return stop.wait(0.001)
        time.sleep(0.001)
        return False
