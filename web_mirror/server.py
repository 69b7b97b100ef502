"""The mirror server: Bottle + gevent-websocket on a background thread with
its own gevent hub. The rest of the process is never monkey-patched.

Events reach browsers this way: bus subscriber (any thread) →
``hub.loop.run_callback_threadsafe`` → on the hub, each client's bounded
queue → that client's writer greenlet. A client whose queue is full is
dropped (counted, its socket shut), so a stalled browser never slows the
app or the other browsers.

After an event that changed the update badges (StateView.badges_version
moved), the badge list as ``StateView.updates()`` has it follows
(``{"type": "updates", ...}``), read on the hub after the event, so it is
never older than the snapshot a browser started from; the browser draws it
and decides nothing.
"""
from __future__ import annotations

import atexit
import http.client
import itertools
import json
import logging
import socket
import threading
from typing import TYPE_CHECKING, Any

import gevent
import gevent.event
import gevent.pool
from gevent.pywsgi import LoggingLogAdapter, WSGIServer
from geventwebsocket.handler import WebSocketHandler

from core.events import Event
from core.state import Snapshot
from web_mirror import security
from web_mirror.security import Environ
from web_mirror.admission import MAX_CONNECTIONS, Admission
from web_mirror.clients import Client, text_frame
from web_mirror.routes import build_app, receive_until_closed
from web_mirror.token import stable_token

if TYPE_CHECKING:
    from core.runtime import Runtime

log = logging.getLogger(__name__)

# outside updates get ids far below anything StateView numbers itself (-1, -2, …);
# one counter for the process, so a restarted mirror never reuses a live badge's id
_EXTERNAL_IDS = itertools.count(-1_000_000, -1)


class SlowRequest(OSError, ValueError):
    """A request line and headers not complete within REQUEST_TIMEOUT_S. An
    OSError for pywsgi's request-line read and a ValueError for its header
    read, so either way the connection just ends."""


