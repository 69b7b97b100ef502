"""The mirror's routes over real HTTP and WebSockets."""
from __future__ import annotations

import json
import re

import pytest
import requests
import websocket

from core.events import ConnectionStatus, Notice
from core.state import RECONNECTING
from tests.web.conftest import TOKEN, wait_for
from web_mirror.routes import build_app

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def test_page_is_served_with_security_headers(mirror):
    res = requests.get(mirror.url + "/", timeout=5)
    assert res.status_code == 200
    assert "text/html" in res.headers["Content-Type"]
    assert "script-src 'self'" in res.headers["Content-Security-Policy"]
    assert res.headers["X-Content-Type-Options"] == "nosniff"
    assert 'id="connection-banner"' in res.text
    assert RECONNECTING in res.text and "{{" not in res.text  # the console's words, filled in
    js = requests.get(mirror.url + "/static/mirror.js", timeout=5)
    assert js.status_code == 200 and "WebSocket" in js.text


def test_operator_link_sets_a_strict_httponly_cookie_and_redirects(mirror):
    assert mirror.link == f"{mirror.url}/?token={TOKEN}"
    res = requests.get(mirror.link, allow_redirects=False, timeout=5)
    assert res.status_code == 303 and res.headers["Location"] == "/"
    cookie = res.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower()
    session = requests.Session()
    session.get(mirror.link, timeout=5)
    assert session.get(mirror.url + "/api/state", timeout=5).status_code == 200
    assert requests.get(mirror.url + "/?token=wrong", timeout=5).status_code == 401


def test_state_needs_the_token(mirror, runtime):
    res = requests.get(mirror.url + "/api/state", timeout=5)
    assert res.status_code == 401 and "token" in res.json()["error"]
    assert requests.get(mirror.url + "/api/state", headers={"Authorization": "Bearer nope"}, timeout=5).status_code == 401
    assert requests.get(mirror.url + f"/api/state?token={TOKEN}", timeout=5).status_code == 200
    res = requests.get(mirror.url + "/api/state", headers=AUTH, timeout=5)
    assert res.status_code == 200
    body = res.json()
    assert body["type"] == "snapshot" and body["mode"] == "simulate"
    assert set(body) >= {"connection", "jobs", "updates", "transcript"}


@pytest.mark.parametrize("path", ["/api/ui_status_update", "/api/notify_call_update_available", "/api/updates/1/dismiss"])
def test_posts_need_the_token(mirror, recorder, path):
    res = requests.post(mirror.url + path, json={"status": "connected", "message": ""}, timeout=5)
    assert res.status_code == 401
    assert "error" in res.json()
    assert not recorder.of("connection_status") and not recorder.of("call_update_dismissed")


def _request_every_route(mirror, **kw) -> dict[tuple[str, str], requests.Response]:
    """One request to each route the mirror's app declares (path parameters filled in)."""
    answers = {}
    for route in build_app(mirror).routes:
        path = re.sub(r"<path:\w+>", "mirror.js", re.sub(r"<\w+>", "1", route.rule))
        answers[(route.method, route.rule)] = requests.request(route.method, mirror.url + path, timeout=5, **kw)
    return answers


def test_every_route_but_the_page_and_its_files_needs_the_token(mirror, recorder):
    answers = _request_every_route(mirror)
    public = {rule for (_, rule), res in answers.items() if res.status_code != 401}
    assert public == {"/", "/static/<path:path>"}
    assert len(answers) >= 7
    for res in answers.values():
        if res.status_code == 401:
            assert "token" in res.json()["error"]
            assert res.headers["X-Frame-Options"] == "DENY"
    assert not recorder.events


def test_every_route_but_the_page_and_its_files_refuses_another_origin(mirror, recorder):
    answers = _request_every_route(mirror, headers={**AUTH, "Origin": "http://evil.example"})
    assert {rule for (_, rule), res in answers.items() if res.status_code != 403} == {"/", "/static/<path:path>"}
    assert not recorder.events


