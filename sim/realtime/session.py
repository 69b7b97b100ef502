"""The session object as the GA server shows it, and how updates merge."""
from __future__ import annotations

import copy
import itertools
import secrets
import time
from typing import Any

# the JSON of a session and of the events around it stays a dict, named for what it is
SessionConfig = dict[str, Any]  # a session, as session.created / session.updated carry it
Item = dict[str, Any]  # any other event or part of one

PCM = {"type": "audio/pcm", "rate": 24000}
DEFAULT_INSTRUCTIONS = (
    "Your knowledge cutoff is 2023-10. You are a helpful, witty, and friendly AI. "
    "Act like a human, but remember that you aren't a human."
)
# Keys the real server adds to the session it shows, which the package's
# RealtimeSessionCreateRequest model does not declare.
SERVER_ONLY_SESSION_KEYS = ("object", "id", "expires_at")

_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def new_id(prefix: str, length: int = 22) -> str:
    """Like the server's ids: ``item_`` + 22 characters = 27 (limit is 32)."""
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


class EventIds:
    """Cheap unique server event ids (one random stem per connection)."""

    def __init__(self) -> None:
        self._stem = "event_" + new_id("", 10)
        self._n = itertools.count(1)

    def next(self) -> str:
        return f"{self._stem}{next(self._n)}"


def default_session(model: str, session_max_s: float) -> SessionConfig:
    return {
        "type": "realtime",
        "object": "realtime.session",
        "id": new_id("sess_"),
        "model": model,
        "output_modalities": ["audio"],
        "instructions": DEFAULT_INSTRUCTIONS,
        "tools": [],
        "tool_choice": "auto",
        "max_output_tokens": "inf",
        "tracing": None,
        "truncation": "auto",
        "prompt": None,
        "expires_at": int(time.time() + session_max_s),
        "audio": {
            "input": {
                "format": dict(PCM),
                "transcription": None,
                "noise_reduction": None,
                "turn_detection": {
                    "type": "server_vad",
                    "threshold": 0.5,
                    "prefix_padding_ms": 300,
                    "silence_duration_ms": 500,
                    "idle_timeout_ms": None,
                    "create_response": True,
                    "interrupt_response": True,
                },
            },
            "output": {"format": dict(PCM), "voice": "marin", "speed": 1.0},
        },
        "include": None,
    }


def merge_session(current: SessionConfig, update: Item) -> SessionConfig:
    """Only fields present in the update change; ``audio.input`` and
    ``audio.output`` merge field by field; everything else is replaced
    (``tools: []`` clears tools, ``turn_detection: null`` turns VAD off)."""
    merged = copy.deepcopy(current)
    for key, value in update.items():
        if key == "audio" and isinstance(value, dict):
            audio = merged.setdefault("audio", {})
            for side in ("input", "output"):
                if isinstance(value.get(side), dict):
                    audio.setdefault(side, {}).update(copy.deepcopy(value[side]))
        elif key not in SERVER_ONLY_SESSION_KEYS:
            merged[key] = copy.deepcopy(value)
    return merged


def check_update(current: SessionConfig, update: Item, audio_sent: bool) -> tuple[str, str, str] | None:
    """Semantic checks the schema cannot express: (code, message, param) or None."""
    if update.get("type") != "realtime":
        return ("invalid_value", "Cannot update a realtime session to a different session type.", "session.type")
    modalities = update.get("output_modalities")
    if modalities is not None and sorted(set(modalities)) not in (["audio"], ["text"]):
        return ("invalid_value",
                "Invalid 'session.output_modalities': use either ['audio'] or ['text'], not both.",
                "session.output_modalities")
    model = update.get("model")
    if model is not None and model != current.get("model"):
        return ("invalid_value", "Cannot update a session's model.", "session.model")
    voice = ((update.get("audio") or {}).get("output") or {}).get("voice")
    if voice is not None and audio_sent and voice != current["audio"]["output"].get("voice"):
        return ("cannot_update_voice",
                "Cannot update a conversation's voice if assistant audio is present.",
                "session.audio.output.voice")
    for i, tool in enumerate(update.get("tools") or []):
        if tool.get("type") == "function" and not tool.get("name"):
            return ("missing_required_parameter", f"Missing required parameter: 'session.tools[{i}].name'.",
                    f"session.tools[{i}].name")
    return None


def error_event(event_id: str, code: str | None, message: str, *, param: str | None = None,
                client_event_id: str | None = None, kind: str = "invalid_request_error") -> Item:
    return {
        "type": "error",
        "event_id": event_id,
        "error": {"type": kind, "code": code, "message": message, "param": param, "event_id": client_event_id},
    }


def turn_detection(session: SessionConfig) -> Item | None:
    return ((session.get("audio") or {}).get("input") or {}).get("turn_detection")


def transcription_enabled(session: SessionConfig) -> bool:
    return bool(((session.get("audio") or {}).get("input") or {}).get("transcription"))


def tool_names(session: SessionConfig) -> set[str]:
    return {t.get("name") for t in session.get("tools") or [] if t.get("type") == "function" and t.get("name")}
