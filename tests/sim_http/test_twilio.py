"""The Twilio simulator, driven by the real ``twilio`` package."""
from __future__ import annotations

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.twiml.voice_response import VoiceResponse

from core import config
from sim.cluster import SimCluster
from tests.sim_http.conftest import twilio_client, twiml_for, wait_for

FINAL = {"completed", "busy", "no-answer", "failed", "canceled"}


def create_error(client, **kw) -> TwilioRestException:
    with pytest.raises(TwilioRestException) as e:
        client.calls.create(**kw)
    return e.value


def test_create_fetch_and_complete(cluster, calls) -> None:
    join = calls.create_uv().json()["joinUrl"]
    leg = calls.twilio.calls.create(to="+12025550101", from_=cluster.secrets.twilio_from_number,
                                    twiml=twiml_for(join))
    assert leg.sid.startswith("CA") and len(leg.sid) == 34
    assert leg.status == "queued" and leg.to == "+12025550101"
    assert leg.from_formatted == cluster.secrets.twilio_from_number and leg.direction == "outbound-api"
    assert leg.date_created is not None and leg.uri.endswith(f"/Calls/{leg.sid}.json")
    done = wait_for(lambda: (f := calls.twilio.calls(leg.sid).fetch()).status in FINAL and f)
    assert done.status == "completed" and int(done.duration) >= 1 and done.answered_by is None
    assert done.start_time is not None and done.end_time is not None


def test_status_progression_at_demo_speed() -> None:
    with SimCluster(config.Settings(sim={"speed": 2.0})) as slow:
        c = twilio_client(slow)
        s = slow.secrets
        r = requests.post(f"{slow.urls['ultravox_base_url']}/agents/{s.ultravox_agent_id}/calls",
                          headers={"X-API-Key": s.ultravox_api_key}, json={"medium": {"twilio": {}}})
        leg = c.calls.create(to="+12025550105", from_=s.twilio_from_number,
                             twiml=twiml_for(r.json()["joinUrl"]), machine_detection="Enable")
        seen = [leg.status]

        def finished() -> bool:
            f = c.calls(leg.sid).fetch()
            if f.status != seen[-1]:
                seen.append(f.status)
            return f.status in FINAL

        wait_for(finished, timeout=30, interval=0.01)
        assert seen == ["queued", "ringing", "in-progress", "completed"]
        assert c.calls(leg.sid).fetch().answered_by == "machine_start"


def test_hang_up_an_answered_call(cluster, calls, slow_calls) -> None:
    call_id, sid = calls.place("+12025550109")  # long call
    wait_for(lambda: calls.get(call_id)["joined"])  # answered, and detection over: the stream is on
    leg = calls.twilio.calls(sid).update(status="completed")
    assert leg.status == "completed"
    ended = calls.wait_ended(call_id)
    assert ended["endReason"] == "hangup"


def test_cancel_before_answer(cluster, calls, slow_calls) -> None:
    call_id, sid = calls.place("+12025550103")  # no answer: rings for a while
    leg = calls.twilio.calls(sid).update(status="canceled")
    assert leg.status == "canceled"
    assert calls.wait_ended(call_id)["endReason"] == "unjoined"


def test_wrong_credentials_are_20003(cluster) -> None:
    for client in (twilio_client(cluster, token="0" * 32), twilio_client(cluster, sid="AC" + "1" * 32)):
        e = create_error(client, to="+12025550101", from_=cluster.secrets.twilio_from_number,
                         twiml=twiml_for("wss://x/y?token=a&b=c"))
        assert (e.status, e.code) == (401, 20003)


@pytest.mark.parametrize("to", ["12025550101", "+1 202", "+0123456789", "+12025550107"])
def test_invalid_to_is_21211(cluster, calls, to: str) -> None:
    e = create_error(calls.twilio, to=to, from_=cluster.secrets.twilio_from_number, twiml=twiml_for("wss://h/p?token=t&x=1"))
    assert (e.status, e.code) == (400, 21211)
    assert f"The 'To' number {to} is not a valid phone number." in e.msg


def test_foreign_from_is_21212(calls) -> None:
    e = create_error(calls.twilio, to="+12025550101", from_="+14155550123", twiml=twiml_for("wss://h/p?token=t&x=1"))
    assert (e.status, e.code) == (400, 21212)


@pytest.mark.parametrize("twiml", [
    "<Response><Connect><Stream url='wss://h/p'></Connect>",           # not XML
    "<Response><Say>hello</Say></Response>",                            # no stream
    "<Other><Connect><Stream url='wss://h/p'/></Connect></Other>",      # wrong root
])
def test_bad_twiml_is_12100(cluster, calls, twiml: str) -> None:
    e = create_error(calls.twilio, to="+12025550101", from_=cluster.secrets.twilio_from_number, twiml=twiml)
    assert (e.status, e.code) == (400, 12100)


