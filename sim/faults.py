"""Fault switches shared by every simulator, flipped at run time by tests,
the console's simulation panel, or the control HTTP API.

Thread-safe: set from any thread, read by the simulators' asyncio thread.
One-shot actions on live connections (drop, half-open, expire) are handed
to listeners the simulators register; the listener must hop onto its own
event loop (``loop.call_soon_threadsafe``)."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable

SERVICES = ("openai", "realtime", "ultravox", "twilio")
ACTIONS = ("drop", "half_open", "expire")


@dataclass
class _Countdown:
    status: int = 0
    remaining: int = 0


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: list[Callable[[str], None]] = []
        self._refuse_until = 0.0
        self._delay_s = 0.0
        self._http: dict[str, _Countdown] = {s: _Countdown() for s in SERVICES}
        self._malformed: dict[str, int] = {s: 0 for s in SERVICES}
        self._duplicated = 0
        self.retry_after_s = 1.0
        self._no_quota = False

    # --- one-shot actions on live Realtime sockets -------------------------

    def on_action(self, listener: Callable[[str], None]) -> Callable[[], None]:
        with self._lock:
            self._listeners.append(listener)

        def remove() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return remove

    def trigger(self, action: str) -> int:
        """drop: close sockets without a close frame; half_open: stop reading
        and answering pings; expire: send session_expired and close.
        Returns how many live connections were told."""
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}; one of {ACTIONS}")
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener(action)
        return len(listeners)

    # --- standing faults ---------------------------------------------------

    def refuse_for(self, seconds: float) -> None:
        with self._lock:
            self._refuse_until = time.monotonic() + seconds

    def refusing(self) -> bool:
        with self._lock:
            return time.monotonic() < self._refuse_until

    def set_quota_exhausted(self, exhausted: bool) -> None:
        """Every OpenAI HTTP request answers 429 insufficient_quota (no Retry-After) while set."""
        with self._lock:
            self._no_quota = exhausted

    def out_of_quota(self) -> bool:
        with self._lock:
            return self._no_quota

    def set_delay(self, seconds: float) -> None:
        with self._lock:
            self._delay_s = max(0.0, seconds)

    @property
    def delay_s(self) -> float:
        with self._lock:
            return self._delay_s

    def fail_next(self, service: str, status: int, count: int = 1, retry_after_s: float | None = None) -> None:
        """The next ``count`` HTTP requests to ``service`` get ``status`` (5xx or 429)."""
        if service not in SERVICES:
            raise ValueError(f"unknown service {service!r}; one of {SERVICES}")
        with self._lock:
            self._http[service] = _Countdown(status, count)
            if retry_after_s is not None:
                self.retry_after_s = retry_after_s

    def take_http_failure(self, service: str) -> int:
        """0, or the status this request must fail with (counts it down)."""
        with self._lock:
            c = self._http[service]
            if c.remaining <= 0:
                return 0
            c.remaining -= 1
            return c.status

    def malform_next(self, service: str, count: int = 1) -> None:
        """The next ``count`` responses (or Realtime server events) are truncated JSON."""
        if service not in SERVICES:
            raise ValueError(f"unknown service {service!r}; one of {SERVICES}")
        with self._lock:
            self._malformed[service] = count

    def take_malformed(self, service: str) -> bool:
        with self._lock:
            if self._malformed[service] <= 0:
                return False
            self._malformed[service] -= 1
            return True

    def duplicate_next(self, count: int = 1) -> None:
        """The next ``count`` Realtime server events are each sent twice (a replay)."""
        with self._lock:
            self._duplicated = count

    def take_duplicate(self) -> bool:
        with self._lock:
            if self._duplicated <= 0:
                return False
            self._duplicated -= 1
            return True

    def reset(self) -> None:
        with self._lock:
            self._refuse_until = 0.0
            self._delay_s = 0.0
            self._http = {s: _Countdown() for s in SERVICES}
            self._malformed = {s: 0 for s in SERVICES}
            self._duplicated = 0
            self.retry_after_s = 1.0
            self._no_quota = False

    def snapshot(self) -> dict[str, object]:
        with self._lock:
            return {
                "refusing_for_s": max(0.0, round(self._refuse_until - time.monotonic(), 2)),
                "delay_s": self._delay_s,
                "http_failures": {s: [c.status, c.remaining] for s, c in self._http.items() if c.remaining},
                "malformed": {s: n for s, n in self._malformed.items() if n},
                "duplicated": self._duplicated,
                "openai_out_of_quota": self._no_quota,
                "live_realtime_sockets": len(self._listeners),
            }
