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


def cycle_alive() -> Callable[[], bool]:
    cycle = Cycle()
    ref = weakref.ref(cycle)
    young_collections(1)  # it survives a young collection: only an older one can free it now
    del cycle
    return lambda: ref() is not None


@pytest.mark.asyncio
async def test_a_cycle_waits_for_a_quiet_moment_and_is_freed_then(runtime):
    before = gc.get_threshold()
    app = app_for(runtime)
    async with app.run_test(size=SIZE) as pilot:
        collector = app.quiet_gc
        await wait_for(pilot, lambda: collector.running)
        assert gc.get_threshold()[1:] == (quiet_gc.NEVER, quiet_gc.NEVER)
        assert gc.get_freeze_count() > 0  # what the console loaded is kept out of every pass

        alive = cycle_alive()
        await pilot.press("escape", "down", "up")  # the operator is busy
        young_collections(quiet_gc.QUIET_EVERY)
        collector.tick()
        assert alive(), "collected while the operator was typing"

        collector.last_input = time.monotonic() - quiet_gc.QUIET_S  # a second without a key
        collector.tick()
        assert not alive()
        ran = len(collector.pauses_ms)
        assert ran >= 1

        collector.tick()  # still quiet, but nothing collected young since: nothing to do
        assert len(collector.pauses_ms) == ran
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

        alive = cycle_alive()
        collector.heard()
        young_collections(quiet_gc.BUSY_EVERY)
        collector.tick()
        assert not alive(), "a busy stretch held garbage past BUSY_EVERY young collections"


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
