"""Session expiry and every fault switch, seen from a real client socket."""
from __future__ import annotations

import json
import socket
import struct
import time

import pytest
import websocket

from .conftest import API_KEY, Client, say, wait_for


def _no_close_frame(client: Client) -> None:
    """The socket ends without a close frame (reset or EOF)."""
    client.ws.settimeout(5)
    with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError)):
        while True:
            opcode, _ = client.ws.recv_data(control_frame=True)
            assert opcode != websocket.ABNF.OPCODE_CLOSE, "got a close frame"


def _expect_close(client: Client, code: int) -> None:
    client.ws.settimeout(5)
    opcode, data = client.ws.recv_data(control_frame=True)
    assert opcode == websocket.ABNF.OPCODE_CLOSE
    assert struct.unpack("!H", data[:2])[0] == code


def _expect_close_reason(client, code: int) -> str:
    client.ws.settimeout(5)
    while True:
        opcode, data = client.ws.recv_data(control_frame=True)
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            assert struct.unpack("!H", data[:2])[0] == code
            return data[2:].decode()


@pytest.mark.parametrize("server", [{"speed": 50.0, "session_max_s": 0.5}], indirect=True)
def test_session_ends_at_its_maximum_duration_with_close_1001(server, connect):
    """As the GA server has been seen to do: close frame 1001 naming the maximum
    duration, no ``error`` event first."""
    started = time.monotonic()
    client = connect()
    reason = _expect_close_reason(client, 1001)
    assert time.monotonic() - started >= 0.3
    assert reason.startswith("Your session hit the maximum duration of")
    wait_for(lambda: server.sim.live_connections() == 0, what="connection cleanup")


def test_expire_action(server, connect):
    client = connect()
    assert server.faults.trigger("expire") == 1
    assert "maximum duration of 60 minutes" in _expect_close_reason(client, 1001)


def test_drop_closes_without_close_frame(server, connect):
    client = connect()
    wait_for(lambda: server.sim.live_connections() == 1, what="registration")
    server.faults.trigger("drop")
    _no_close_frame(client)
    wait_for(lambda: server.sim.live_connections() == 0, what="connection cleanup")


def test_half_open_stops_answering_pings_and_events(server, connect):
    client = connect()
    server.faults.trigger("half_open")
    wait_for(lambda: server.sim.half_open_connections() == 1, what="half-open to take effect")
    client.ws.ping(b"are-you-there")
    client.send({"type": "response.create"})
    client.ws.settimeout(1.0)
    with pytest.raises(websocket.WebSocketTimeoutException):
        client.ws.recv_data(control_frame=True)
    assert server.sim.live_connections() == 1  # still "open" from the server's side
    client.ws.shutdown()  # a polite close would wait for an answer that never comes


def test_refusing_closes_the_tcp_connection(server):
    server.faults.refuse_for(5)
    with pytest.raises((websocket.WebSocketException, ConnectionError, socket.timeout)):
        websocket.create_connection(server.url, header=[f"Authorization: Bearer {API_KEY}"], timeout=5)
    server.faults.reset()
    Client(server).recv()  # works again


def test_http_failure_on_upgrade(server):
    server.faults.fail_next("realtime", 503, count=1, retry_after_s=2)
    with pytest.raises(websocket.WebSocketBadStatusException) as info:
        websocket.create_connection(server.url, header=[f"Authorization: Bearer {API_KEY}"], timeout=5)
    assert info.value.status_code == 503
    assert info.value.resp_headers.get("retry-after") == "2"
    assert json.loads(info.value.resp_body)["error"]["type"] == "server_error"
    assert Client(server).recv()["type"] == "session.created"


def test_malformed_frame_then_normal_events(server):
    server.faults.malform_next("realtime")
    client = Client(server)
    client.ws.settimeout(5)
    raw = client.ws.recv()
    with pytest.raises(ValueError):
        json.loads(raw)
    assert raw.startswith('{"type":"session.created"')
    assert say(client, "say ok")[-2]["response"]["status"] == "completed"


def test_delay_is_added_latency_not_a_per_event_pause(server, connect):
    client = connect()
    server.faults.set_delay(0.3)
    started = time.monotonic()
    client.send({"type": "input_audio_buffer.clear"})
    assert client.recv()["type"] == "input_audio_buffer.cleared"
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    events = say(client, "say one two three four five six seven eight nine ten")
    assert len(events) > 20
    assert 0.3 <= time.monotonic() - started < 0.3 * len(events) / 2


def test_rate_limited_upgrade(server):
    server.faults.fail_next("realtime", 429, retry_after_s=1.5)
    with pytest.raises(websocket.WebSocketBadStatusException) as info:
        websocket.create_connection(server.url, header=[f"Authorization: Bearer {API_KEY}"], timeout=5)
    assert info.value.status_code == 429
    assert info.value.resp_headers.get("retry-after") == "1.5"
    assert json.loads(info.value.resp_body)["error"]["code"] == "rate_limit_exceeded"


def test_close_closes_live_sockets(server, connect):
    client = connect()
    server.stop()
    _expect_close(client, 1001)
