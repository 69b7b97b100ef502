"""Every fault switch, on every HTTP simulator, through the real clients —
set both directly and through the control API."""
from __future__ import annotations

import time

import openai
import pytest
import requests
from openai import OpenAI
from twilio.base.exceptions import TwilioRestException


def uv_get(calls) -> requests.Response:
    return calls.uv.get(f"{calls.base}/calls")


def tw_fetch(calls):
    return calls.twilio.calls("CA" + "0" * 32).fetch()


def chat(oa: OpenAI):
    return oa.chat.completions.create(model="gpt-4.1-mini", messages=[{"role": "user", "content": "hi"}])


def control(cluster, body: dict) -> dict:
    r = requests.post(cluster.urls["control_url"] + "/faults", json=body)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.mark.parametrize("status", [500, 503])
def test_fail_next_counts_down_per_service(cluster, calls, oa, status: int) -> None:
    control(cluster, {"fail_next": {"service": "ultravox", "status": status, "count": 2}})
    assert [uv_get(calls).status_code for _ in range(3)] == [status, status, 200]

    cluster.faults.fail_next("openai", status, 2)
    for _ in range(2):
        with pytest.raises(openai.InternalServerError) as e:
            chat(oa)
        assert e.value.status_code == status and "message" in e.value.body
    assert chat(oa).choices[0].message.content

    cluster.faults.fail_next("twilio", status, 1)
    with pytest.raises(TwilioRestException) as te:
        tw_fetch(calls)
    assert te.value.status == status and te.value.code == 20500
    with pytest.raises(TwilioRestException) as te:
        tw_fetch(calls)
    assert te.value.status == 404  # the fault is used up: the real answer again


def test_429_carries_retry_after(cluster, calls, oa) -> None:
    control(cluster, {"fail_next": {"service": "ultravox", "status": 429, "count": 1, "retry_after_s": 3}})
    r = uv_get(calls)
    assert r.status_code == 429 and r.headers["Retry-After"] == "3"
    cluster.faults.fail_next("openai", 429, 1, retry_after_s=2)
    with pytest.raises(openai.RateLimitError) as e:
        chat(oa)
    assert e.value.response.headers["retry-after"] == "2"
    cluster.faults.fail_next("twilio", 429, 1)
    with pytest.raises(TwilioRestException) as te:
        tw_fetch(calls)
    assert (te.value.status, te.value.code) == (429, 20429)


def test_openai_client_retries_through_a_transient_failure(cluster) -> None:
    cluster.faults.fail_next("openai", 503, 1, retry_after_s=0.01)
    patient = OpenAI(api_key=cluster.secrets.openai_api_key, base_url=cluster.urls["openai_api_base"], max_retries=2)
    assert chat(patient).choices[0].message.content.startswith("Summary:")


def test_malformed_bodies_are_truncated_json(cluster, calls, oa) -> None:
    control(cluster, {"malform_next": {"service": "ultravox", "count": 1}})
    r = uv_get(calls)
    assert r.status_code == 200
    with pytest.raises(ValueError):
        r.json()
    assert uv_get(calls).json()["results"] is not None
    cluster.faults.malform_next("openai")
    with pytest.raises((openai.APIResponseValidationError, ValueError)):
        chat(oa)
    cluster.faults.malform_next("twilio")
    leg_sid = "CA" + "0" * 32
    r = requests.get(f"{cluster.urls['twilio_base_url']}/2010-04-01/Accounts/{cluster.secrets.twilio_account_sid}"
                     f"/Calls/{leg_sid}.json", auth=(cluster.secrets.twilio_account_sid, cluster.secrets.twilio_auth_token))
    with pytest.raises(ValueError):
        r.json()


def test_delay_slows_every_request(cluster, calls) -> None:
    control(cluster, {"delay_s": 0.3})
    started = time.monotonic()
    assert uv_get(calls).status_code == 200
    assert time.monotonic() - started >= 0.3
    control(cluster, {"delay_s": 0})
    assert cluster.faults.delay_s == 0


def test_refusing_is_503_and_closes_the_connection(cluster, calls, oa) -> None:
    control(cluster, {"refuse_for_s": 30})
    r = uv_get(calls)
    assert r.status_code == 503 and r.headers.get("Connection") == "close"
    with pytest.raises(openai.InternalServerError):
        chat(oa)
    with pytest.raises(TwilioRestException) as te:
        tw_fetch(calls)
    assert te.value.status == 503
    state = requests.get(cluster.urls["control_url"] + "/state").json()
    assert state["faults"]["refusing_for_s"] > 0  # the control API itself keeps answering
    control(cluster, {"reset": True})
    assert uv_get(calls).status_code == 200
