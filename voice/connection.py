"""One WebSocket connection to the Realtime endpoint (websocket-client).

Liveness is our own ping thread: websocket-client's ping_timeout check runs
only when its reader wakes, and with a ping interval that is not a multiple
of the timeout it can miss a dead peer for several intervals (measured:
24 s with 5 s / 4 s). Ours declares the socket dead ``ping_timeout`` after
an unanswered ping, so a half-open socket is found within interval + timeout.

``run()`` blocks on the calling thread until the socket ends and says how
it ended; ``shutdown()`` may be called from any thread. WebSocketApp.close()
from another thread can hang run_forever (it needs the send lock a stuck
send holds), so shutdown clears ``keep_running`` and shuts the raw socket
down, which wakes the reader at once."""
from __future__ import annotations

import logging
import socket
import threading
from dataclasses import dataclass
from typing import Any, Callable

import websocket

from voice.protocol import ClientEvent, dumps

log = logging.getLogger(__name__)

# How a connection ended; the worker decides what comes next. EXPIRED is the
# session's planned end (its 60-minute limit): reconnect at once, quietly.
CLOSED, AUTH, CONFIG, TRANSIENT, STOPPED = "closed", "auth", "config", "transient", "stopped"
EXPIRED = "expired"
GOING_AWAY = 1001


@dataclass
class Outcome:
    kind: str
    detail: str
    opened: bool
    retry_after: float | None = None


class Connection:
    def __init__(
        self,
        url: str,
        api_key: str,
        *,
        ping_interval: float,
        ping_timeout: float,
        connect_timeout: float,
        on_open: Callable[["Connection"], None],
        on_message: Callable[[str], None],
    ) -> None:
        self.url = url
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.connect_timeout = connect_timeout
        self._on_open = on_open
        self._on_message = on_message
        self.opened = threading.Event()
        self._done = threading.Event()
        self._pong = threading.Event()
        self._stopping = False
        self._error: BaseException | None = None
        self._ending: Outcome | None = None  # set by the session (e.g. an auth error event)
        self._close: tuple[int | None, str] = (None, "")  # the server's close frame, if one came
        self.app = websocket.WebSocketApp(
            url,
            header=[f"Authorization: Bearer {api_key}"],
            on_open=self._opened,
            on_message=self._message,
            on_error=self._errored,
            on_close=self._closed,
            on_pong=lambda app, data: self._pong.set(),
        )

    # --- any thread -------------------------------------------------------------

    def send(self, event: ClientEvent) -> bool:
        return self.send_raw(dumps(event))

    def send_raw(self, text: str) -> bool:
        sock = self.app.sock
        if sock is None or not sock.connected or not self.opened.is_set():
            return False
        try:
            sock.send(text)
            return True
        except (websocket.WebSocketException, OSError) as e:
            log.info("send failed, the connection is going down: %s", e)
            self.shutdown()
            return False

    def end(self, outcome: Outcome) -> None:
        """Close with a known reason (session expired, auth error event)."""
        self._ending = outcome
        self.shutdown()

    def shutdown(self, stopping: bool = False) -> None:
        if stopping:
            self._stopping = True
        self.app.keep_running = False
        sock = self.app.sock
        raw = sock.sock if sock is not None else None
        if raw is not None:
            try:
                raw.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed: nothing to wake

    # --- the connection's own thread -----------------------------------------

    def run(self) -> Outcome:
        watchdog = threading.Timer(self.connect_timeout, self._connect_timed_out)
        watchdog.daemon = True
        watchdog.start()
        try:
            self.app.run_forever(reconnect=0, skip_utf8_validation=True)
        except Exception as e:
            log.exception("the WebSocket loop failed")
            self._error = e
        finally:
            self._done.set()
            watchdog.cancel()
        return self._outcome()

    def _connect_timed_out(self) -> None:
        if not self.opened.is_set():
            self._error = TimeoutError(f"no WebSocket handshake within {self.connect_timeout:.0f} s")
            self.shutdown()

    def _opened(self, app: websocket.WebSocketApp) -> None:
        # a send can never block for longer than the liveness window
        if app.sock is not None:
            app.sock.settimeout(self.ping_interval + self.ping_timeout)
        self.opened.set()
        if self._stopping:  # stop() raced run_forever, which re-arms keep_running
            self.shutdown()
            return
        threading.Thread(target=self._liveness, name="voice-ping", daemon=True).start()
        self._on_open(self)

    def _liveness(self) -> None:
        while not self._done.wait(self.ping_interval):
            self._pong.clear()
            sock = self.app.sock
            if sock is None:
                return
            try:
                sock.ping()
            except (websocket.WebSocketException, OSError):
                return  # the connection is already going down
            if not self._pong.wait(self.ping_timeout) and not self._done.is_set():
                if self._error is None:
                    self._error = TimeoutError(f"no pong within {self.ping_timeout:g} s: the connection is dead")
                self.shutdown()
                return

    def _message(self, app: websocket.WebSocketApp, data: str | bytes) -> None:
        if isinstance(data, bytes):
            data = data.decode("utf-8", errors="replace")
        self._on_message(data)

    def _errored(self, app: websocket.WebSocketApp, error: BaseException) -> None:
        if self._error is None:
            self._error = error
        # teardown's close() would wait up to 3 s for the peer's close frame,
        # which a dead peer never sends: shut the socket so it returns at once
        self.shutdown()

    def _closed(self, app: websocket.WebSocketApp, code: int | None, reason: str | bytes | None) -> None:
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", errors="replace")
        self._close = (code, reason or "")

    def _outcome(self) -> Outcome:
        opened = self.opened.is_set()
        if self._ending is not None:
            return self._ending
        if self._stopping:
            return Outcome(STOPPED, "stopped", opened)
        code, reason = self._close
        if code == GOING_AWAY and "maximum duration" in reason.lower():
            # the GA server ends a 60-minute session this way, with or without an error event first
            return Outcome(EXPIRED, "the session reached its time limit", opened)
        e = self._error
        if isinstance(e, websocket.WebSocketBadStatusException):
            status = e.status_code
            if status in (401, 403):
                return Outcome(AUTH, f"the server refused the API key (HTTP {status})", opened)
            if status in (400, 404):
                return Outcome(CONFIG, f"the server rejected the URL or model (HTTP {status}): {self.url}", opened)
            headers = e.resp_headers or {}
            retry_after = headers.get("retry-after") or headers.get("Retry-After")
            try:
                wait = float(retry_after) if retry_after else None
            except ValueError:
                wait = None
            return Outcome(TRANSIENT, f"HTTP {status} on connect", opened, wait)
        if e is None:
            return Outcome(CLOSED, "the server closed the connection", opened)
        return Outcome(TRANSIENT, f"{type(e).__name__}: {e}" if str(e) else type(e).__name__, opened)
