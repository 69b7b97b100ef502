"""The Ultravox REST simulator, driven with ``requests``."""
from __future__ import annotations

import uuid
from urllib.parse import parse_qs, urlsplit

import requests

from tests.sim_http.conftest import wait_for


def test_wrong_key_is_401(cluster, calls) -> None:
    s = cluster.secrets
    r = requests.post(f"{calls.base}/agents/{s.ultravox_agent_id}/calls", json={},
                      headers={"X-API-Key": "nope"})
    assert r.status_code == 401 and r.json() == {"detail": "Invalid API key."}
    assert requests.get(f"{calls.base}/calls").status_code == 401


def test_unknown_agent_is_404(calls) -> None:
    r = calls.uv.post(f"{calls.base}/agents/{uuid.uuid4()}/calls", json={"medium": {"twilio": {}}})
    assert r.status_code == 404 and "detail" in r.json()


def test_created_call_object(cluster, calls) -> None:
    r = calls.create_uv({"contact_name": "Akhil", "call_objective": "pay the invoice"}, {"attempt_id": "a-1"})
    assert r.status_code == 201
    c = r.json()
    uuid.UUID(c["callId"])
    assert c["joined"] is None and c["ended"] is None and c["endReason"] is None
    assert c["metadata"] == {"attempt_id": "a-1"}
    assert c["templateContext"]["call_objective"] == "pay the invoice"
    assert c["created"].endswith("Z")
    join = urlsplit(c["joinUrl"])
    assert join.scheme == "wss" and join.netloc == urlsplit(cluster.urls["ultravox_base_url"]).netloc
    assert "&" in join.query and parse_qs(join.query)["token"]
    assert calls.get(c["callId"]) == c


def test_bad_bodies_are_400(calls) -> None:
    s = calls.cluster.secrets
    url = f"{calls.base}/agents/{s.ultravox_agent_id}/calls"
    assert calls.uv.post(url, data="nope", headers={"Content-Type": "application/json"}).status_code == 400
    assert calls.uv.post(url, json={"metadata": "x"}).status_code == 400


def test_find_a_call_by_metadata(calls) -> None:
    tag = uuid.uuid4().hex
    mine = calls.create_uv(metadata={"attempt_id": tag}).json()
    calls.create_uv(metadata={"attempt_id": "other"})
    r = calls.uv.get(f"{calls.base}/calls", params={"metadata.attempt_id": tag})
    assert r.status_code == 200
    page = r.json()
    assert page["total"] == 1 and [c["callId"] for c in page["results"]] == [mine["callId"]]
    none = calls.uv.get(f"{calls.base}/calls", params={"metadata.attempt_id": "missing"}).json()
    assert none["total"] == 0 and none["results"] == [] and none["next"] is None


def test_unknown_call_is_404(calls) -> None:
    missing = uuid.uuid4()
    assert calls.uv.get(f"{calls.base}/calls/{missing}").status_code == 404
    assert calls.uv.get(f"{calls.base}/calls/{missing}/messages").status_code == 404
    assert calls.uv.delete(f"{calls.base}/calls/{missing}").status_code == 404


def test_concurrency_limit_is_429_with_retry_after(calls) -> None:
    limit = calls.cluster.ultravox.max_concurrent
    made = [calls.create_uv() for _ in range(limit)]
    assert all(r.status_code == 201 for r in made)
    over = calls.create_uv()
    assert over.status_code == 429
    assert int(over.headers["Retry-After"]) >= 1 and "detail" in over.json()
    assert calls.uv.delete(f"{calls.base}/calls/{made[0].json()['callId']}").status_code == 204
    assert calls.create_uv().status_code == 201


def test_call_nobody_joins_ends_unjoined(calls) -> None:
    uv = calls.cluster.ultravox
    uv.join_timeout_s = 1.0  # simulated seconds: 1 / speed of real time
    try:
        call_id = calls.create_uv().json()["callId"]
    finally:
        uv.join_timeout_s = 600.0
    ended = calls.wait_ended(call_id)
    assert ended["endReason"] == "unjoined" and ended["joined"] is None


def test_delete_hangs_up_a_running_call_and_its_leg(calls, slow_calls) -> None:
    call_id, sid = calls.place("+12025550109")  # long_call: still talking when deleted
    wait_for(lambda: calls.get(call_id)["joined"])
    assert calls.uv.delete(f"{calls.base}/calls/{call_id}").status_code == 204
    assert calls.uv.get(f"{calls.base}/calls/{call_id}").status_code == 404
    leg = wait_for(lambda: (f := calls.twilio.calls(sid).fetch()).status == "completed" and f)
    assert int(leg.duration) >= 0


def test_messages_paginate_with_next_cursor_urls(calls) -> None:
    call_id, _ = calls.place("+12025550101")
    calls.wait_ended(call_id)
    first = calls.uv.get(f"{calls.base}/calls/{call_id}/messages").json()
    assert set(first) == {"next", "previous", "results", "total"}
    assert len(first["results"]) == 3 and first["previous"] is None and first["next"].startswith("http")
    second = calls.uv.get(first["next"]).json()
    assert second["previous"] is not None
    everything, pages = calls.messages(call_id)
    assert len(everything) == first["total"] == 7 and pages == 3
    assert [m["callStageMessageIndex"] for m in everything] == list(range(7))
    assert all(m["role"] in ("MESSAGE_ROLE_AGENT", "MESSAGE_ROLE_USER") and m["medium"] == "MESSAGE_MEDIUM_VOICE"
               for m in everything)
    ones, pages = calls.messages(call_id, page_size=1)
    assert ones == everything and pages == 7


def test_call_past_its_max_duration_ends_timeout(calls) -> None:
    uv = calls.cluster.ultravox
    uv.max_duration_s = 5.0  # simulated seconds; the long call talks for about 60
    try:
        call_id, sid = calls.place("+12025550109")
        ended = calls.wait_ended(call_id)
    finally:
        uv.max_duration_s = 3600.0
    assert ended["endReason"] == "timeout" and ended["joined"] is not None
    leg = wait_for(lambda: (f := calls.twilio.calls(sid).fetch()).status == "completed" and f)
    assert 0 < len(calls.messages(call_id)[0]) < 20
    assert int(leg.duration) >= 4
