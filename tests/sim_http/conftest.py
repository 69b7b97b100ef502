"""Fixtures for the HTTP simulators: one fast cluster for the session, real
clients (openai, requests, twilio) pointed at it, and call helpers."""
from __future__ import annotations

from typing import Iterator

import pytest
import requests
from openai import OpenAI
from twilio.rest import Client

from core import config
from sim.cluster import SimCluster
from tests.helpers import ROOMY_LIMITS, wait_for  # noqa: F401  (wait_for re-exported to the tests)
from calling.twilio_leg import stream_twiml

FAST = 50.0


twiml_for = stream_twiml  # the product's own TwiML: <Connect><Stream url=…>


def twilio_client(cluster: SimCluster, sid: str | None = None, token: str | None = None) -> Client:
    s = cluster.secrets
    client = Client(sid or s.twilio_account_sid, token or s.twilio_auth_token)
    client.api.base_url = cluster.urls["twilio_base_url"]
    client.region = client.edge = None
    return client


class Calls:
    """Places calls the way the calling engine does: Ultravox first, then Twilio."""

    def __init__(self, cluster: SimCluster) -> None:
        self.cluster = cluster
        self.base = cluster.urls["ultravox_base_url"]
        self.uv = requests.Session()
        self.uv.headers["X-API-Key"] = cluster.secrets.ultravox_api_key
        self.twilio = twilio_client(cluster)

    def create_uv(self, context: dict | None = None, metadata: dict | None = None,
                  first_speaker: str = "user") -> requests.Response:
        s = self.cluster.secrets
        return self.uv.post(f"{self.base}/agents/{s.ultravox_agent_id}/calls",
                            json={"templateContext": context or {}, "medium": {"twilio": {}},
                                  "metadata": metadata or {}, "firstSpeakerSettings": {first_speaker: {}}})

    def place(self, to: str, objective: str = "confirm the delivery on Friday",
              machine_detection: bool = True, name: str = "Pat") -> tuple[str, str]:
        r = self.create_uv({"contact_name": name, "call_objective": objective})
        assert r.status_code == 201, r.text
        call = r.json()
        leg = self.twilio.calls.create(to=to, from_=self.cluster.secrets.twilio_from_number,
                                       twiml=twiml_for(call["joinUrl"]),
                                       machine_detection="Enable" if machine_detection else None)
        return call["callId"], leg.sid

    def get(self, call_id: str) -> dict:
        r = self.uv.get(f"{self.base}/calls/{call_id}")
        assert r.status_code == 200, r.text
        return r.json()

    def wait_ended(self, call_id: str, timeout: float = 20.0) -> dict:
        return wait_for(lambda: (c := self.get(call_id))["ended"] and c, timeout)  # type: ignore[return-value]

    def messages(self, call_id: str, page_size: int | None = None, mode: str = "in_call") -> tuple[list[dict], int]:
        url = f"{self.base}/calls/{call_id}/messages?mode={mode}"
        if page_size:
            url += f"&pageSize={page_size}"
        out, pages = [], 0
        while url:
            r = self.uv.get(url)
            assert r.status_code == 200, r.text
            page = r.json()
            out += page["results"]
            pages += 1
            url = page["next"]
        return out, pages

    def hang_up_all(self) -> None:
        listing = self.uv.get(f"{self.base}/calls?pageSize=1000").json()
        for call in listing["results"]:
            self.uv.delete(f"{self.base}/calls/{call['callId']}")


@pytest.fixture(scope="session")
def cluster() -> Iterator[SimCluster]:
    # Ultravox pay-as-you-go concurrency; creation rates far above what the tests ask
    settings = config.Settings(sim={"speed": FAST}, calling=dict(ROOMY_LIMITS, max_concurrent_calls=5))
    with SimCluster(settings, ultravox_join_timeout_s=600.0) as c:
        yield c


@pytest.fixture(autouse=True)
def _clean(request: pytest.FixtureRequest) -> Iterator[None]:
    if "cluster" not in request.fixturenames:
        yield
        return
    c: SimCluster = request.getfixturevalue("cluster")
    c.faults.reset()
    yield
    c.faults.reset()
    Calls(c).hang_up_all()


@pytest.fixture
def slow_calls(cluster: SimCluster) -> Iterator[None]:
    """Phone legs at speed 5 for this test, so a long call is still running
    when the test acts on it even on a loaded machine."""
    cluster.twilio.speed = 5.0
    yield
    cluster.twilio.speed = FAST


@pytest.fixture
def calls(cluster: SimCluster) -> Calls:
    return Calls(cluster)


@pytest.fixture
def oa(cluster: SimCluster) -> OpenAI:
    return OpenAI(api_key=cluster.secrets.openai_api_key, base_url=cluster.urls["openai_api_base"], max_retries=0)
