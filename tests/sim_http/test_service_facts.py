"""The simulators behave as the real services document (docs/protocols.md),
including where that disagrees with what a naive client assumes: the agent
speaks first unless told, the join window is the request's, a phone rings
as long as the caller's Timeout, synchronous detection is silence, DELETE
destroys the record while a hang-up message keeps it, the default transcript
is the last stage only, the account's calls outlive a restart, and OpenAI's
two kinds of 429."""
from __future__ import annotations

import time

import openai
import pytest
import requests

from core import config
from sim.cluster import SimCluster
from tests.sim_http.conftest import twiml_for, wait_for

FINAL = {"completed", "busy", "no-answer", "failed", "canceled"}


def _roles(messages: list[dict]) -> list[str]:
    return [m["role"] for m in messages]


@pytest.mark.parametrize("speaker", ["user", "agent"])
def test_first_speaker_settings_decide_who_opens(calls, speaker) -> None:
    r = calls.create_uv({"contact_name": "Pat", "call_objective": "the invoice"}, first_speaker=speaker)
    assert r.status_code == 201 and r.json()["firstSpeakerSettings"] == {speaker: {}}
    call = r.json()
    calls.twilio.calls.create(to="+12025550101", from_=calls.cluster.secrets.twilio_from_number,
                              twiml=twiml_for(call["joinUrl"]))
    calls.wait_ended(call["callId"])
    messages, _ = calls.messages(call["callId"])
    if speaker == "user":
        assert messages[0]["role"] == "MESSAGE_ROLE_USER" and messages[0]["text"] == "Hello?"
    else:  # the agent's greeting runs over the callee's "Hello?"
        assert messages[0]["role"] == "MESSAGE_ROLE_AGENT" and "talking over me" in messages[1]["text"]


def test_agent_speaks_first_when_the_request_does_not_say(calls) -> None:
    s = calls.cluster.secrets
    r = calls.uv.post(f"{calls.base}/agents/{s.ultravox_agent_id}/calls", json={"medium": {"twilio": {}}})
    assert r.json()["firstSpeakerSettings"] == {"agent": {}} and r.json()["joinTimeout"] == "600s"
    bad = calls.uv.post(f"{calls.base}/agents/{s.ultravox_agent_id}/calls",
                        json={"firstSpeakerSettings": {"user": {}, "agent": {}}})
    assert bad.status_code == 400 and "exactly one" in bad.json()["detail"]


def test_join_timeout_comes_from_the_request(calls) -> None:
    s = calls.cluster.secrets
    r = calls.uv.post(f"{calls.base}/agents/{s.ultravox_agent_id}/calls", json={"joinTimeout": "5s"})
    assert r.json()["joinTimeout"] == "5s"
    started = time.monotonic()
    ended = calls.wait_ended(r.json()["callId"], timeout=5)
    assert ended["endReason"] == "unjoined" and ended["joinUrl"] is None
    assert time.monotonic() - started < 2  # 5 simulated seconds, not the 600 s default
    assert calls.uv.post(f"{calls.base}/agents/{s.ultravox_agent_id}/calls",
                         json={"joinTimeout": "soon"}).status_code == 400


@pytest.mark.parametrize("timeout, status", [(30, "no-answer"), (60, "completed")])
def test_the_phone_rings_as_long_as_the_caller_asks(calls, timeout, status) -> None:
    """Kim answers after 40 s of ringing: only a Timeout above that reaches her."""
    call = calls.create_uv({"contact_name": "Kim"}).json()
    leg = calls.twilio.calls.create(to="+12025550110", from_=calls.cluster.secrets.twilio_from_number,
                                    twiml=twiml_for(call["joinUrl"]), timeout=timeout)
    done = wait_for(lambda: (f := calls.twilio.calls(leg.sid).fetch()).status in FINAL and f, timeout=30)
    assert done.status == status


def test_synchronous_detection_is_silence_async_is_not(calls, slow_calls) -> None:
    def place(**amd):
        call = calls.create_uv({"contact_name": "Pat"}).json()
        leg = calls.twilio.calls.create(to="+12025550105", from_=calls.cluster.secrets.twilio_from_number,
                                        twiml=twiml_for(call["joinUrl"]), machine_detection="Enable", **amd)
        wait_for(lambda: calls.twilio.calls(leg.sid).fetch().status == "in-progress", timeout=10, interval=0.01)
        answered = time.monotonic()
        wait_for(lambda: calls.get(call["callId"])["joined"], timeout=10, interval=0.01)
        return leg, time.monotonic() - answered

    sync_leg, sync_gap = place()
    assert sync_gap >= 0.6  # 4 simulated seconds at speed 5: the callee hears nothing meanwhile
    assert calls.twilio.calls(sync_leg.sid).fetch().answered_by == "machine_start"
    async_leg, async_gap = place(async_amd="true")
    assert async_gap < 0.4
    assert calls.twilio.calls(async_leg.sid).fetch().answered_by is None  # not decided yet
    wait_for(lambda: calls.twilio.calls(async_leg.sid).fetch().answered_by == "machine_start", timeout=10)


