"""The openai package's own realtime client against the simulator."""
from __future__ import annotations

import asyncio
import json

from openai import AsyncOpenAI

from .conftest import AUDIO_DELTAS, API_KEY, DIRECTORY, TOOLS, check_server_event, collapse

TEXT_TURN = [
    "conversation.item.added", "conversation.item.done",
    "response.created", "response.output_item.added", "conversation.item.added",
    "response.content_part.added",
    AUDIO_DELTAS,
    "response.output_audio.done", "response.output_audio_transcript.done", "response.content_part.done",
    "response.output_item.done", "conversation.item.done", "response.done", "rate_limits.updated",
]


async def _events_until(conn, kind: str) -> list[dict]:
    got = []
    while True:
        data = json.loads(await asyncio.wait_for(conn.recv_bytes(), 10))
        check_server_event(data)
        got.append(data)
        if data["type"] == kind:
            return got


async def _conversation(base: str) -> dict[str, list[dict]]:
    client = AsyncOpenAI(api_key=API_KEY, websocket_base_url=base)
    out: dict[str, list[dict]] = {}
    async with client.realtime.connect(model="gpt-realtime") as conn:
        out["created"] = await _events_until(conn, "session.created")
        await conn.session.update(session={"type": "realtime", "instructions": DIRECTORY, "tools": TOOLS,
                                           "audio": {"output": {"voice": "marin"}}})
        out["updated"] = await _events_until(conn, "session.updated")

        await conn.conversation.item.create(
            item={"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Good morning"}]})
        await conn.response.create()
        out["text"] = await _events_until(conn, "rate_limits.updated")

        await conn.conversation.item.create(item={
            "type": "message", "role": "user",
            "content": [{"type": "input_text", "text": "Please call Priya in Finance about the March invoice."}]})
        await conn.response.create()
        out["call"] = await _events_until(conn, "rate_limits.updated")
        call = next(e["item"] for e in out["call"] if e["type"] == "response.output_item.done")

        await conn.conversation.item.create(item={
            "type": "function_call_output", "call_id": call["call_id"],
            "output": json.dumps({"message": "Scheduled a call to Priya for 10:30. I'll report back."})})
        await conn.response.create()
        out["after_call"] = await _events_until(conn, "rate_limits.updated")
    return out


def test_openai_client_text_turn_and_function_call_round_trip(server):
    out = asyncio.run(_conversation(server.base))

    created = out["created"][-1]["session"]
    assert created["id"].startswith("sess_") and created["type"] == "realtime"
    assert created["model"] == "gpt-realtime"
    assert created["audio"]["output"]["format"] == {"type": "audio/pcm", "rate": 24000}
    updated = out["updated"][-1]["session"]
    assert updated["instructions"] == DIRECTORY
    assert [t["name"] for t in updated["tools"]] == [t["name"] for t in TOOLS]
    assert updated["audio"]["input"]["turn_detection"]["type"] == "server_vad"  # merged, not replaced

    assert collapse([e["type"] for e in out["text"]]) == TEXT_TURN
    transcript = "".join(e["delta"] for e in out["text"] if e["type"] == "response.output_audio_transcript.delta")
    done = out["text"][-2]["response"]
    assert done["status"] == "completed"
    assert done["output"][0]["content"][0] == {"type": "output_audio", "transcript": transcript}
    assert "Good morning" in transcript
    deltas = [e["type"] for e in out["text"] if e["type"].startswith("response.output_audio")]
    assert deltas[0] == "response.output_audio_transcript.delta"  # words lead the audio
    assert deltas.count("response.output_audio.delta") >= 3
    assert done["usage"]["total_tokens"] > 0

    assert collapse([e["type"] for e in out["call"]]) == [
        "conversation.item.added", "conversation.item.done",
        "response.created", "response.output_item.added", "conversation.item.added",
        "response.function_call_arguments.delta", "response.function_call_arguments.done",
        "response.output_item.done", "conversation.item.done", "response.done", "rate_limits.updated",
    ]
    args_done = next(e for e in out["call"] if e["type"] == "response.function_call_arguments.done")
    assert args_done["name"] == "schedule_outbound_call"
    assert json.loads(args_done["arguments"]) == {
        "phone_number": "+14155550123", "contact_name": "Priya", "call_objective": "the March invoice"}
    deltas = "".join(e["delta"] for e in out["call"] if e["type"] == "response.function_call_arguments.delta")
    assert deltas == args_done["arguments"]

    assert collapse([e["type"] for e in out["after_call"]]) == TEXT_TURN
    answer = next(e for e in out["after_call"] if e["type"] == "response.output_audio_transcript.done")
    assert answer["transcript"] == "Scheduled a call to Priya for 10:30. I'll report back."


async def _text_only(base: str) -> list[dict]:
    client = AsyncOpenAI(api_key=API_KEY, websocket_base_url=base)
    async with client.realtime.connect(model="gpt-realtime") as conn:
        await _events_until(conn, "session.created")
        await conn.session.update(session={"type": "realtime", "output_modalities": ["text"]})
        await _events_until(conn, "session.updated")
        await conn.conversation.item.create(
            item={"type": "message", "role": "user", "content": [{"type": "input_text", "text": "say Hi there."}]})
        await conn.response.create()
        return await _events_until(conn, "rate_limits.updated")


def test_openai_client_text_modality_uses_output_text_events(server):
    events = asyncio.run(_text_only(server.base))
    assert collapse([e["type"] for e in events]) == [
        "conversation.item.added", "conversation.item.done",
        "response.created", "response.output_item.added", "conversation.item.added",
        "response.content_part.added", "response.output_text.delta", "response.output_text.done",
        "response.content_part.done", "response.output_item.done", "conversation.item.done",
        "response.done", "rate_limits.updated",
    ]
    assert next(e for e in events if e["type"] == "response.output_text.done")["text"] == "Hi there."
    assert events[-2]["response"]["output_modalities"] == ["text"]
