"""An account's limits as the real services hold them, in real (not
simulated) time: at most ``per_second`` creations in any one-second window
and ``per_minute`` in any minute, and (Ultravox) at most ``concurrent``
calls running. A request over a limit is refused (429, Retry-After) and
counted as a violation (Twilio queues an outbound call over its rate
instead: still a violation); the peaks seen are kept for tests and the bench."""
from __future__ import annotations

import threading
import time
from collections import deque
from typing import Callable


class AccountLimits:
    def __init__(self, *, per_second: float | None, per_minute: float | None = None,
                 concurrent: int | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_second = per_second
        self.per_minute = per_minute
        self.concurrent = concurrent
        self._clock = clock
        self._lock = threading.Lock()
        self._created: deque[float] = deque()  # admitted creations in the last minute
        self._asked: deque[float] = deque()  # every creation asked for in the last second
        self.violations = 0
        self.peak_per_second = 0  # creations asked for in any one-second window
        self.peak_concurrent = 0
        self.created = 0

    def admit(self, running: int) -> tuple[str, float] | None:
        """Record a creation asked for while ``running`` calls run: None if
        admitted, else (what was exceeded, seconds until it would pass)."""
        now = self._clock()
        with self._lock:
            self._asked.append(now)
            while self._asked and self._asked[0] <= now - 1.0:
                self._asked.popleft()
            self.peak_per_second = max(self.peak_per_second, len(self._asked))
            while self._created and self._created[0] <= now - 60.0:
                self._created.popleft()
            refusal = self._refusal(now, running)
            if refusal is not None:
                self.violations += 1
                return refusal
            self._created.append(now)
            self.created += 1
            self.peak_concurrent = max(self.peak_concurrent, running + 1)
            return None

    def _refusal(self, now: float, running: int) -> tuple[str, float] | None:
        if self.concurrent is not None and running >= self.concurrent:
            return f"{self.concurrent} concurrent calls", 1.0
        if self.per_second is not None:
            in_second = [t for t in self._created if t > now - 1.0]
            if len(in_second) >= self.per_second:
                return f"{self.per_second:g} calls a second", in_second[0] + 1.0 - now
        if self.per_minute is not None and len(self._created) >= self.per_minute:
            return f"{self.per_minute:g} calls a minute", self._created[0] + 60.0 - now
        return None

    def snapshot(self) -> dict[str, float | int | None]:
        with self._lock:
            return {"per_second": self.per_second, "per_minute": self.per_minute, "concurrent": self.concurrent,
                    "violations": self.violations, "peak_per_second": self.peak_per_second,
                    "peak_concurrent": self.peak_concurrent, "created": self.created}
