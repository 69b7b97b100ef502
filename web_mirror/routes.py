"""The mirror's HTTP routes (docs/interfaces.md, "Web mirror").

The server runs every request as a greenlet of one OS thread, while
bottle's ``request``/``response`` are thread-locals: a handler that yields
(reads its body) could see another request's. So each handler takes the
environ first, before any I/O, and returns a complete ``HTTPResponse``.

Every route needs the token (``TokenRequired``) unless it is declared
``public=True``: only the page and its static files, which hold no data.
"""
from __future__ import annotations

import functools
import json
import logging
import struct
import time
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import bottle
import gevent
from geventwebsocket.exceptions import WebSocketError
from geventwebsocket.websocket import Header, WebSocket

from core.events import ConnectionStatus, NewCallUpdateAvailable
from core.state import RECONNECTING
from web_mirror import security
from web_mirror.security import BadRequest, Body, Environ

if TYPE_CHECKING:
    from web_mirror.server import MirrorServer

log = logging.getLogger(__name__)

FRONTEND = Path(__file__).resolve().parent.parent / "frontend"


def _json(data: Any, status: int = 200, **headers: str) -> bottle.HTTPResponse:
    body = json.dumps(data, default=str, separators=(",", ":"))
    return bottle.HTTPResponse(body, status, {"Content-Type": "application/json", **headers})


def _error(status: int, message: str) -> bottle.HTTPResponse:
    return _json({"error": message}, status)


def _refused(e: BadRequest) -> bottle.HTTPResponse:
    return _json({"error": str(e)}, e.status, **({"Connection": "close"} if e.close else {}))


class TokenRequired:
    """Bottle plugin: a route answers only a request with the token and,
    from a browser, our own Origin (``security.authorize``); 401/403
    otherwise. A route declared ``public=True`` is left as it is."""
    name = "token_required"
    api = 2

    def __init__(self, mirror: "MirrorServer") -> None:
        self.mirror = mirror

    def apply(self, callback: Callable[..., Any], route: bottle.Route) -> Callable[..., Any]:
        if route.config.get("public"):
            return callback
        mirror = self.mirror

        @functools.wraps(callback)
        def checked(*args: Any, **kwargs: Any) -> Any:
            problem = security.authorize(bottle.request.environ, mirror.token, mirror.port)
            if problem is not None:
                return _error(*problem)
            return callback(*args, **kwargs)

        return checked


def build_app(mirror: "MirrorServer") -> bottle.Bottle:
    app = bottle.Bottle(catchall=True)
    app.install(TokenRequired(mirror))
    page = index_page()

    def body_of(environ: Environ) -> Body:
        return security.json_object(security.read_body(environ))

    @app.get("/", public=True)  # the operator's link (?token=) signs the browser in here
    def index() -> bottle.HTTPResponse:
        environ = bottle.request.environ
        given = security.query_token(environ)
        if given is not None:
            if not security.token_matches(given, mirror.token):
                return bottle.HTTPResponse("Wrong token: open the link the console shows.", 401,
                                           {"Content-Type": "text/plain; charset=utf-8"})
            res = bottle.HTTPResponse(status=303, headers={"Location": "/"})
            res.set_cookie(security.cookie_name(mirror.port), mirror.token, httponly=True,
                           samesite="Strict", path="/")
            return res
        return bottle.HTTPResponse(page, 200, {"Content-Type": "text/html; charset=utf-8"})

    @app.get("/static/<path:path>", public=True)
    def static(path: str) -> bottle.HTTPResponse:
        return bottle.static_file(path, root=str(FRONTEND / "static"), charset="utf-8")

    @app.get("/api/state")
    def state() -> bottle.HTTPResponse:
        return _json(mirror.snapshot())

    @app.post("/api/ui_status_update")
    def ui_status_update() -> bottle.HTTPResponse:
        environ = bottle.request.environ
        try:
            fields = security.connection_status(body_of(environ))
        except BadRequest as e:
            return _refused(e)
        event = mirror.runtime.bus.publish(ConnectionStatus(**fields))
        return _json(event.to_dict())

    @app.post("/api/notify_call_update_available")
    def notify_call_update_available() -> bottle.HTTPResponse:
        environ = bottle.request.environ
        try:
            fields = security.call_update(body_of(environ))
        except BadRequest as e:
            return _refused(e)
        if fields["job_id"] is None:
            # a badge needs an id every view agrees on, so the browser can dismiss it
            fields["job_id"] = mirror.next_external_id()
        event = mirror.runtime.bus.publish(NewCallUpdateAvailable(**fields))
        return _json(event.to_dict())

    @app.post("/api/updates/<job_id>/dismiss")
    def dismiss(job_id: str) -> bottle.HTTPResponse:
        environ = bottle.request.environ
        try:
            security.read_body(environ)  # ignored, but capped like every body
            number = int(job_id)
        except BadRequest as e:
            return _refused(e)
        except ValueError:
            return _error(400, "job_id: expected an integer")
        # the database may be slow (PostgreSQL): a real thread, so the hub keeps delivering
        try:
            found = gevent.get_hub().threadpool.apply(_dismiss, (mirror.runtime, number))
        except Exception:  # the database failed: logged in full, the browser gets a clear word
            log.exception("dismissing the update of job %s failed", number)
            return _error(500, f"could not dismiss job {number}: the database failed (see switchboard.log)")
        if not found:
            return _error(404, f"job_id: no job {number}")
        return _json({"ok": True, "job_id": number})

    @app.get("/ws")
    def websocket() -> bottle.HTTPResponse | None:
        environ = bottle.request.environ
        ws = environ.get("wsgi.websocket")
        if ws is None:
            return _error(400, "this is a WebSocket endpoint")
        # the handler checked the token before the upgrade too (server.MirrorHandler),
        # so a refused WebSocket gets a real 401/403 rather than a closed socket
        mirror.serve_client(ws, environ["switchboard.socket"], environ.get("REMOTE_ADDR"))
        return None

    # (the security headers are added to every answer by server.MirrorHandler)
    def error_page(message: str) -> Any:
        def page(err: bottle.HTTPError) -> str:
            bottle.response.content_type = "application/json"
            return json.dumps({"error": message})
        return page

    for status, message in ERROR_PAGES.items():
        app.error(status)(error_page(message))
    return app


