"""The console's garbage collector: the older generations wait for a quiet
moment (no key for QUIET_S), young collections run as usual, a long busy
stretch still collects, and a console that ends leaves Python as it was."""
from __future__ import annotations

import gc
import time
import weakref
from typing import Callable

import pytest

from tests.tui.conftest import SIZE, app_for, wait_for
from tui import quiet_gc
from tui.quiet_gc import QuietCollector


class Cycle:
    """Garbage only a collection of the older generations frees."""

    def __init__(self) -> None:
        self.me = self


def young_collections(n: int) -> None:
    for _ in range(n):
        gc.collect(0)


def cycle_alive(generation: int) -> Callable[[], bool]:
    """A reference cycle, dropped once it has reached ``generation``: only a
    collection of that generation (or an older one) can free it."""
    cycle = Cycle()
    ref = weakref.ref(cycle)
    gc.collect(generation - 1)  # it survives a collection, so it moves on a generation
    del cycle
    return lambda: ref() is not None


def quiet(collector: QuietCollector) -> None:
    collector.last_input = time.monotonic() - quiet_gc.QUIET_S  # a second without a key


@pytest.mark.asyncio
async def test_older_garbage_waits_for_a_quiet_moment_and_is_freed_then(runtime):
    before = gc.get_threshold()
    app = app_for(runtime)
    async with app.run_test(size=SIZE) as pilot:
        collector = app.quiet_gc
        await wait_for(pilot, lambda: collector.running)
        assert gc.get_threshold()[1:] == (quiet_gc.NEVER, quiet_gc.NEVER)
        assert gc.get_freeze_count() > 0  # what the console loaded is kept out of every pass

        alive = cycle_alive(1)
        await pilot.press("escape", "down", "up")  # the operator is busy
        young_collections(quiet_gc.EVERY)
        collector.tick()
        assert alive(), "collected while the operator was typing"
        quiet(collector)
        collector.tick()  # a generation-1 collection, as Python would have run
        assert not alive() and gc.get_count()[1] == 0

        older = cycle_alive(2)
        for _ in range(quiet_gc.EVERY):
            gc.collect(1)  # ten generation-1 collections call for a full one
        assert older()
        collector.heard()
        collector.tick()
        assert older(), "a full collection while the operator was typing"
        full = len(collector.pauses_ms)
        quiet(collector)
        collector.tick()
        assert not older() and len(collector.pauses_ms) == full + 1

        middle = gc.get_count()[2]
        collector.tick()  # still quiet, but nothing is due: nothing runs
        assert gc.get_count()[2] == middle and len(collector.pauses_ms) == full + 1
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


@pytest.mark.asyncio
async def test_keys_keep_it_busy_and_a_long_busy_stretch_still_collects(runtime):
    app = app_for(runtime)
    async with app.run_test(size=SIZE) as pilot:
        collector = app.quiet_gc
        await wait_for(pilot, lambda: collector.running)
        collector.last_input = 0.0
        await pilot.press("escape")
        assert time.monotonic() - collector.last_input < quiet_gc.QUIET_S  # a key counts as the operator busy

        alive = cycle_alive(1)
        collector.heard()
        young_collections(quiet_gc.EVERY * quiet_gc.BUSY)
        collector.tick()
        assert not alive(), "a busy stretch held garbage past BUSY times Python's schedule"


def test_start_and_stop_outside_a_console_restore_python():
    before = gc.get_threshold()

    class Timers:
        stopped = False

        def set_interval(self, interval, callback, *, name=None):
            assert interval == quiet_gc.TICK_S and callback.__self__ is collector
            return self

        def stop(self):
            Timers.stopped = True

    collector = QuietCollector()
    collector.start(Timers())  # type: ignore[arg-type]
    collector.start(Timers())  # type: ignore[arg-type]  # once only
    assert gc.get_threshold() == (before[0], quiet_gc.NEVER, quiet_gc.NEVER)
    collector.stop()
    collector.stop()
    assert Timers.stopped and gc.get_threshold() == before and gc.get_freeze_count() == 0
