"""Requests the mirror's HTTP server cannot read, sent over raw sockets:
each gets a JSON error with the security headers (not the server library's
bare 400/414), the connection closes, and nothing is printed to the
terminal the console draws on."""
from __future__ import annotations

import json
import socket

import pytest

from tests.web.conftest import TOKEN
from web_mirror import security

GOOD_HEAD = b"Host: x\r\nAuthorization: Bearer " + TOKEN.encode() + b"\r\n"
UNREADABLE = {
    "request line too long": (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    "not a request line": (b"GARBAGE\r\n\r\n", 400),
    "unknown HTTP version": (b"GET / HTTP/9.9\r\nHost: x\r\n\r\n", 400),
    "HTTP/0.9 POST": (b"POST /\r\n\r\n", 400),
    "Content-Length not a number": (b"POST /api/state HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400),
    "negative Content-Length": (b"POST /api/state HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n", 400),
    "too many headers": (b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(150)) + b"\r\n", 400),
    "a header line too long": (b"GET / HTTP/1.1\r\nX: " + b"a" * 70_000 + b"\r\n\r\n", 400),
    "HEAD with a body": (b"HEAD / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", 400),
    "malformed chunked body": (b"POST /api/ui_status_update HTTP/1.1\r\n" + GOOD_HEAD
                               + b"Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", 400),
    "WebSocket upgrade of an unknown version": (
        b"GET /ws HTTP/1.1\r\n" + GOOD_HEAD + b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 99\r\n\r\n", 400),
}


def exchange(port: int, data: bytes) -> bytes:
    """Send ``data`` and read until the server closes the connection."""
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.settimeout(security.REQUEST_TIMEOUT_S + 5)
        s.sendall(data)
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    return answer


def parse(answer: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


@pytest.mark.parametrize("case", list(UNREADABLE))
def test_an_unreadable_request_gets_a_json_error_with_the_security_headers(mirror, capfd, case):
    request, expected = UNREADABLE[case]
    status, headers, body = parse(exchange(mirror.port, request))  # read to the end: the server closed
    assert status == expected
    for name, value in security.SECURITY_HEADERS.items():
        assert headers.get(name.lower()) == value, name
    if case != "WebSocket upgrade of an unknown version":  # the WebSocket library's own answer has no body
        assert headers["content-type"] == "application/json"
        assert json.loads(body)["error"]
    assert capfd.readouterr().err == ""


def test_the_mirror_still_answers_after_every_unreadable_request(mirror):
    for request, _ in UNREADABLE.values():
        exchange(mirror.port, request)
    status, headers, body = parse(exchange(mirror.port, b"GET /api/state HTTP/1.1\r\n" + GOOD_HEAD
                                           + b"Connection: close\r\n\r\n"))
    assert status == 200 and json.loads(body)["type"] == "snapshot"
