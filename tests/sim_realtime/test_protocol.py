"""Wire behaviour with websocket-client (the product's client library)."""
from __future__ import annotations

import json
import struct

import pytest
import websocket

from .conftest import API_KEY, DIRECTORY, Client, configure, say, types


def _close_code(client: Client) -> int:
    client.ws.settimeout(5)
    opcode, data = client.ws.recv_data(control_frame=True)
    assert opcode == websocket.ABNF.OPCODE_CLOSE
    return struct.unpack("!H", data[:2])[0]


@pytest.mark.parametrize("key", ["sk-wrong-key-123456", ""])
def test_bad_or_missing_key_fails_the_upgrade_with_401(server, key):
    headers = [f"Authorization: Bearer {key}"] if key else []
    with pytest.raises(websocket.WebSocketBadStatusException) as info:
        websocket.create_connection(server.url, header=headers, timeout=5)
    assert info.value.status_code == 401
    body = json.loads(info.value.resp_body)
    assert body["error"]["type"] == "invalid_request_error"
    assert ("invalid_api_key" if key else None) == body["error"]["code"]
    assert server.sim.sessions_created == 0


def test_beta_header_gets_error_and_close_4000(server):
    client = Client(server, headers=["OpenAI-Beta: realtime=v1"])
    event = client.recv()
    assert event["type"] == "error"
    assert event["error"]["code"] == "beta_api_shape_disabled"
    assert _close_code(client) == 4000
    assert server.sim.sessions_created == 0


def test_missing_model_is_400(server):
    with pytest.raises(websocket.WebSocketBadStatusException) as info:
        websocket.create_connection(server.url.split("?")[0], header=[f"Authorization: Bearer {API_KEY}"],
                                    timeout=5)
    assert info.value.status_code == 400


