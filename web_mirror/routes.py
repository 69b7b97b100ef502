"""The mirror's HTTP routes (docs/interfaces.md, "Web mirror").

The server runs every request as a greenlet of one OS thread, while
bottle's ``request``/``response`` are thread-locals: a handler that yields
(reads its body) could see another request's. So each handler takes the
environ first, before any I/O, and returns a complete ``HTTPResponse``.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import bottle
import gevent
from geventwebsocket.exceptions import WebSocketError

from core.events import ConnectionStatus, NewCallUpdateAvailable
from web_mirror import security
from web_mirror.security import BadRequest

if TYPE_CHECKING:
    from web_mirror.server import MirrorServer

log = logging.getLogger(__name__)

FRONTEND = Path(__file__).resolve().parent.parent / "frontend"


def _json(data: Any, status: int = 200, **headers: str) -> bottle.HTTPResponse:
    body = json.dumps(data, default=str, separators=(",", ":"))
    return bottle.HTTPResponse(body, status, {"Content-Type": "application/json", **headers})


def _error(status: int, message: str) -> bottle.HTTPResponse:
    return _json({"error": message}, status)


def build_app(mirror: "MirrorServer") -> bottle.Bottle:
    app = bottle.Bottle(catchall=True)

    def refused(environ: dict[str, Any]) -> bottle.HTTPResponse | None:
        problem = security.authorize(environ, mirror.token, mirror.port)
        return _error(*problem) if problem else None

    def body_of(environ: dict[str, Any]) -> dict[str, Any]:
        return security.json_object(security.read_body(environ))

    @app.hook("after_request")
    def _headers() -> None:
        for name, value in security.SECURITY_HEADERS.items():
            bottle.response.set_header(name, value)

    @app.get("/")
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
        return bottle.static_file("index.html", root=str(FRONTEND), mimetype="text/html", charset="utf-8")

    @app.get("/static/<path:path>")
    def static(path: str) -> bottle.HTTPResponse:
        return bottle.static_file(path, root=str(FRONTEND / "static"), charset="utf-8")

    @app.get("/api/state")
    def state() -> bottle.HTTPResponse:
        no = refused(bottle.request.environ)
        if no is not None:
            return no
        return _json(mirror.runtime.state.snapshot())

    @app.post("/api/ui_status_update")
    def ui_status_update() -> bottle.HTTPResponse:
        environ = bottle.request.environ
        no = refused(environ)
        if no is not None:
            return no
        try:
            fields = security.connection_status(body_of(environ))
        except BadRequest as e:
            return _error(e.status, str(e))
        event = mirror.runtime.bus.publish(ConnectionStatus(**fields))
        return _json(event.to_dict())

    @app.post("/api/notify_call_update_available")
    def notify_call_update_available() -> bottle.HTTPResponse:
        environ = bottle.request.environ
        no = refused(environ)
        if no is not None:
            return no
        try:
            fields = security.call_update(body_of(environ))
        except BadRequest as e:
            return _error(e.status, str(e))
        if fields["job_id"] is None:
            # a badge needs an id every view agrees on, so the browser can dismiss it
            fields["job_id"] = mirror.next_external_id()
        event = mirror.runtime.bus.publish(NewCallUpdateAvailable(**fields))
        return _json(event.to_dict())

    @app.post("/api/updates/<job_id>/dismiss")
    def dismiss(job_id: str) -> bottle.HTTPResponse:
        environ = bottle.request.environ
        no = refused(environ)
        if no is not None:
            return no
        try:
            security.read_body(environ)  # ignored, but capped like every body
            number = int(job_id)
        except BadRequest as e:
            return _error(e.status, str(e))
        except ValueError:
            return _error(400, "job_id: expected an integer")
        # the database may be slow (PostgreSQL): a real thread, so the hub keeps delivering
        found = gevent.get_hub().threadpool.apply(_dismiss, (mirror.runtime, number))
        if not found:
            return _error(404, f"job_id: no job {number}")
        return _json({"ok": True, "job_id": number})

    @app.get("/ws")
    def websocket() -> bottle.HTTPResponse | None:
        environ = bottle.request.environ
        ws = environ.get("wsgi.websocket")
        if ws is None:
            return _error(400, "this is a WebSocket endpoint")
        # authorised by the handler before the upgrade (server.MirrorHandler)
        mirror.serve_client(ws, environ["switchboard.socket"], environ.get("REMOTE_ADDR"))
        return None

    @app.error(404)
    def not_found(err: bottle.HTTPError) -> str:
        bottle.response.content_type = "application/json"
        return json.dumps({"error": "not found"})

    @app.error(405)
    def not_allowed(err: bottle.HTTPError) -> str:
        bottle.response.content_type = "application/json"
        return json.dumps({"error": "method not allowed"})

    return app


def _dismiss(runtime: Any, job_id: int) -> bool:
    if job_id > 0 and runtime.jobs.get_job(job_id) is None:
        return False
    runtime.actions.dismiss_update(job_id)
    return True


def receive_until_closed(ws: Any) -> None:
    """The browser sends nothing we act on; reading finds its close."""
    try:
        while ws.receive() is not None:
            pass
    except (WebSocketError, OSError) as e:
        log.debug("mirror client closed: %s", e)