def test_status_update_is_published_and_broadcast(mirror, runtime, recorder, ws_client):
    browser = ws_client()
    wait_for(lambda: browser.of("snapshot"), what="snapshot")
    body = {"type": "connection_status", "status": "connected", "message": "Agent is connected."}
    res = requests.post(mirror.url + "/api/ui_status_update", json=body, headers=AUTH, timeout=5)
    assert res.status_code == 200
    event = recorder.of("connection_status")[0]
    assert isinstance(event, ConnectionStatus) and event.status == "connected"
    got = wait_for(lambda: browser.of("connection_status"), what="broadcast")[0]
    assert got["status"] == "connected" and got["message"] == "Agent is connected." and got["ts"]
    assert runtime.state.connection.status == "connected"


@pytest.mark.parametrize("path, body, field", [
    ("/api/ui_status_update", b"not json", "body"),
    ("/api/ui_status_update", b"[1, 2]", "body"),
    ("/api/ui_status_update", {"status": "maybe", "message": ""}, "status"),
    ("/api/ui_status_update", {"status": "connected", "message": 5}, "message"),
    ("/api/ui_status_update", {"type": "other", "status": "connected", "message": ""}, "type"),
    ("/api/ui_status_update", {"status": "connected", "message": "", "extra": 1}, "extra"),
    ("/api/notify_call_update_available", {"status_summary": "done"}, "contact_name"),
    ("/api/notify_call_update_available", {"contact_name": "  ", "status_summary": "done"}, "contact_name"),
    ("/api/notify_call_update_available", {"contact_name": "Akhil", "status_summary": ["x"]}, "status_summary"),
    ("/api/notify_call_update_available", {"contact_name": "Akhil", "status_summary": "", "job_id": "7"}, "job_id"),
    ("/api/notify_call_update_available", {"contact_name": "Akhil", "status_summary": "", "job_id": True}, "job_id"),
    ("/api/updates/seven/dismiss", {}, "job_id"),
])
def test_bad_bodies_are_400_naming_the_field(mirror, recorder, path, body, field):
    kw = {"data": body} if isinstance(body, bytes) else {"json": body}
    res = requests.post(mirror.url + path, headers=AUTH, timeout=5, **kw)
    assert res.status_code == 400, res.text
    assert res.json()["error"].startswith(field)
    assert not recorder.of("connection_status") and not recorder.of("new_call_update_available")


@pytest.mark.parametrize("path", ["/api/ui_status_update", "/api/notify_call_update_available", "/api/updates/1/dismiss"])
def test_bodies_over_64_kib_are_413(mirror, path):
    big = json.dumps({"status": "connected", "message": "x" * (64 * 1024)})
    res = requests.post(mirror.url + path, data=big, headers=AUTH, timeout=5)
    assert res.status_code == 413
    chunked = requests.post(mirror.url + path, data=iter([big.encode()]), headers=AUTH, timeout=5)
    assert chunked.status_code == 413


def test_outside_update_gets_an_id_and_dismiss_removes_it_everywhere(mirror, runtime, recorder, ws_client):
    browser = ws_client()
    body = {"type": "new_call_update_available", "contact_name": "Akhil", "status_summary": "Invoice paid."}
    res = requests.post(mirror.url + "/api/notify_call_update_available", json=body, headers=AUTH, timeout=5)
    assert res.status_code == 200
    badge_id = res.json()["job_id"]
    assert isinstance(badge_id, int) and badge_id < 0
    got = wait_for(lambda: browser.of("new_call_update_available"), what="badge event")[0]
    assert got["job_id"] == badge_id and got["contact_name"] == "Akhil"
    assert [u.job_id for u in runtime.state.updates()] == [badge_id]

    res = requests.post(mirror.url + f"/api/updates/{badge_id}/dismiss", headers=AUTH, timeout=5)
    assert res.status_code == 200
    assert recorder.of("call_update_dismissed")[0].job_id == badge_id
    assert runtime.state.updates() == []
    assert wait_for(lambda: browser.of("call_update_dismissed"), what="dismiss event")[0]["job_id"] == badge_id


