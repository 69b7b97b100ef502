"""The Textual console: a view on a runtime.Runtime.

Events reach widgets one way: the bus subscriber posts the typed message
for the event (tui/messages.py; the only thing it does, so it is safe on any
thread) and the app hands it, on the UI thread, to each open screen with a
handler for it. Domain workers run as named Textual thread workers; their
state changes arrive at the one ``on_worker_state_changed`` handler.

The first frame comes first: this module imports only what the starting
screen needs; the events, the palette, the help page and the main screen
are imported when first used, and the runtime is built after that frame."""
from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from textual import events
from textual.app import App
from textual.worker import Worker, WorkerState

from core.text import visible
from tui.bindings import APP_BINDINGS, usable_keymap
from tui.quiet_gc import QuietCollector
from tui.screens.starting import StartingScreen

if TYPE_CHECKING:
    from textual.command import Provider

    from core import events as ev
    from core.config import Config
    from core.runtime import Runtime
    from tui import messages as msg
    from tui.screens.main import MainScreen

log = logging.getLogger(__name__)

STYLES = Path(__file__).parent / "styles"
WORKER_GROUP = "domain"
START_GROUP = "start"
STOP_TIMEOUT_S = 15.0
NOTICE_SEVERITY = {"info": "information", "warning": "warning", "error": "error"}


def switchboard_commands() -> "type[Provider]":
    from tui.commands import SwitchboardCommands

    return SwitchboardCommands