class MirrorHandler(WebSocketHandler):
    """TCP_NODELAY on every accepted socket, and the WebSocket's token and
    Origin are checked before the upgrade, so a refusal is a real 401/403.
    A connection idle, or sending its request too slowly, is closed after
    REQUEST_TIMEOUT_S; which connections are served is admission.py's rule.
    Every answer carries the security headers: the app's, the WebSocket
    library's and pywsgi's own (start_response), and pywsgi's ready-made
    400/414 for a request it cannot parse (handle_one_request)."""

    def handle(self) -> None:
        sock = self.socket  # pywsgi drops the attribute when the connection ends
        mirror: MirrorServer = self.server.mirror
        address = str(self.client_address[0] if isinstance(self.client_address, tuple) else self.client_address)
        if not mirror.admission.admit(sock, address):
            _refuse_busy(sock)
            return
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(security.REQUEST_TIMEOUT_S)
        try:
            super().handle()
        except ConnectionError as e:  # gone before its (error) answer was written: nothing to tell
            log.debug("mirror client %s left before the answer: %s", address, e)
        finally:
            mirror.admission.release(sock)

    def handle_one_request(self) -> Any:
        self._deadline = gevent.Timeout(security.REQUEST_TIMEOUT_S, SlowRequest("request too slow"))
        self._deadline.start()
        try:
            result = super().handle_one_request()
        finally:
            self._deadline.close()
        if isinstance(result, tuple):  # (status, a whole answer) for a request that could not be read
            status = int(result[0])
            return result[0], security.error_response(status, UNREADABLE.get(status, "bad request"))
        return result

    def read_request(self, raw_requestline: str) -> bool:
        try:
            return bool(super().read_request(raw_requestline))
        except http.client.HTTPException as e:
            # too many header lines: pywsgi prints the traceback of anything but a
            # ValueError to stderr (the console's terminal); it is the client's error
            raise ValueError(f"unreadable headers: {e}") from None

    def start_response(self, status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        return super().start_response(status, security.with_security_headers(headers), exc_info)

    def get_environ(self) -> Environ:
        self._deadline.close()  # the request has arrived: answering it is not bounded
        environ = super().get_environ()
        environ["switchboard.socket"] = self.socket
        mirror: MirrorServer = self.server.mirror
        if security.authorize(environ, mirror.token, mirror.port) is None:
            mirror.admission.sign_in(self.socket)
        return environ

    def format_request(self) -> str:
        return security.redact(super().format_request())

    def run_application(self) -> None:
        environ = self.environ
        if environ.get("HTTP_UPGRADE", "").lower() == "websocket":
            mirror: MirrorServer = self.server.mirror
            if environ.get("PATH_INFO") != "/ws":
                problem: tuple[int, str] | None = (404, "not found")
            else:
                problem = security.authorize(environ, mirror.token, mirror.port)
            if problem is not None:
                status, message = problem
                body = security.error_body(message)
                reason = {401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}[status]
                self.start_response(f"{status} {reason}", [
                    ("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                ])
                self.result = [body]
                self.process_result()
                return
        super().run_application()


# what a request pywsgi could not read is told (its own answer has no body)
UNREADABLE = {400: "bad request: a malformed request line or headers",
              414: "request line too long"}


class _LogStream:
    """Where the hub reports a greenlet that died: our log, not stderr."""

    def __init__(self, logger: logging.Logger) -> None:
        self.logger = logger

    def write(self, text: str) -> None:
        if text.strip():
            self.logger.error("%s", text.rstrip())

    def flush(self) -> None:
        pass  # every write is already a log record


def _refuse_busy(sock: socket.socket) -> None:
    try:
        sock.sendall(security.error_response(503, "too many connections from this address; try again shortly",
                                             ("Retry-After", "1")))
    except OSError as e:
        log.debug("refused client already gone: %s", e)
    finally:
        sock.close()


class MirrorServer:
    def __init__(self, runtime: "Runtime", *, host: str, port: int, token: str | None = None,
                 queue_size: int = 256) -> None:
        self.runtime = runtime
        self.host = host
        self.port = port
        self.token = token or runtime.config.secrets.mirror_token or stable_token(runtime.config.data_dir)
        self.queue_size = queue_size
        self.dropped_clients = 0
        self._clients: set[Client] = set()  # touched only on the hub thread
        self.admission = Admission()  # every accepted connection (hub thread only)
        self._lock = threading.Lock()  # guards _hub between the publishers and stop()
        self._hub: Any = None
        self._server: WSGIServer | None = None
        self._stop_event: gevent.event.Event | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self._unsubscribe: Any = None
        self._badges_due = False  # a badge list is queued for the hub (guarded by _lock)
        self._badges_version = -1  # StateView.badges_version of the last list sent

    # --- addresses -------------------------------------------------------------

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("", "0.0.0.0", "::") else self.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def link(self) -> str:
        return f"{self.url}/?token={self.token}"

    @property
    def client_count(self) -> int:
        return len(self._clients)

    def next_external_id(self) -> int:
        return next(_EXTERNAL_IDS)

    # --- lifetime --------------------------------------------------------------

    def start(self) -> "MirrorServer":
        if self._thread is not None:
            return self
        self._thread = threading.Thread(target=self._run, name="web-mirror", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout=15):
            raise RuntimeError("the web mirror did not start within 15 s")
        if self._startup_error is not None:
            self._thread.join()
            raise self._startup_error
        self._unsubscribe = self.runtime.bus.subscribe(self._on_event)
        atexit.register(self.stop)  # a live hub thread at interpreter exit can crash it
        log.info("web mirror listening on %s", self.url)
        return self

    def stop(self) -> None:
        """Idempotent; returns once the server thread and its hub are gone."""
        atexit.unregister(self.stop)
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        with self._lock:
            if self._hub is not None and self._stop_event is not None:
                self._hub.loop.run_callback_threadsafe(self._stop_event.set)
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=15)
            if self._thread.is_alive():
                log.error("the web mirror thread did not stop within 15 s")

    def _run(self) -> None:
        hub = gevent.get_hub()
        hub.exception_stream = _LogStream(logging.getLogger("web_mirror.hub"))
        try:
            # a full pool stops accepting: waiting connections stay in the kernel's
            # backlog and hold none of this process's file handles
            server = WSGIServer((self.host, self.port), build_app(self), handler_class=MirrorHandler,
                                spawn=gevent.pool.Pool(MAX_CONNECTIONS), log=None,
                                error_log=LoggingLogAdapter(logging.getLogger("web_mirror.wsgi"), logging.WARNING))
            server.mirror = self
            server.start()
        except BaseException as e:
            self._startup_error = e
            self._ready.set()
            hub.destroy(destroy_loop=True)
            return
        self._server = server
        self.port = server.server_port
        self._stop_event = gevent.event.Event()
        with self._lock:
            self._hub = hub
        self._ready.set()
        try:
            self._stop_event.wait()
            server.close()  # no new connections
            for client in list(self._clients):
                client.abort()
            # an idle keep-alive left open would swallow the browser's next request
            self.admission.close_all()
            server.stop(timeout=2)
        except BaseException:
            log.exception("the web mirror failed while stopping")
        finally:
            with self._lock:
                self._hub = None
            self._clients.clear()
            hub.destroy(destroy_loop=True)

    # --- delivery --------------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        """Bus subscriber, on the publisher's thread: hand off, nothing more
        (a burst of badge-changing events queues one badge list)."""
        with self._lock:
            if self._hub is None:
                return
            self._hub.loop.run_callback_threadsafe(self._broadcast, event)
            if self.runtime.state.badges_version != self._badges_version and not self._badges_due:
                self._badges_due = True
                self._hub.loop.run_callback_threadsafe(self._send_badges)

    def _broadcast(self, event: Event) -> None:
        """On the hub: queue the event for every client, dropping the stuck."""
        try:
            message = text_frame(event.to_json())
            for client in list(self._clients):
                if not client.offer(message):
                    self._drop(client)
        except Exception:
            log.exception("web mirror broadcast of %s failed", event.type)

    def _send_badges(self) -> None:
        """On the hub: the badges to show now, to every browser whose list differs."""
        with self._lock:
            self._badges_due = False  # first: a change from now on queues another list
        if not self._clients:  # a browser that joins starts from the snapshot's list
            return
        try:
            self._badges_version, updates = self.runtime.state.updates_since(self._badges_version)
            if updates is None:
                return
            frame = text_frame(json.dumps({"type": "updates", "updates": [u.to_dict() for u in updates]},
                                          default=str, separators=(",", ":")))
            for client in list(self._clients):
                if client.badges != updates:
                    client.badges = updates
                    if not client.offer(frame):
                        self._drop(client)
        except Exception:
            log.exception("web mirror could not send the update badges")

    def _drop(self, client: Client) -> None:
        self._clients.discard(client)
        self.dropped_clients += 1
        log.warning("web mirror dropped a browser that stopped reading (%s)", client.address)
        client.abort()

    def snapshot(self, state: Snapshot | None = None) -> dict[str, Any]:
        """The ``snapshot`` message: the state view's snapshot (``state``, or
        one taken now) and every campaign's progress as last read."""
        snapshot = (state or self.runtime.state.snapshot()).to_dict()
        snapshot["campaigns"] = self.runtime.campaigns.latest if self.runtime.campaigns is not None else []
        return snapshot

    def serve_client(self, ws: Any, sock: socket.socket, address: Any) -> None:
        """Runs as the WebSocket request's greenlet until the browser leaves."""
        sock.settimeout(None)  # an open page may stay quiet for hours
        client = Client(ws, sock, self.queue_size, address)
        state = self.runtime.state.snapshot()
        client.badges = state.updates
        client.offer(text_frame(json.dumps(self.snapshot(state), default=str, separators=(",", ":"))))
        self._clients.add(client)  # no yield since the snapshot: no event falls between
        client.start()
        try:
            receive_until_closed(ws)
        finally:
            self._clients.discard(client)
            client.abort()
