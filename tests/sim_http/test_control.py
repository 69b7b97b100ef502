"""The control API under /_sim/."""
from __future__ import annotations

import pytest
import requests


def post(cluster, path: str, body) -> requests.Response:
    return requests.post(cluster.urls["control_url"] + path, json=body)


def test_state_lists_faults_and_live_calls(cluster, calls, slow_calls) -> None:
    call_id, sid = calls.place("+12025550109")
    state = requests.get(cluster.urls["control_url"] + "/state").json()
    assert set(state["faults"]) >= {"refusing_for_s", "delay_s", "http_failures", "malformed"}
    assert call_id in [c["callId"] for c in state["calls"]["ultravox"]]
    assert sid in [c["sid"] for c in state["calls"]["twilio"]]
    assert isinstance(state["realtime_connections"], int)


def test_each_fault_key_applies(cluster) -> None:
    body = post(cluster, "/faults", {"fail_next": {"service": "twilio", "status": 502, "count": 3},
                                     "malform_next": {"service": "openai", "count": 2},
                                     "delay_s": 0.01, "refuse_for_s": 0}).json()
    assert body["ok"] is True
    f = body["faults"]
    assert f["http_failures"] == {"twilio": [502, 3]} and f["malformed"] == {"openai": 2} and f["delay_s"] == 0.01
    after = post(cluster, "/faults", {"reset": True}).json()["faults"]
    assert after["http_failures"] == {} and after["malformed"] == {} and after["delay_s"] == 0


def test_action_reaches_the_listeners(cluster) -> None:
    heard: list[str] = []
    remove = cluster.faults.on_action(heard.append)
    try:
        body = post(cluster, "/faults", {"action": "drop"}).json()
    finally:
        remove()
    assert heard == ["drop"] and body["told"] >= 1


@pytest.mark.parametrize("body", [
    {}, [], {"bogus": 1}, {"action": "explode"}, {"refuse_for_s": -1}, {"delay_s": "slow"},
    {"fail_next": {"service": "nowhere", "status": 500}}, {"fail_next": 5}, {"malform_next": {"service": "x"}},
])
def test_bad_fault_bodies_are_400(cluster, body) -> None:
    r = post(cluster, "/faults", body)
    assert r.status_code == 400 and "error" in r.json()


def test_transcripts_go_to_the_realtime_sim(cluster) -> None:
    assert post(cluster, "/transcripts", {"text": ""}).status_code == 400
    assert post(cluster, "/transcripts", ["x"]).status_code == 400
    queue = cluster.realtime.next_transcripts
    before = len(queue)
    try:
        r = post(cluster, "/transcripts", {"text": "call Akhil about the invoice"})
        assert r.status_code == 200 and r.json()["queued"] == before + 1
        assert list(queue)[-1] == "call Akhil about the invoice"
    finally:
        queue.clear()
