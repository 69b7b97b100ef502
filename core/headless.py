"""``app.py --headless``: the same workers on plain threads, one JSON event
per line on stdout, each stdin line a typed message for the assistant.
Scripts and tests drive the whole app this way."""
from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from typing import IO

from core.events import Event, Notice, WorkerState
from core.runtime import Runtime, Worker

log = logging.getLogger(__name__)
STOP_GRACE_S = 1.5


class EventPrinter:
    """Bus subscriber writing one JSON line per event."""

    def __init__(self, out: IO[str]) -> None:
        self._out = out
        self._lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        line = event.to_json()
        with self._lock:
            try:
                self._out.write(line + "\n")
                self._out.flush()
            except (BrokenPipeError, ValueError):
                pass  # the reader went away; the app keeps running until signalled


def _run_worker(rt: Runtime, worker: Worker) -> None:
    rt.bus.publish(WorkerState(name=worker.name, state="running"))
    try:
        worker.run()
    except Exception as exc:
        log.exception("worker %s died", worker.name)
        rt.bus.publish(WorkerState(name=worker.name, state="error", error=f"{exc.__class__.__name__}: {exc}"))
        return
    rt.bus.publish(WorkerState(name=worker.name, state="stopped"))


def _read_stdin(rt: Runtime, stdin: IO[str], stop: threading.Event, exit_on_eof: bool) -> None:
    for line in stdin:
        if stop.is_set():
            return
        text = line.strip()
        if text:
            rt.actions.send_text(text)
    if exit_on_eof:
        stop.set()


def run(rt: Runtime, *, exit_on_eof: bool = False, stdin: IO[str] | None = None, stdout: IO[str] | None = None) -> int:
    stop = threading.Event()
    unsubscribe = rt.bus.subscribe(EventPrinter(stdout or sys.stdout))

    def on_signal(signum: int, _frame: object) -> None:
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    threads = [
        threading.Thread(target=_run_worker, args=(rt, w), name=f"worker-{w.name}", daemon=True) for w in rt.workers
    ]
    try:
        rt.announce()
        mirror_link = getattr(rt, "mirror_link", None)
        if mirror_link:
            rt.bus.publish(Notice(level="info", text=f"Web mirror: {mirror_link}"))
        for t in threads:
            t.start()
        reader = threading.Thread(
            target=_read_stdin, args=(rt, stdin or sys.stdin, stop, exit_on_eof), name="stdin", daemon=True
        )
        reader.start()
        while not stop.wait(0.2):
            pass
    finally:
        rt.stop_workers()
        deadline = time.monotonic() + STOP_GRACE_S
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
            if t.is_alive():
                log.warning("%s did not stop within %.1f s", t.name, STOP_GRACE_S)
        unsubscribe()
        for s, handler in previous.items():
            signal.signal(s, handler)
    return 0
