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
input has paused for QUIET_S, on Python's own schedule (a generation-1
collection every tenth young one, a full one every tenth of those) — or
regardless once a busy stretch has let that schedule fall BUSY times
behind, so memory held in cycles stays bounded for an operator who never
stops typing.

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
EVERY = 10  # Python's own: young collections before a generation-1 one, and those before a full one
BUSY = 100  # how many times over those counts may grow while the operator has not paused
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
        """Python's schedule for the older generations, run at a quiet moment
        (or once a busy stretch has let it fall BUSY times behind)."""
        _, young, middle = gc.get_count()  # young collections since a generation-1 one; those since a full one
        due = EVERY if time.monotonic() - self.last_input >= QUIET_S else EVERY * BUSY
        if middle >= due:
            self.collect(2)
        elif young >= due:
            self.collect(1)

    def collect(self, generation: int) -> None:
        started = time.perf_counter()
        gc.collect(generation)
        if generation == 2:
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