ERROR_PAGES = {
    400: "bad request", 404: "not found", 405: "method not allowed", 413: "request too large",
    500: "internal error: see switchboard.log",
}


def index_page() -> bytes:
    """The page, with the words the console also uses filled in."""
    html = (FRONTEND / "index.html").read_text(encoding="utf-8")
    return html.replace("{{reconnecting}}", escape(RECONNECTING)).encode("utf-8")


def _dismiss(runtime: Any, job_id: int) -> bool:
    """Known jobs and badges only: an outside update may name any id."""
    if not runtime.state.has_update(job_id) and runtime.jobs.get_job(job_id) is None:
        return False
    runtime.actions.dismiss_update(job_id)
    return True


CLOSE_TOO_BIG, CLOSE_POLICY, CLOSE_PROTOCOL = 1009, 1008, 1002
DATA_OPCODES = (WebSocket.OPCODE_TEXT, WebSocket.OPCODE_BINARY, WebSocket.OPCODE_CONTINUATION)


def receive_until_closed(ws: Any) -> None:
    """The browser sends nothing we act on; reading finds its close. Frames
    are read header first, so a frame or message over the limit is refused
    (1009) before its payload is read, and a flood is cut off (1008)."""
    message = 0
    window, frames, controls = time.monotonic(), 0, 0
    try:
        while True:
            header = Header.decode_header(ws.stream)
            if header.flags:
                return _close(ws, CLOSE_PROTOCOL, "reserved bits set")
            if header.length > security.WS_FRAME_LIMIT:
                return _close(ws, CLOSE_TOO_BIG, "frame too big")
            payload = ws.raw_read(header.length) if header.length else b""
            if len(payload) != header.length:
                return  # the browser went away mid-frame
            if header.mask:
                payload = header.unmask_payload(payload)
            if header.opcode == WebSocket.OPCODE_CLOSE:
                ws.handle_close(header, payload)
                return
            now = time.monotonic()
            if now - window >= 1.0:
                window, frames, controls = now, 0, 0
            if header.opcode in DATA_OPCODES:
                frames += 1
            else:
                controls += 1
            if frames > security.WS_FRAMES_PER_S or controls > security.WS_CONTROL_FRAMES_PER_S:
                return _close(ws, CLOSE_POLICY, "too many frames")
            if header.opcode == WebSocket.OPCODE_PING:
                ws.handle_ping(header, payload)
            elif header.opcode in DATA_OPCODES:
                message = (message if header.opcode == WebSocket.OPCODE_CONTINUATION else 0) + len(payload)
                if message > security.WS_MESSAGE_LIMIT:
                    return _close(ws, CLOSE_TOO_BIG, "message too big")
                if header.fin:
                    message = 0
    except (WebSocketError, OSError) as e:
        log.debug("mirror client closed: %s", e)


def _close(ws: Any, code: int, reason: str) -> None:
    """A close frame with its status code (the library's close() sends none)."""
    log.warning("web mirror closed a browser connection: %s (%d)", reason, code)
    try:
        ws.send_frame(struct.pack("!H", code) + reason.encode(), WebSocket.OPCODE_CLOSE)
    except (WebSocketError, OSError) as e:
        log.debug("close frame not delivered: %s", e)
