"""Client events of the OpenAI Realtime GA interface, as plain dicts ready
for json.dumps (protocols.md; shapes checked against openai.types.realtime
in the tests)."""
from __future__ import annotations

import base64
import itertools
import json
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

SAMPLE_RATE = 24000
BYTES_PER_MS = SAMPLE_RATE * 2 // 1000  # PCM16 mono: 48
AUDIO_FORMAT = {"type": "audio/pcm", "rate": SAMPLE_RATE}
MAX_ITEM_ID = 32

# JSON that crosses the Realtime socket stays a dict, named for what it is
ClientEvent = dict[str, Any]  # an event we send (built here)
ServerEvent = dict[str, Any]  # an event the server sent, as parsed
Item = dict[str, Any]  # a conversation item inside either
ToolSchema = dict[str, Any]  # one function tool's definition, as session.update carries it
ToolArgs = dict[str, Any]  # a function call's arguments, as parsed

_event_ids = itertools.count(1)


def event_id(prefix: str = "evt") -> str:
    return f"{prefix}_{next(_event_ids)}"


def realtime_url(base: str, model: str) -> str:
    """``base`` plus ``?model=`` (kept if the base already names one)."""
    parts = urlsplit(base)
    if parts.scheme not in ("ws", "wss") or not parts.netloc:
        raise ValueError(f"openai.realtime_url must be a ws:// or wss:// URL, got {base!r}")
    query = dict(parse_qsl(parts.query))
    query.setdefault("model", model)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def session_update(
    *,
    instructions: str,
    voice: str,
    tools: list[ToolSchema],
    transcription_model: str,
    text_only: bool,
    event_id_: str,
    model: str = "",
    reasoning_effort: str = "",
) -> ClientEvent:
    session: Item = {
        "type": "realtime",
        "instructions": instructions,
        "output_modalities": ["text"] if text_only else ["audio"],
        "audio": {
            "input": {
                "format": AUDIO_FORMAT,
                "transcription": {"model": transcription_model},
                "turn_detection": {"type": "server_vad", "create_response": True, "interrupt_response": True},
            },
            "output": {"format": AUDIO_FORMAT, "voice": voice},
        },
        "tools": tools,
        "tool_choice": "auto",
    }
    if reasoning_effort and reasoning_capable(model):
        session["reasoning"] = {"effort": reasoning_effort}
    return {"type": "session.update", "event_id": event_id_, "session": session}


def reasoning_capable(model: str) -> bool:
    """The package's types name ``gpt-realtime-2`` as the reasoning Realtime family
    (``reasoning`` is "only supported by reasoning Realtime models"): others are not sent it."""
    return model.startswith("gpt-realtime-2")


def user_text(item_id: str, text: str) -> ClientEvent:
    return {
        "type": "conversation.item.create",
        "event_id": event_id(),
        "item": {"id": item_id, "type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]},
    }


def assistant_text(item_id: str, text: str) -> ClientEvent:
    return {
        "type": "conversation.item.create",
        "event_id": event_id(),
        "item": {
            "id": item_id, "type": "message", "role": "assistant", "status": "completed",
            "content": [{"type": "output_text", "text": text}],
        },
    }


def function_call(item_id: str, call_id: str, name: str, arguments: str) -> ClientEvent:
    return {
        "type": "conversation.item.create",
        "event_id": event_id(),
        "item": {
            "id": item_id, "type": "function_call", "status": "completed",
            "call_id": call_id, "name": name, "arguments": arguments,
        },
    }


def function_call_output(item_id: str, call_id: str, output: str) -> ClientEvent:
    return {
        "type": "conversation.item.create",
        "event_id": event_id(),
        "item": {"id": item_id, "type": "function_call_output", "call_id": call_id, "output": output},
    }


def response_create(
    *, instructions: str | None = None, metadata: dict[str, str] | None = None, out_of_band: bool = False
) -> ClientEvent:
    """``instructions`` replace the session's for this response only;
    ``metadata`` comes back in ``response.created``/``response.done``; an
    out-of-band response sees no conversation and adds nothing to it."""
    event: ClientEvent = {"type": "response.create", "event_id": event_id()}
    params: Item = {}
    if instructions is not None:
        params["instructions"] = instructions
    if metadata:
        params["metadata"] = metadata
    if out_of_band:
        params["conversation"] = "none"
        params["input"] = []
    if params:
        event["response"] = params
    return event


def truncate(item_id: str, content_index: int, audio_end_ms: int) -> ClientEvent:
    return {
        "type": "conversation.item.truncate",
        "event_id": event_id(),
        "item_id": item_id,
        "content_index": content_index,
        "audio_end_ms": int(audio_end_ms),
    }


def audio_append(pcm: bytes) -> ClientEvent:
    return {"type": "input_audio_buffer.append", "audio": base64.b64encode(pcm).decode("ascii")}


def dumps(event: ClientEvent) -> str:
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False)
