"""The Textual console: a view on a runtime.Runtime.

Events reach widgets one way: the bus subscriber posts a BusEvent (the only
thing it does, so it is safe on any thread) and ``on_bus_event`` routes it
on the UI thread. Domain workers run as named Textual thread workers; their
state changes arrive at the one ``on_worker_state_changed`` handler."""
from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from textual.app import App
from textual.worker import Worker, WorkerState

from core import events as ev
from tui.bindings import APP_BINDINGS, all_binding_ids
from tui.commands import SwitchboardCommands
from tui.format import safe
from tui.messages import BusEvent
from tui.screens.do_not_call import DoNotCallScreen
from tui.screens.help import HelpScreen
from tui.screens.job_detail import JobDetailScreen
from tui.screens.main import MainScreen

if TYPE_CHECKING:
    from core.runtime import Runtime

log = logging.getLogger(__name__)

STYLES = Path(__file__).parent / "styles"
WORKER_GROUP = "domain"
STOP_TIMEOUT_S = 15.0
NOTICE_SEVERITY = {"info": "information", "warning": "warning", "error": "error"}


class SwitchboardApp(App[int]):
    CSS_PATH = [STYLES / name for name in ("app.tcss", "main.tcss", "screens.tcss")]
    BINDINGS = APP_BINDINGS
    COMMANDS = App.COMMANDS | {SwitchboardCommands}
    TITLE = "Switchboard"

    def __init__(self, runtime: "Runtime", *, start_workers: bool = True, handle_signals: bool = False) -> None:
        super().__init__()
        self.runtime = runtime
        self.start_workers = start_workers
        self.handle_signals = handle_signals
        self._unsubscribe: Callable[[], None] | None = None
        self.keys = dict(runtime.config.settings.keys)
        self.set_keymap(self.keys)
        self.sub_title = self.mode_label(runtime.config.mode)

    def mode_label(self, mode: str) -> str:
        label = "SIMULATION — local simulators, no real calls" if mode == "simulate" else "LIVE"
        mirror = getattr(self.runtime, "mirror_url", None)
        return f"{label} · mirror {mirror}" if mirror else label

    def get_default_screen(self) -> MainScreen:
        return MainScreen(self.runtime)

    @property
    def main_screen(self) -> MainScreen:
        screen = self.screen_stack[0]
        assert isinstance(screen, MainScreen)
        return screen

    # --- lifetime ---------------------------------------------------------

    def on_mount(self) -> None:
        if self.handle_signals:
            # SIGTERM (and a SIGINT sent by kill) quit as the q key does, so the
            # terminal is restored and the workers stop cleanly
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, lambda: self.call_later(self.action_quit))
        self.set_class(self.runtime.config.mode == "simulate", "simulate")
        self._unsubscribe = self.runtime.bus.subscribe(lambda event: self.post_message(BusEvent(event)))
        unknown = sorted(set(self.keys) - all_binding_ids())
        if unknown:
            self.notify(safe(f"[keys] in the config names unknown bindings: {', '.join(unknown)}").plain,
                        severity="warning", timeout=15, markup=False)
        self.runtime.announce()
        mirror_link = getattr(self.runtime, "mirror_link", None)
        if mirror_link:  # the link carries the token: shown to the operator only
            self.runtime.bus.publish(ev.Notice(level="info", text=f"Web mirror: {mirror_link}"))
        if self.start_workers:
            for worker in self.runtime.workers:
                self.run_worker(worker.run, name=worker.name, group=WORKER_GROUP, thread=True,
                                exit_on_error=False)

    def on_unmount(self) -> None:
        if self.handle_signals:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self.start_workers:
            # however the app ended (quit, an error, exit()), a thread worker's
            # run() must return or the process would wait on it forever
            self.runtime.stop_workers()

    async def action_quit(self) -> None:
        """Stop the domain workers, wait for their threads, then exit."""
        running = [w for w in self.workers if w.group == WORKER_GROUP and not w.is_finished]
        self.runtime.stop_workers()
        if running:
            try:
                await asyncio.wait_for(self.workers.wait_for_complete(running), STOP_TIMEOUT_S)
            except asyncio.TimeoutError:
                log.error("workers still running after %ss: %s", STOP_TIMEOUT_S,
                          [w.name for w in running if not w.is_finished])
        self.exit(0)

    # --- events -----------------------------------------------------------

    def on_bus_event(self, message: BusEvent) -> None:
        event = message.event
        if not self.screen_stack or not isinstance(self.screen_stack[0], MainScreen):
            return  # shutting down: nothing left to draw on
        self.main_screen.apply(event)
        for screen in self.screen_stack[1:]:
            if isinstance(screen, (JobDetailScreen, DoNotCallScreen)):
                screen.apply(event)
        if isinstance(event, ev.Notice):
            # the mirror's link is needed after a glance: it stays longer (and is on the ? page)
            lasting = event.level == "error" or event.text.startswith("Web mirror:")
            self.notify(safe(event.text).plain, severity=NOTICE_SEVERITY.get(event.level, "information"),
                        timeout=30 if lasting else 5, markup=False)
        elif isinstance(event, ev.Mode):
            self.sub_title = self.mode_label(event.mode)
        elif isinstance(event, ev.WorkerState) and event.state == "error":
            self.notify(safe(f"{event.name} stopped with an error: {event.error}").plain, title="Worker failed",
                        severity="error", timeout=30, markup=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.group != WORKER_GROUP:
            return
        if event.state == WorkerState.RUNNING:
            self.runtime.bus.publish(ev.WorkerState(name=worker.name, state="running"))
        elif event.state == WorkerState.SUCCESS:
            self.runtime.bus.publish(ev.WorkerState(name=worker.name, state="stopped"))
        elif event.state == WorkerState.ERROR:
            error = worker.error
            log.error("worker %s died", worker.name, exc_info=error)
            self.runtime.bus.publish(ev.WorkerState(name=worker.name, state="error",
                                                    error=f"{type(error).__name__}: {error}"))
        elif event.state == WorkerState.CANCELLED:
            self.runtime.bus.publish(ev.WorkerState(name=worker.name, state="stopped", error="cancelled"))

    # --- app-wide actions --------------------------------------------------

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.keys, self.runtime.mirror_link))

    def apply_fault(self, label: str, apply: Callable[[Any], Any]) -> None:
        apply(self.runtime.sims.faults)
        self.notify(f"Simulator fault: {label}", title="SIMULATION")


def run_console(runtime: "Runtime") -> int:
    """Run the console until the operator quits (workers stopped and waited
    for); the caller still owns the runtime and closes it."""
    app = SwitchboardApp(runtime, handle_signals=True)
    app.run()
    return app.return_code or 0
