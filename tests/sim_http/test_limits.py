"""The simulators hold the accounts' limits as the services do: Ultravox
answers a creation over its per-second or per-minute limit, or a call beyond
its concurrent calls, with 429 and Retry-After; Twilio queues an outbound
call over its calls a second. Each is counted as a violation."""
from __future__ import annotations

import time

import requests
from twilio.rest import Client

from calling.twilio_leg import stream_twiml
from core import config
from sim.cluster import SimCluster
from sim.limits import AccountLimits
from tests.helpers import wait_for


def test_account_limits_refuse_over_each_limit_and_count_it() -> None:
    now = [100.0]
    limits = AccountLimits(per_second=2, per_minute=3, concurrent=2, clock=lambda: now[0])
    assert limits.admit(0) is None and limits.admit(1) is None
    assert limits.admit(1) == ("2 calls a second", 1.0)
    now[0] += 1.0
    assert limits.admit(2) == ("2 concurrent calls", 1.0)
    assert limits.admit(1) is None
    now[0] += 1.0
    refused = limits.admit(0)
    assert refused is not None and refused[0] == "3 calls a minute" and 57.0 < refused[1] <= 58.0
    snap = limits.snapshot()
    assert (snap["violations"], snap["created"], snap["peak_per_second"], snap["peak_concurrent"]) == (3, 3, 3, 2)


def test_creations_over_the_configured_rate_get_429() -> None:
    settings = config.Settings(calling={"max_concurrent_calls": 50, "calls_per_second": 2.0, "calls_per_minute": 600.0})
    with SimCluster(settings, ultravox_join_timeout_s=600.0) as sims:
        s = sims.secrets
        uv = requests.Session()
        uv.headers["X-API-Key"] = s.ultravox_api_key
        url = f"{sims.urls['ultravox_base_url']}/agents/{s.ultravox_agent_id}/calls"
        codes = [uv.post(url, json={"medium": {"twilio": {}}}).status_code for _ in range(3)]
        assert codes == [201, 201, 429]
        refused = uv.post(url, json={"medium": {"twilio": {}}})
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
        assert sims.ultravox.limits.snapshot()["violations"] == 2

        client = Client(s.twilio_account_sid, s.twilio_auth_token)
        client.api.base_url = sims.urls["twilio_base_url"]
        twiml = stream_twiml("wss://example.invalid/stream")
        client.calls.create(to="+12025550101", from_=s.twilio_from_number, twiml=twiml)
        client.calls.create(to="+12025550102", from_=s.twilio_from_number, twiml=twiml)
        # over the calls a second Twilio queues the call: it rings only once the second has passed
        third = client.calls.create(to="+12025550109", from_=s.twilio_from_number, twiml=twiml)
        assert third.status == "queued" and sims.twilio.limits.snapshot()["violations"] == 1
        time.sleep(0.3)
        assert client.calls(third.sid).fetch().status == "queued"
        wait_for(lambda: client.calls(third.sid).fetch().status != "queued", 5, what="the queued call to ring")