class SwitchboardApp(App[int]):
    CSS_PATH = [STYLES / name for name in ("app.tcss", "main.tcss", "screens.tcss")]
    BINDINGS = APP_BINDINGS
    COMMANDS = App.COMMANDS | {switchboard_commands}
    TITLE = "Switchboard"

    def __init__(self, runtime: "Runtime | None", *, start: Callable[[], "Runtime"] | None = None,
                 config: "Config | None" = None, start_workers: bool = True, handle_signals: bool = False) -> None:
        """A console on ``runtime``; or, with ``start`` (and the ``config`` it
        builds from), a console that draws its first frame at once and builds
        the runtime (databases, simulators) on a worker thread meanwhile."""
        super().__init__()
        self.runtime: "Runtime" = runtime  # type: ignore[assignment]  # set by start() before any view uses it
        self.start = start
        self.start_error: BaseException | None = None
        self.config = runtime.config if runtime is not None else config
        assert self.config is not None, "a config, or a runtime that has one"
        self.start_workers = start_workers
        self.handle_signals = handle_signals
        self._unsubscribe: Callable[[], None] | None = None
        self.quiet_gc = QuietCollector()  # started by the main screen once it has loaded
        self.keys, self.key_problems = usable_keymap(dict(self.config.settings.keys))
        self.set_keymap(self.keys)
        self.sub_title = self.mode_label(self.config.mode)

    def mode_label(self, mode: str) -> str:
        label = "SIMULATION — local simulators, no real calls" if mode == "simulate" else "LIVE"
        # the link's token is for the operator's eyes and clipboard, not a header anyone sees
        mirrored = self.runtime is not None and self.runtime.mirror_link
        return f"{label} · browser mirror on (y copies its link)" if mirrored else label

    def get_default_screen(self) -> "MainScreen | StartingScreen":
        if self.runtime is None:
            return StartingScreen()
        from tui.screens.main import MainScreen

        return MainScreen(self.runtime)

    @property
    def main_screen(self) -> "MainScreen":
        from tui.screens.main import MainScreen

        return next(screen for screen in self.screen_stack if isinstance(screen, MainScreen))

    # --- lifetime ---------------------------------------------------------

    def on_mount(self) -> None:
        if self.handle_signals:
            # SIGTERM (and a SIGINT sent by kill) quit as the q key does, so the
            # terminal is restored and the workers stop cleanly
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, lambda: self.call_later(self.action_quit))
        self.set_class(self.config.mode == "simulate", "simulate")
        for problem in self.key_problems:
            log.warning("%s", problem)
            self.notify(visible(problem), severity="warning", timeout=20, markup=False)
        if self.runtime is None:
            # after the first frame: the build's imports would hold the GIL while it is drawn
            self.call_after_refresh(self.run_worker, self._build, name="start", group=START_GROUP, thread=True,
                                    exit_on_error=False)
        else:
            self._attach()

    def _build(self) -> None:
        assert self.start is not None
        runtime = self.start()
        self.call_from_thread(self._started, runtime)

    def _started(self, runtime: "Runtime") -> None:
        from tui.screens.main import MainScreen

        self.runtime = runtime
        self.sub_title = self.mode_label(self.config.mode)  # type: ignore[union-attr]
        self.push_screen(MainScreen(runtime))  # over the starting screen, which stays below
        self._attach()

    def _attach(self) -> None:
        """Listen to the runtime, say what there is to say, start its workers."""
        from tui.messages import message_for

        def hand_over(event: "ev.Event") -> None:
            """Bus subscriber (any thread): post the event's typed message."""
            message = message_for(event)
            if message is not None:
                self.post_message(message)

        self._unsubscribe = self.runtime.bus.subscribe(hand_over)
        self.runtime.announce()
        if self.runtime.mirror_link:
            self.notify("Browser mirror ready: press y to copy its link (it is also on the ? page).",
                        title="Web mirror", timeout=15)
        if self.start_workers:
            for worker in self.runtime.workers:
                self.run_worker(worker.run, name=worker.name, group=WORKER_GROUP, thread=True,
                                exit_on_error=False)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown, events.MouseScrollDown, events.MouseScrollUp, events.Paste)):
            self.quiet_gc.heard()
        await super().on_event(event)

    def on_unmount(self) -> None:
        self.quiet_gc.stop()
        if self.handle_signals:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self.start_workers and self.runtime is not None:
            # however the app ended (quit, an error, exit()), a thread worker's
            # run() must return or the process would wait on it forever
            self.runtime.stop_workers()

    async def action_quit(self) -> None:
        """Stop the domain workers, wait for their threads, then exit."""
        running = [w for w in self.workers if w.group == WORKER_GROUP and not w.is_finished]
        if self.runtime is not None:
            self.runtime.stop_workers()
        if running:
            try:
                await asyncio.wait_for(self.workers.wait_for_complete(running), STOP_TIMEOUT_S)
            except asyncio.TimeoutError:
                log.error("workers still running after %ss: %s", STOP_TIMEOUT_S,
                          [w.name for w in running if not w.is_finished])
        self.exit(0)

    # --- events -----------------------------------------------------------

    def _to_screens(self, message: "msg.DomainMessage") -> None:
        if not self.screen_stack:
            return  # shutting down: nothing left to draw on
        for screen in list(self.screen_stack):
            handler = getattr(screen, message.handler_name, None)
            if handler is not None:
                handler(message)

    on_job_changed = _to_screens
    on_call_progress = _to_screens
    on_conversation_changed = _to_screens
    on_assistant_state_changed = _to_screens
    on_updates_changed = _to_screens
    on_display_shown = _to_screens
    on_do_not_call_changed = _to_screens
    on_campaigns_changed = _to_screens

    def on_notice_posted(self, message: "msg.NoticePosted") -> None:
        event: "ev.Notice" = message.event  # type: ignore[assignment]
        self.notify(visible(event.text), severity=NOTICE_SEVERITY.get(event.level, "information"),
                    timeout=30 if event.level == "error" else 8, markup=False)

    def on_mode_changed(self, message: "msg.ModeChanged") -> None:
        event: "ev.Mode" = message.event  # type: ignore[assignment]
        self.sub_title = self.mode_label(event.mode)

    def on_domain_worker_changed(self, message: "msg.DomainWorkerChanged") -> None:
        event: "ev.WorkerState" = message.event  # type: ignore[assignment]
        if event.state == "error":
            self.notify(visible(f"{event.name} stopped with an error: {event.error}"), title="Worker failed",
                        severity="error", timeout=30, markup=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.group == START_GROUP and event.state == WorkerState.ERROR:
            self.start_error = worker.error  # run_console raises it once the terminal is restored
            self.exit(2)
            return
        if worker.group != WORKER_GROUP:
            return
        from core import events as ev

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
        from tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.keys, self.runtime.mirror_link if self.runtime else None))

    def notify(self, message: str, *, title: str = "", severity: Any = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        """Every notice is plain text: what it quotes (names, errors, config
        keys such as [keys]) is never read as markup."""
        super().notify(visible(message), title=visible(title), severity=severity, timeout=timeout, markup=False)
        self.call_after_refresh(self._newest_notice_in_view)

    def _newest_notice_in_view(self) -> None:
        """Where notices have less room than they need, they scroll: keep the
        newest one in view."""
        for rack in self.screen.query("#textual-toastrack"):
            rack.scroll_end(animate=False)

    def action_copy_mirror_link(self) -> None:
        """To the terminal's clipboard (OSC 52: works over ssh and tmux when the
        terminal allows it); the ? page shows the link to copy by hand."""
        link = self.runtime.mirror_link if self.runtime else None
        if not link:
            self.notify("The browser mirror is off.", severity="warning")
            return
        self.copy_to_clipboard(link)
        self.notify("Mirror link copied to the clipboard (if your terminal allows it; else see the ? page).")


def run_console(config: "Config", start: Callable[[], "Runtime"]) -> int:
    """Draw the console at once, build the runtime with ``start`` meanwhile,
    and run until the operator quits (workers stopped and waited for). The
    caller owns what ``start`` built and closes it; an error from ``start``
    is raised here, after the terminal is restored."""
    app = SwitchboardApp(None, start=start, config=config, handle_signals=True)
    app.run()
    if app.start_error is not None:
        raise app.start_error
    return app.return_code or 0