def test_hang_up_message_keeps_the_record_delete_destroys_it(calls, slow_calls) -> None:
    kept, kept_sid = calls.place("+12025550109")
    wait_for(lambda: len(calls.messages(kept)[0]) >= 3, timeout=20)
    r = calls.uv.post(f"{calls.base}/calls/{kept}/send_data_message", json={"type": "hang_up"})
    assert r.status_code == 204
    ended = calls.get(kept)
    assert ended["endReason"] == "agent_hangup" and len(calls.messages(kept)[0]) >= 3
    wait_for(lambda: calls.twilio.calls(kept_sid).fetch().status == "completed")
    again = calls.uv.post(f"{calls.base}/calls/{kept}/send_data_message", json={"type": "hang_up"})
    assert again.status_code == 400
    assert calls.uv.delete(f"{calls.base}/calls/{kept}").status_code == 204
    assert calls.uv.get(f"{calls.base}/calls/{kept}/messages").status_code == 404


def test_messages_default_to_the_last_stage(calls) -> None:
    call_id, _ = calls.place("+12025550109")  # a long call moves to a second stage midway
    calls.wait_ended(call_id)
    every, _ = calls.messages(call_id, mode="in_call")
    last, _ = calls.messages(call_id, mode="last_stage")
    plain = calls.uv.get(f"{calls.base}/calls/{call_id}/messages?pageSize=1000").json()
    assert len(every) > len(last) == plain["total"] > 0
    assert every[-len(last):] == last
    assert calls.uv.get(f"{calls.base}/calls/{call_id}/messages?mode=all").status_code == 400


def test_the_accounts_calls_outlive_a_restart(tmp_path) -> None:
    history = tmp_path / "calls.json"
    settings = config.Settings(sim={"speed": 50.0})
    with SimCluster(settings, ultravox_history=history) as first:
        s = first.secrets
        r = requests.post(f"{first.urls['ultravox_base_url']}/agents/{s.ultravox_agent_id}/calls",
                          headers={"X-API-Key": s.ultravox_api_key}, json={"metadata": {"attempt_id": "1"}})
        old = r.json()["callId"]
    with SimCluster(settings, ultravox_history=history) as second:
        s = second.secrets
        found = requests.get(f"{second.urls['ultravox_base_url']}/calls?metadata.attempt_id=1",
                             headers={"X-API-Key": s.ultravox_api_key}).json()["results"]
    assert [c["callId"] for c in found] == [old]
    assert found[0]["ended"] and found[0]["joinUrl"] is None


def test_doctor_endpoints(cluster, calls, oa) -> None:
    s = cluster.secrets
    agent = calls.uv.get(f"{calls.base}/agents/{s.ultravox_agent_id}").json()
    assert agent["callTemplate"]["firstSpeakerSettings"] == {"agent": {}}
    assert calls.uv.get(f"{calls.base}/agents/00000000-0000-0000-0000-000000000000").status_code == 404
    assert calls.uv.get(f"{calls.base}/accounts/me").status_code == 200
    assert requests.get(f"{calls.base}/accounts/me", headers={"X-API-Key": "nope"}).status_code == 401
    account = calls.twilio.api.v2010.accounts(s.twilio_account_sid).fetch()
    assert account.status == "active"
    (number,) = calls.twilio.incoming_phone_numbers.list(phone_number=s.twilio_from_number)
    assert number.capabilities["voice"] is True
    assert calls.twilio.incoming_phone_numbers.list(phone_number="+12025550199") == []
    assert oa.models.retrieve("gpt-realtime-2").id == "gpt-realtime-2"
    with pytest.raises(openai.NotFoundError) as e:
        oa.models.retrieve("gpt-no-such-model")
    assert e.value.code == "model_not_found"


def test_openai_429_rate_limit_and_quota_differ(cluster) -> None:
    base, key = cluster.urls["openai_api_base"], cluster.secrets.openai_api_key
    body = {"model": "gpt-5.4-mini", "messages": [{"role": "user", "content": "hi"}]}
    headers = {"Authorization": f"Bearer {key}"}
    cluster.faults.fail_next("openai", 429, 1, retry_after_s=0.25)
    limited = requests.post(f"{base}/chat/completions", json=body, headers=headers)
    assert limited.status_code == 429 and limited.json()["error"]["code"] == "rate_limit_exceeded"
    assert limited.headers["retry-after-ms"] == "250"
    cluster.faults.set_quota_exhausted(True)
    broke = requests.post(f"{base}/chat/completions", json=body, headers=headers)
    assert broke.status_code == 429 and "retry-after-ms" not in broke.headers
    assert broke.json()["error"] == {**broke.json()["error"], "code": "insufficient_quota",
                                     "type": "insufficient_quota"}
    assert requests.post(f"{base}/chat/completions", json={**body, "model": "gpt-0"},
                         headers=headers).status_code == 429  # quota is checked first, as the account is broke