def test_string_formatted_twiml_with_raw_ampersand_is_rejected(cluster, calls) -> None:
    join = calls.create_uv().json()["joinUrl"]
    twiml = f'<Response><Connect><Stream url="{join}"/></Connect></Response>'  # the & is not escaped
    e = create_error(calls.twilio, to="+12025550101", from_=cluster.secrets.twilio_from_number, twiml=twiml)
    assert e.code == 12100


def test_unknown_call_is_404(calls) -> None:
    with pytest.raises(TwilioRestException) as e:
        calls.twilio.calls("CA" + "0" * 32).fetch()
    assert e.value.status == 404 and e.value.code == 20404


def test_twiml_without_our_join_url_still_completes(cluster, calls) -> None:
    empty = VoiceResponse()
    empty.connect().stream(url="wss://elsewhere.example/stream?token=x&y=1")
    leg = calls.twilio.calls.create(to="+12025550101", from_=cluster.secrets.twilio_from_number, twiml=str(empty))
    done = wait_for(lambda: (f := calls.twilio.calls(leg.sid).fetch()).status in FINAL and f)
    assert done.status == "completed"


def test_list_finds_legs_by_to_across_pages(cluster, calls) -> None:
    phone = "+12025550177"
    sids = [calls.place(phone)[1] for _ in range(3)]
    calls.place("+12025550101")
    found = calls.twilio.calls.list(to=phone, page_size=2)
    assert [c.sid for c in found] == list(reversed(sids))
    assert all(c.to == phone for c in found)
    wait_for(lambda: all(calls.twilio.calls(s).fetch().status in FINAL for s in sids))
    assert len(calls.twilio.calls.list(to=phone, status="completed")) == 3
    assert calls.twilio.calls.list(to=phone, status="busy") == []


@pytest.mark.parametrize("form, code", [
    ({"From": "+12025550100", "Twiml": "<Response/>"}, 21201),
    ({"To": "+12025550101", "Twiml": "<Response/>"}, 21213),
    ({"To": "+12025550101", "From": "+12025550100"}, 21205),
])
def test_missing_parameters(cluster, form: dict, code: int) -> None:
    s = cluster.secrets
    r = requests.post(f"{cluster.urls['twilio_base_url']}/2010-04-01/Accounts/{s.twilio_account_sid}/Calls.json",
                      data=form, auth=(s.twilio_account_sid, s.twilio_auth_token))
    body = r.json()
    assert r.status_code == 400 and body["code"] == code and body["status"] == 400
    assert body["more_info"].endswith(str(code)) and body["message"]


def test_update_with_a_bad_status_is_400(calls) -> None:
    _, sid = calls.place("+12025550101")
    with pytest.raises(TwilioRestException) as e:
        calls.twilio.calls(sid).update(status="paused")
    assert e.value.status == 400


def test_status_callbacks_post_each_requested_event(cluster, calls) -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from urllib.parse import parse_qs

    got: list[dict] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            got.append({k: v[0] for k, v in parse_qs(body).items()})
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/status"
        join = calls.create_uv().json()["joinUrl"]
        leg = calls.twilio.calls.create(to="+12025550105", from_=cluster.secrets.twilio_from_number,
                                        twiml=twiml_for(join), machine_detection="Enable", status_callback=url,
                                        status_callback_event=["initiated", "ringing", "answered", "completed"])
        wait_for(lambda: any(g["CallStatus"] == "completed" for g in got))
        plain = calls.twilio.calls.create(to="+12025550104", from_=cluster.secrets.twilio_from_number,
                                          twiml=twiml_for(join), status_callback=url)
        wait_for(lambda: any(g["CallSid"] == plain.sid for g in got))
    finally:
        server.shutdown()
        server.server_close()
    # like Twilio's, deliveries may arrive out of order: SequenceNumber orders them
    mine = sorted((g for g in got if g["CallSid"] == leg.sid), key=lambda g: int(g["SequenceNumber"]))
    assert [g["CallStatus"] for g in mine] == ["queued", "ringing", "in-progress", "completed"]
    assert [int(g["SequenceNumber"]) for g in mine] == [0, 1, 2, 3]
    assert mine[-1]["AnsweredBy"] == "machine_start" and int(mine[-1]["CallDuration"]) >= 1
    assert [g["CallStatus"] for g in got if g["CallSid"] == plain.sid] == ["busy"]  # default: completed only
