"""The mirror under load and abuse from a local process: connections are
capped and idle or slow ones timed out, so the app keeps its file handles;
big or rapid WebSocket frames close the socket (1009/1008) instead of
freezing it; every error is a JSON answer with the security headers; other
apps' cookies do not lock the operator out; the access log never holds the
token."""
from __future__ import annotations

import os
import socket
import time

import pytest
import requests
import websocket

from core.events import NewCallUpdateAvailable
from tests.helpers import wait_for
from tests.web.conftest import TOKEN
from web_mirror import security
from web_mirror.admission import MAX_CONNECTIONS

AUTH = {"Authorization": f"Bearer {TOKEN}"}
HUGE = 10**40


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def state_ok(mirror) -> bool:
    try:
        return requests.get(mirror.url + "/api/state", headers=AUTH, timeout=3).status_code == 200
    except requests.RequestException:
        return False


def test_half_sent_requests_cannot_exhaust_file_handles(mirror, runtime):
    before = open_fds()
    held = []
    try:
        for _ in range(3 * MAX_CONNECTIONS):
            s = socket.create_connection(("127.0.0.1", mirror.port))
            s.sendall(b"GET /api/state HTTP/1.1\r\nHost: x\r\n")  # never finished
            held.append(s)
        time.sleep(0.5)
        # the mirror accepted at most its cap (the client sockets are ours: 3 x cap)
        assert open_fds() - before - len(held) <= MAX_CONNECTIONS + 16
        # the app's own databases still open, and the operator gets in within the timeouts
        assert runtime.jobs.create_job("+12025550101", "Akhil", "the invoice", max_retries=3).id
        wait_for(lambda: state_ok(mirror), timeout=30, what="the operator's request")
    finally:
        for s in held:
            s.close()


def test_an_idle_connection_is_closed(mirror):
    s = socket.create_connection(("127.0.0.1", mirror.port))
    s.settimeout(30)
    started = time.monotonic()
    assert s.recv(100) == b""  # closed by the server, nothing sent
    assert time.monotonic() - started < security.REQUEST_TIMEOUT_S + 5
    s.close()


def test_a_dribbled_request_is_cut_off(mirror):
    s = socket.create_connection(("127.0.0.1", mirror.port))
    s.settimeout(1)
    started = time.monotonic()
    closed = False
    for ch in b"GET /api/state HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100:
        try:
            s.sendall(bytes([ch]))
            if s.recv(4096) == b"":
                closed = True
                break
        except socket.timeout:
            continue
        except OSError:
            closed = True
            break
        if time.monotonic() - started > security.REQUEST_TIMEOUT_S * 3:
            break
    s.close()
    assert closed and time.monotonic() - started < security.REQUEST_TIMEOUT_S * 2 + 3


def _ws(mirror) -> websocket.WebSocket:
    ws = websocket.create_connection(mirror.url.replace("http://", "ws://") + f"/ws?token={TOKEN}", timeout=10)
    ws.recv()  # the snapshot
    return ws


def _close_code(ws: websocket.WebSocket) -> int | None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            opcode, frame = ws.recv_data_frame(control_frame=True)
        except (websocket.WebSocketConnectionClosedException, ConnectionError):
            return None
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            return int.from_bytes(frame.data[:2], "big")
    return None


def test_a_huge_frame_is_refused_with_1009(mirror):
    ws = _ws(mirror)
    started = time.monotonic()
    try:
        ws.send("x" * (8 * 1024 * 1024))
    except (BrokenPipeError, ConnectionResetError, websocket.WebSocketException):
        pass  # closed while we were still sending: what we want
    assert _close_code(ws) in (1009, None)
    assert time.monotonic() - started < 5
    assert state_ok(mirror)


