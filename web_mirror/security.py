"""Who may use the mirror: the token (bearer header, ?token= or the cookie
set by the operator's link), the Origin of browser requests, the headers
every response carries, and the POST bodies' schemas."""
from __future__ import annotations

import hmac
import json
from http import HTTPStatus
from typing import Any, Iterable, Mapping
from urllib.parse import parse_qs, urlsplit

from core.text import hide_tokens

BODY_LIMIT = 64 * 1024
# the browser sends nothing we act on: any frame bigger than this, or more
# frames than a browser would ever send, is an attack (RFC 6455 close codes)
WS_FRAME_LIMIT = 64 * 1024
WS_MESSAGE_LIMIT = 64 * 1024
WS_FRAMES_PER_S = 100
WS_CONTROL_FRAMES_PER_S = 1000  # pings: each costs us a pong
# a request's line and headers must arrive within this, and a keep-alive
# connection is closed after this long idle
REQUEST_TIMEOUT_S = 5.0

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}

Body = dict[str, Any]  # a request's JSON object, as parsed
Environ = dict[str, Any]  # a WSGI request's environ


class BadRequest(Exception):
    """A body that is not the schema; the message names the field. With
    ``close``, the connection cannot be read further and is closed after
    the answer."""

    def __init__(self, message: str, status: int = 400, *, close: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.close = close


def with_security_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """``headers`` and every security header the response does not set itself."""
    headers = list(headers)
    present = {name.lower() for name, _ in headers}
    return headers + [(name, value) for name, value in SECURITY_HEADERS.items() if name.lower() not in present]


def error_response(status: int, message: str, *headers: tuple[str, str]) -> bytes:
    """A whole HTTP/1.1 error answer (JSON body, security headers), for a
    connection that closes after it."""
    body = error_body(message)
    fields = with_security_headers([("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                                    ("Connection", "close"), *headers])
    head = f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields)
    return head.encode("latin-1") + b"\r\n" + body


def cookie_name(port: int) -> str:
    # cookies ignore the port: two mirrors on one host keep separate cookies
    return f"switchboard_mirror_{port}"


def token_matches(given: str | None, token: str) -> bool:
    return bool(given) and hmac.compare_digest(str(given).encode(), token.encode())


def bearer(environ: Mapping[str, Any]) -> str | None:
    header = environ.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def query_token(environ: Mapping[str, Any]) -> str | None:
    values = parse_qs(environ.get("QUERY_STRING", "")).get("token")
    return values[0] if values else None


def cookie_token(environ: Mapping[str, Any], port: int) -> str | None:
    """Our cookie's value, whatever else the header holds: other apps on
    127.0.0.1 set cookies a strict parser rejects (http.cookies stops at the
    first one), and they must not lock the operator out."""
    name = cookie_name(port)
    for pair in environ.get("HTTP_COOKIE", "").split(";"):
        key, sep, value = pair.partition("=")
        if sep and key.strip() == name:
            return value.strip().strip('"')
    return None


def origin_ok(environ: Mapping[str, Any]) -> bool:
    """Same host:port as the request, or no Origin at all (not a browser)."""
    origin = environ.get("HTTP_ORIGIN")
    if origin is None:
        return True
    parts = urlsplit(origin)
    host = environ.get("HTTP_HOST", "")
    return parts.scheme in ("http", "https") and bool(host) and parts.netloc.lower() == host.lower()


def authorize(environ: Mapping[str, Any], token: str, port: int) -> tuple[int, str] | None:
    """None when allowed, else (status, message)."""
    if not origin_ok(environ):
        return 403, "cross-origin request refused"
    for given in (bearer(environ), query_token(environ), cookie_token(environ, port)):
        if token_matches(given, token):
            return None
    return 401, "missing or wrong token: open the link the console shows, or send Authorization: Bearer <token>"


def redact(line: str) -> str:
    """A request line (or log line) with any ``token=`` value hidden."""
    return hide_tokens(line)


def error_body(message: str) -> bytes:
    return json.dumps({"error": message}).encode()


# --- bodies ----------------------------------------------------------------

def read_body(environ: Mapping[str, Any]) -> bytes:
    raw_length = environ.get("CONTENT_LENGTH") or ""
    if raw_length:
        try:
            length = int(raw_length)
        except ValueError:
            raise BadRequest("Content-Length is not a number") from None
        if length > BODY_LIMIT:
            raise BadRequest(f"body over {BODY_LIMIT} bytes", status=413)
    else:
        length = BODY_LIMIT + 1  # chunked: read at most one byte past the cap
    try:
        data = environ["wsgi.input"].read(length) if length > 0 else b""
    except (OSError, ValueError):  # a malformed chunk, or the body stalled: the stream is lost
        raise BadRequest("body: could not be read (malformed chunked encoding, or it stopped arriving)",
                         close=True) from None
    if len(data) > BODY_LIMIT:
        raise BadRequest(f"body over {BODY_LIMIT} bytes", status=413)
    return data


def json_object(body: bytes) -> Body:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BadRequest("body: not valid JSON") from None
    if not isinstance(data, dict):
        raise BadRequest("body: expected a JSON object")
    return data


def _string(data: Body, name: str, *, required: bool = True, nonempty: bool = False,
            limit: int = 4000) -> str:
    value = data.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise BadRequest(f"{name}: expected a string")
    if nonempty and not value.strip():
        raise BadRequest(f"{name}: must not be empty")
    if len(value) > limit:
        raise BadRequest(f"{name}: longer than {limit} characters")
    return value


def _check_keys(data: Body, allowed: set[str], kind: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise BadRequest(f"{unknown[0]}: unknown field")
    if "type" in data and data["type"] != kind:
        raise BadRequest(f"type: expected {kind!r}")


def connection_status(data: Body) -> dict[str, str]:
    _check_keys(data, {"type", "status", "message", "ts"}, "connection_status")
    status = data.get("status")
    if status not in ("connected", "disconnected"):
        raise BadRequest("status: expected 'connected' or 'disconnected'")
    return {"status": status, "message": _string(data, "message", required=False)}


def call_update(data: Body) -> Body:
    _check_keys(data, {"type", "contact_name", "status_summary", "job_id", "ts"}, "new_call_update_available")
    job_id = data.get("job_id")
    if job_id is not None and (isinstance(job_id, bool) or not isinstance(job_id, int)):
        raise BadRequest("job_id: expected an integer or null")
    return {
        "contact_name": _string(data, "contact_name", nonempty=True, limit=200),
        "status_summary": _string(data, "status_summary"),
        "job_id": job_id,
    }