def test_dismissing_a_job_badge_is_persisted(mirror, runtime, recorder):
    job = runtime.jobs.create_job("+12025550101", "Akhil", "Ask about the invoice", max_retries=3)
    runtime.jobs.update_job(job.id, overall_status="COMPLETED_SUCCESS", final_summary_for_main_agent="Paid.")
    runtime.bus.publish(ConnectionStatus(status="connected", message=""))
    assert [u.job_id for u in runtime.state.updates()] == [job.id]
    res = requests.post(mirror.url + f"/api/updates/{job.id}/dismiss", headers=AUTH, timeout=5)
    assert res.status_code == 200
    assert runtime.jobs.get_job(job.id).update_dismissed is True
    assert runtime.state.updates() == []


def test_dismissing_an_unknown_job_is_404(mirror, recorder):
    res = requests.post(mirror.url + "/api/updates/999/dismiss", headers=AUTH, timeout=5)
    assert res.status_code == 404 and res.json()["error"].startswith("job_id")
    assert not recorder.of("call_update_dismissed")


def test_websocket_needs_the_token(mirror):
    url = mirror.url.replace("http://", "ws://") + "/ws"
    with pytest.raises(websocket.WebSocketBadStatusException) as err:
        websocket.create_connection(url, timeout=5)
    assert err.value.status_code == 401
    with pytest.raises(websocket.WebSocketBadStatusException) as err:
        websocket.create_connection(url + "?token=wrong", timeout=5)
    assert err.value.status_code == 401


def test_websocket_refuses_another_origin(mirror, ws_client):
    url = mirror.url.replace("http://", "ws://") + f"/ws?token={TOKEN}"
    with pytest.raises(websocket.WebSocketBadStatusException) as err:
        websocket.create_connection(url, timeout=5, origin="http://evil.example:8765")
    assert err.value.status_code == 403
    port = mirror.url.rsplit(":", 1)[1]
    with pytest.raises(websocket.WebSocketBadStatusException) as err:
        websocket.create_connection(url, timeout=5, origin=f"http://127.0.0.1:{int(port) + 1}")
    assert err.value.status_code == 403
    same = ws_client(origin=mirror.url)
    assert wait_for(lambda: same.of("snapshot"), what="snapshot")


def test_snapshot_first_then_events_in_order(mirror, runtime, ws_client):
    runtime.bus.publish(ConnectionStatus(status="connected", message="up"))
    browser = ws_client()
    wait_for(lambda: browser.messages, what="first message")
    first = browser.messages[0]
    assert first["type"] == "snapshot" and first["connection"]["status"] == "connected"
    for i in range(50):
        runtime.bus.publish(Notice(level="info", text=f"n{i}"))
    wait_for(lambda: len(browser.of("notice")) == 50, what="50 notices")
    assert [m["text"] for m in browser.of("notice")] == [f"n{i}" for i in range(50)]


def test_frames_of_every_length_and_non_ascii_text_arrive_intact(mirror, runtime, ws_client):
    browser = ws_client()
    wait_for(lambda: browser.of("snapshot"), what="snapshot")
    texts = ["x" * n for n in range(40, 140)] + ["y" * n for n in (65_400, 65_490, 65_536, 70_000)]
    texts += ["Akhil \u00e9\u00e8 \u2603 \U0001F4DE", "\u65e5\u672c" * 5000]
    for text in texts:
        runtime.bus.publish(Notice(level="info", text=text))
    wait_for(lambda: len(browser.of("notice")) == len(texts), what="every notice")
    assert [m["text"] for m in browser.of("notice")] == texts
