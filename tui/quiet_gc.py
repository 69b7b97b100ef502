"""Python's garbage collections of older objects, moved to moments the
operator is quiet.

Python collects its youngest objects every 700 allocations (well under a
millisecond), the next generation every tenth time (1–5 ms with a large
console) and everything now and then (10–200 ms: the strips Textual draws
hold their caches in reference cycles, so the garbage of scrolling and
filtering waits for those passes). Those longer passes land inside a key
now and then, and that key is late. Here, what the console loaded at start
is frozen (it lives as long as the console and is never walked again), the
youngest objects are collected as Python schedules it, and the rest once
input has paused for QUIET_S — or regardless after BUSY_EVERY young
collections, so memory held in cycles stays bounded for an operator who
never stops typing.

Time here is the terminal's wall time (time.monotonic), not the runtime's
clock: it measures pauses of the user interface, as Textual's timers do."""
from __future__ import annotations

import gc
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.app import App
    from textual.timer import Timer

QUIET_S = 1.0  # no key, click or paste for this long
TICK_S = 0.5
QUIET_EVERY = 10  # young collections since the last full one: Python's own threshold for the next generation
BUSY_EVERY = 1000  # the same, when the operator has not paused
NEVER = 1 << 30


class QuietCollector:
    def __init__(self) -> None:
        self.last_input = time.monotonic()
        self.pauses_ms: list[float] = []  # the newest full collections this ran, for the bench
        self._saved: tuple[int, int, int] | None = None
        self._timer: "Timer | None" = None

    @property
    def running(self) -> bool:
        return self._saved is not None

    def start(self, app: "App") -> None:
        """Freeze what is loaded and take over the older generations' collections (once)."""
        if self.running:
            return
        gc.freeze()
        self._saved = gc.get_threshold()
        gc.set_threshold(self._saved[0], NEVER, NEVER)
        self._timer = app.set_interval(TICK_S, self.tick, name="quiet-gc")

    def heard(self) -> None:
        """The operator pressed a key, clicked, scrolled or pasted."""
        self.last_input = time.monotonic()

    def tick(self) -> None:
        young = gc.get_count()[1]  # young collections since the last collection of an older generation
        quiet = time.monotonic() - self.last_input >= QUIET_S
        if young >= (QUIET_EVERY if quiet else BUSY_EVERY):
            self.collect()

    def collect(self) -> None:
        started = time.perf_counter()
        gc.collect()
        self.pauses_ms.append((time.perf_counter() - started) * 1000)
        del self.pauses_ms[:-100]

    def stop(self) -> None:
        """Python's own schedule again, and nothing frozen (a process may start another console)."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if self._saved is not None:
            gc.set_threshold(*self._saved)
            self._saved = None
            gc.unfreeze()
