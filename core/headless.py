"""``app.py --headless``: the same workers on plain threads, one JSON event
per line on stdout, each stdin line a typed message for the assistant.
Scripts and tests drive the whole app this way.

Every stdin line is queued for the assistant as soon as it is read (before
the assistant is connected, too) and delivered in order. With
``--exit-on-eof`` the app stops at the end of input only once every line has
been answered (the response finished, its tool calls done and their rows
written), or after ``EOF_ANSWER_BOUND_S``, which it reports (exit status 1)."""
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
EOF_ANSWER_BOUND_S = 120.0
SETTLED_FOR_S = 0.3  # settled this long in a row: nothing is about to follow


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


class Outcome:
    def __init__(self) -> None:
        self.code = 0


def _read_stdin(rt: Runtime, stdin: IO[str], stop: threading.Event, exit_on_eof: bool, outcome: Outcome) -> None:
    lines = 0
    for line in stdin:
        if stop.is_set():
            return
        text = line.strip()
        if text and rt.actions.send_text(text):
            lines += 1
    if exit_on_eof:
        if lines and not _wait_answered(rt, stop):
            outcome.code = 1
        stop.set()


def _wait_answered(rt: Runtime, stop: threading.Event) -> bool:
    """Wait until the assistant has answered every line; False (reported)
    when that takes longer than the bound."""
    assistant = rt.actions.assistant
    deadline = time.monotonic() + EOF_ANSWER_BOUND_S
    settled_since: float | None = None
    while not stop.is_set():
        now = time.monotonic()
        if assistant is None or assistant.settled():
            settled_since = settled_since or now
            if now - settled_since >= SETTLED_FOR_S:
                return True
        else:
            settled_since = None
        if now > deadline:
            message = (f"End of input: the assistant had not answered every line within {EOF_ANSWER_BOUND_S:.0f} s;"
                       " stopping anyway.")
            log.warning(message)
            rt.bus.publish(Notice(level="error", text=message))
            return False
        time.sleep(0.05)
    return True


def run(rt: Runtime, *, exit_on_eof: bool = False, stdin: IO[str] | None = None, stdout: IO[str] | None = None) -> int:
    stop = threading.Event()
    outcome = Outcome()
    unsubscribe = rt.bus.subscribe(EventPrinter(stdout or sys.stdout))

    def on_signal(signum: int, _frame: object) -> None:
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    threads = [
        threading.Thread(target=_run_worker, args=(rt, w), name=f"worker-{w.name}", daemon=True) for w in rt.workers
    ]
    try:
        rt.announce()
        if rt.mirror_link:
            rt.bus.publish(Notice(level="info", text=f"Web mirror: {rt.mirror_link}"))
        for t in threads:
            t.start()
        reader = threading.Thread(
            target=_read_stdin, args=(rt, stdin or sys.stdin, stop, exit_on_eof, outcome), name="stdin", daemon=True
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
    return outcome.code