def test_a_fragmented_huge_message_is_refused_with_1009(mirror):
    ws = _ws(mirror)
    chunk = "y" * (security.WS_MESSAGE_LIMIT // 4)
    ws.send_frame(websocket.ABNF.create_frame(chunk, websocket.ABNF.OPCODE_TEXT, fin=0))
    for _ in range(5):
        try:
            ws.send_frame(websocket.ABNF.create_frame(chunk, websocket.ABNF.OPCODE_CONT, fin=0))
        except (BrokenPipeError, ConnectionResetError, websocket.WebSocketException):
            break
    assert _close_code(ws) in (1009, None)


def test_a_flood_of_tiny_frames_is_cut_off_with_1008(mirror):
    ws = _ws(mirror)
    started = time.monotonic()
    sent = 0
    try:
        for _ in range(20000):
            ws.send("a")
            sent += 1
    except (BrokenPipeError, ConnectionResetError, websocket.WebSocketException):
        pass
    assert _close_code(ws) in (1008, None)
    assert time.monotonic() - started < 10
    assert state_ok(mirror)


@pytest.mark.parametrize("method,path,body", [
    ("POST", f"/api/updates/{HUGE}/dismiss", None),
    ("POST", "/api/updates/x/dismiss", None),
    ("GET", "/nowhere", None),
    ("DELETE", "/api/state", None),
    ("POST", "/api/ui_status_update", b"[1]"),
    ("POST", "/api/ui_status_update", b"x" * (security.BODY_LIMIT + 10)),
])
def test_every_error_is_json_with_the_security_headers(mirror, method, path, body):
    r = requests.request(method, mirror.url + path, headers=AUTH, data=body, timeout=5)
    assert 400 <= r.status_code < 500, r.status_code
    assert r.headers["Content-Type"].startswith("application/json")
    assert "error" in r.json()
    for name in security.SECURITY_HEADERS:
        assert name in r.headers, name


def test_a_broken_database_is_a_json_500_with_the_security_headers(mirror, runtime):
    import sqlalchemy as sa

    job = runtime.jobs.create_job("+12025550101", "Akhil", "the invoice", max_retries=3)
    with runtime.jobs.db.engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE scheduled_calls RENAME TO gone"))
    r = requests.post(mirror.url + f"/api/updates/{job.id}/dismiss", headers=AUTH, timeout=5)
    assert r.status_code == 500
    assert r.headers["Content-Type"].startswith("application/json") and "error" in r.json()
    for name in security.SECURITY_HEADERS:
        assert name in r.headers, name


def test_an_outside_update_naming_no_job_can_be_dismissed(mirror, runtime):
    r = requests.post(mirror.url + "/api/notify_call_update_available", headers=AUTH, timeout=5,
                      json={"contact_name": "Akhil", "status_summary": "done", "job_id": 777})
    assert r.status_code == 200
    runtime.bus.publish(NewCallUpdateAvailable(contact_name="x", status_summary="y", job_id=None))
    assert any(u.job_id == 777 for u in runtime.state.updates())
    r = requests.post(mirror.url + "/api/updates/777/dismiss", headers=AUTH, timeout=5)
    assert r.status_code == 200
    assert not any(u.job_id == 777 for u in runtime.state.updates())


@pytest.mark.parametrize("others", [
    'other={"json":1}', "bad cookie; x=1", "a=b\\c", 'q="unterminated', "é=1", "x=1;;;; y",
])
def test_other_apps_cookies_do_not_lock_the_operator_out(mirror, others):
    cookie = f"{others}; {security.cookie_name(mirror.port)}={TOKEN}; after=1"
    r = requests.get(mirror.url + "/api/state", headers={"Cookie": cookie}, timeout=5)
    assert r.status_code == 200


def test_the_access_log_line_never_holds_the_token():
    line = security.redact(f"127.0.0.1 - - [x] \"GET /?token={TOKEN}&a=1 HTTP/1.1\" 303 0")
    assert TOKEN not in line and "token=" in line and "a=1" in line


def test_hostile_names_posted_to_the_mirror_arrive_exactly_as_data(mirror, runtime, ws_client):
    from tests.hostile.attacks import ATTACKS

    browser = ws_client()
    wait_for(lambda: browser.of("snapshot"), what="snapshot")
    sent = [a[:200] for a in ATTACKS.values()]
    for name in sent:
        r = requests.post(mirror.url + "/api/notify_call_update_available", headers=AUTH, timeout=5,
                          json={"contact_name": name, "status_summary": name})
        assert r.status_code == 200, r.text
    wait_for(lambda: len(browser.of("new_call_update_available")) == len(sent), what="every update broadcast")
    assert [m["contact_name"] for m in browser.of("new_call_update_available")] == sent
    assert [u.contact_name for u in runtime.state.updates()] == sent
