"""Who gets a connection when a local process floods the mirror: connections
that never showed the token share a bounded part of the slots (the oldest
closed to make room), signed-in browsers keep theirs, and the operator gets
in at once rather than after the flood's timeouts. The per-address cap
counts only peers beyond this machine."""
from __future__ import annotations

import socket
import time

import pytest
import requests

from core.events import Notice
from tests.helpers import wait_for
from tests.web.conftest import TOKEN
from web_mirror import security
from web_mirror.admission import MAX_ANONYMOUS, MAX_CONNECTIONS, MAX_CONNECTIONS_PER_ADDRESS, Admission, is_loopback

AUTH = {"Authorization": f"Bearer {TOKEN}"}


class FakeSocket:
    def __init__(self) -> None:
        self.shut = False

    def shutdown(self, how: int) -> None:
        self.shut = True


def flood(port: int, count: int, request: bytes = b"") -> list[socket.socket]:
    held = []
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", port))
        if request:
            s.sendall(request)
        held.append(s)
    return held


def operator_gets_in(mirror, within_s: float) -> float:
    started = time.monotonic()
    res = requests.get(mirror.url + "/api/state", headers=AUTH, timeout=within_s)
    assert res.status_code == 200
    return time.monotonic() - started


@pytest.mark.parametrize("request_line", [b"", b"GET /api/state HTTP/1.1\r\nHost: x\r\n\r\n"],
                         ids=["idle", "refused-and-kept-alive"])
def test_the_operator_gets_in_at_once_past_a_flood_without_the_token(mirror, request_line):
    held = flood(mirror.port, 2 * MAX_CONNECTIONS, request_line)
    try:
        # before: one address (127.0.0.1) held its 64 and the operator got 503 until
        # the flood's connections timed out
        assert operator_gets_in(mirror, within_s=3) < security.REQUEST_TIMEOUT_S / 2
    finally:
        for s in held:
            s.close()


def test_signed_in_browsers_keep_their_connections_through_a_flood(mirror, runtime, ws_client):
    browsers = [ws_client() for _ in range(10)]
    for b in browsers:
        wait_for(lambda b=b: b.of("snapshot"), what="snapshot")
    held = flood(mirror.port, 3 * MAX_CONNECTIONS)
    try:
        runtime.bus.publish(Notice(level="info", text="still here"))
        for b in browsers:
            wait_for(lambda b=b: b.of("notice"), timeout=10, what="the notice on every open page")
            assert not b.closed.is_set()
        operator_gets_in(mirror, within_s=3)
    finally:
        for s in held:
            s.close()


def test_connections_without_the_token_share_a_bounded_part_and_the_oldest_make_room():
    admission = Admission()
    operator = FakeSocket()
    assert admission.admit(operator, "127.0.0.1")
    admission.sign_in(operator)
    strangers = [FakeSocket() for _ in range(MAX_ANONYMOUS + 5)]
    for s in strangers:
        assert admission.admit(s, "127.0.0.1")
    assert [s.shut for s in strangers] == [True] * 5 + [False] * MAX_ANONYMOUS
    assert not operator.shut
    admission.release(strangers[0])  # an evicted connection ending later is no error
    assert MAX_CONNECTIONS - MAX_ANONYMOUS >= 16  # room kept for signed-in browsers


def test_the_per_address_cap_counts_only_peers_beyond_this_machine():
    admission = Admission()
    far = [FakeSocket() for _ in range(MAX_CONNECTIONS_PER_ADDRESS + 1)]
    for s in far[:-1]:
        assert admission.admit(s, "192.0.2.7")
        admission.sign_in(s)
    assert not admission.admit(far[-1], "192.0.2.7")
    assert admission.admit(FakeSocket(), "192.0.2.8")  # another machine has its own share
    admission.release(far[0])
    assert admission.admit(far[-1], "192.0.2.7")
    for address in ("127.0.0.1", "127.0.0.2", "::1", "::ffff:127.0.0.1"):
        assert is_loopback(address)
        for _ in range(MAX_CONNECTIONS_PER_ADDRESS + 1):
            sock = FakeSocket()
            assert admission.admit(sock, address)
            admission.sign_in(sock)
    assert not is_loopback("192.0.2.7") and not is_loopback("") and not is_loopback("/tmp/mirror.sock")