@pytest.mark.parametrize("event, code, param", [
    ({"type": "session.create", "session": {}}, "invalid_value", "type"),
    ({"type": "session.update", "session": {"type": "realtime", "modalities": ["text"]}},
     "unknown_parameter", "session.modalities"),
    ({"type": "session.update", "session": {"type": "realtime", "tools": [
        {"type": "function", "function": {"name": "x"}}]}}, "unknown_parameter", "session.tools[0].function"),
    ({"type": "session.update", "session": {"type": "realtime", "output_modalities": ["audio", "text"]}},
     "invalid_value", "session.output_modalities"),
    ({"type": "session.update", "session": {"instructions": "x"}}, "missing_required_parameter", "session.type"),
    ({"type": "conversation.item.create", "item": {"type": "function_call_output", "output": "ok"}},
     "missing_required_parameter", "item.call_id"),
    ({"type": "conversation.item.create", "item": {"type": "message", "role": "user",
                                                   "content": [{"type": "text", "text": "hi"}]}},
     "invalid_value", "item.content[0].type"),
    ({"type": "input_audio_buffer.append", "audio": 12}, "invalid_type", "audio"),
    ({"type": "input_audio_buffer.append", "audio": "not base64!"}, "invalid_value", "audio"),
    ({"type": "conversation.item.create", "item": {
        "id": "x" * 33, "type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}},
     "string_above_max_length", "item.id"),
    ({"type": "conversation.item.create", "previous_item_id": "item_nope", "item": {
        "type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}},
     "invalid_value", "previous_item_id"),
])
def test_invalid_client_events_get_server_shaped_errors(connect, event, code, param):
    client = connect()
    client.send({**event, "event_id": "evt_client_1"})
    error = client.recv()
    assert error["type"] == "error"
    assert error["event_id"] != "evt_client_1"  # the server's own id
    assert error["error"]["type"] == "invalid_request_error"
    assert error["error"]["code"] == code
    assert error["error"]["param"] == param
    assert error["error"]["event_id"] == "evt_client_1"
    assert error["error"]["message"]
    # The session survives a bad event.
    assert say(client, "say still here")[-2]["response"]["status"] == "completed"


def test_not_json_is_an_error_event(connect):
    client = connect()
    client.ws.send("{not json")
    assert client.recv()["error"]["code"] == "invalid_json"


def test_session_update_merges_and_returns_full_session(connect):
    client = connect()
    session = configure(client, audio={"input": {"transcription": {"model": "gpt-4o-mini-transcribe"}}})["session"]
    assert session["audio"]["input"]["transcription"] == {"model": "gpt-4o-mini-transcribe"}
    assert session["audio"]["input"]["format"] == {"type": "audio/pcm", "rate": 24000}
    assert session["audio"]["output"]["voice"] == "marin"
    client.send({"type": "session.update", "session": {"type": "realtime", "tools": [],
                                                       "audio": {"input": {"turn_detection": None}}}})
    session = client.until("session.updated")[-1]["session"]
    assert session["tools"] == [] and session["audio"]["input"]["turn_detection"] is None
    assert session["audio"]["input"]["transcription"] == {"model": "gpt-4o-mini-transcribe"}


def test_item_create_honours_previous_item_id(connect):
    client = connect()

    def add(item_id, text, previous=None):
        event = {"type": "conversation.item.create", "item": {
            "id": item_id, "type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}}
        if previous:
            event["previous_item_id"] = previous
        client.send(event)
        added, done = client.recv(), client.recv()
        assert (added["type"], done["type"]) == ("conversation.item.added", "conversation.item.done")
        return added

    assert add("item_a", "one")["previous_item_id"] is None
    assert add("item_c", "three")["previous_item_id"] == "item_a"
    assert add("item_b", "two", previous="item_a")["previous_item_id"] == "item_a"
    assert add("item_0", "zero", previous="root")["previous_item_id"] is None
    client.send({"type": "conversation.item.retrieve", "item_id": "item_b"})
    assert client.recv()["item"]["content"][0]["text"] == "two"
    client.send({"type": "conversation.item.delete", "item_id": "item_b"})
    assert client.recv() ["type"] == "conversation.item.deleted"
    client.send({"type": "conversation.item.create", "item": {
        "id": "item_a", "type": "message", "role": "user", "content": [{"type": "input_text", "text": "dup"}]}})
    assert client.recv()["error"]["param"] == "item.id"


def test_restored_history_items_are_accepted(connect):
    client = connect()
    configure(client)
    history = [
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Call Akhil about stock"}]},
        {"type": "function_call", "call_id": "call_restored1", "name": "schedule_outbound_call",
         "arguments": "{\"contact_name\": \"Akhil Rao\"}"},
        {"type": "function_call_output", "call_id": "call_restored1", "output": "Scheduled job 7."},
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Done."}]},
    ]
    for item in history:
        client.send({"type": "conversation.item.create", "item": item})
        assert types(client.until("conversation.item.done")) == ["conversation.item.added", "conversation.item.done"]
    events = say(client, "what calls are scheduled?")
    call = next(e for e in events if e["type"] == "response.function_call_arguments.done")
    assert call["name"] == "list_scheduled_calls" and call["arguments"] == "{}"


def test_second_response_create_while_active_is_rejected(connect):
    client = connect()
    client.send({"type": "conversation.item.create", "item": {
        "type": "message", "role": "user", "content": [{"type": "input_text", "text": "say " + "word " * 60}]}})
    client.send({"type": "response.create"})
    client.send({"type": "response.create", "event_id": "evt_second"})
    events = client.until("response.done")
    errors = [e for e in events if e["type"] == "error"]
    assert [e["error"]["code"] for e in errors] == ["conversation_already_has_active_response"]
    assert errors[0]["error"]["event_id"] == "evt_second"
    assert events[-1]["response"]["status"] == "completed"


def test_cancel_stops_the_active_response(connect):
    client = connect()
    client.send({"type": "conversation.item.create", "item": {
        "type": "message", "role": "user", "content": [{"type": "input_text", "text": "say " + "long " * 1000}]}})
    client.send({"type": "response.create"})
    client.until("response.output_audio.delta")
    client.send({"type": "response.cancel"})
    events = client.until("response.done")
    done = events[-1]["response"]
    assert done["status"] == "cancelled"
    assert done["status_details"] == {"type": "cancelled", "reason": "client_cancelled"}
    assert done["output"][0]["status"] == "incomplete"
    assert "response.output_audio.done" not in types(events)
    client.send({"type": "response.cancel", "event_id": "evt_cancel"})
    error = client.until("error")[-1]["error"]
    assert (error["code"], error["event_id"]) == ("response_cancel_not_active", "evt_cancel")


def test_truncate_accepts_played_audio_and_rejects_beyond(connect):
    client = connect()
    events = say(client, "say Hello there, this is a test of truncation.")
    item_id = next(e for e in events if e["type"] == "response.output_item.added")["item"]["id"]
    audio_ms = sum(1 for e in events if e["type"] == "response.output_audio.delta") * 100
    client.send({"type": "conversation.item.truncate", "item_id": item_id, "content_index": 0,
                 "audio_end_ms": audio_ms + 500, "event_id": "evt_trunc"})
    error = client.recv()["error"]
    assert (error["code"], error["param"], error["event_id"]) == ("invalid_value", "audio_end_ms", "evt_trunc")
    client.send({"type": "conversation.item.truncate", "item_id": item_id, "content_index": 0, "audio_end_ms": 200})
    truncated = client.recv()
    assert truncated == {**truncated, "type": "conversation.item.truncated", "item_id": item_id,
                         "content_index": 0, "audio_end_ms": 200}


def test_commit_of_empty_buffer_is_an_error(connect):
    client = connect()
    client.send({"type": "input_audio_buffer.commit"})
    assert client.recv()["error"]["code"] == "input_audio_buffer_commit_empty"


def test_unknown_contact_without_number_asks_for_it(connect):
    client = connect()
    configure(client)
    events = say(client, "call Zed about lunch")
    transcript = next(e for e in events if e["type"] == "response.output_audio_transcript.done")["transcript"]
    assert "What number should I call?" in transcript
    assert "response.function_call_arguments.done" not in types(events)


def test_tools_missing_from_session_are_never_called(connect):
    client = connect()
    configure(client, tools=[])
    events = say(client, "call Akhil about the pallets")
    assert "response.function_call_arguments.done" not in types(events)


def test_out_of_band_response_leaves_the_conversation_alone(connect):
    client = connect()
    client.send({"type": "response.create", "response": {
        "conversation": "none", "output_modalities": ["text"], "metadata": {"purpose": "summary"},
        "input": [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "say Summary."}]}]}})
    events = client.until("response.done")
    assert "conversation.item.added" not in types(events)
    done = events[-1]["response"]
    assert done["conversation_id"] is None and done["metadata"] == {"purpose": "summary"}
    assert done["output"][0]["content"] == [{"type": "output_text", "text": "Summary."}]


def test_pending_updates_are_said_when_a_response_asks_and_echo_its_metadata(server, connect):
    instructions = DIRECTORY + (
        "\n## Pending call updates\n"
        "- [job 4] Priya (Finance), COMPLETED_SUCCESS: Priya will pay the invoice on Friday.\n")
    client = connect()
    configure(client, instructions=instructions)
    plain = say(client, "Hi there")
    assert "Update on your call" not in next(
        e for e in plain if e["type"] == "response.output_audio_transcript.done")["transcript"]
    client.send({"type": "response.create", "response": {
        "instructions": instructions + "\n## Tell the user now\nnaming each contact: job 4 (Priya).\n",
        "metadata": {"deliver_jobs": "4"}}})
    events = client.until("response.done")
    told = next(e for e in events if e["type"] == "response.output_audio_transcript.done")["transcript"]
    assert told == "Update on your call to Priya: Priya will pay the invoice on Friday."
    done = events[-1]["response"]
    assert done["status"] == "completed" and done["metadata"] == {"deliver_jobs": "4"}
