"""One Realtime session (one connection): priming, the server events,
tools, barge-in and the turn log. Its methods run under the worker's lock,
on the connection's thread or (send_*) on the caller's."""
from __future__ import annotations

import base64
import collections
import logging
from typing import TYPE_CHECKING, Any, Callable

from core.events import ToolCalled, VoiceState
from voice import protocol
from voice.connection import AUTH, CONFIG, Connection, Outcome
from voice.instructions import build_instructions
from voice.priming import history_items, tool_call_text
from voice.turns import TurnLog

if TYPE_CHECKING:
    from voice.worker import VoiceWorker

log = logging.getLogger(__name__)

CONNECTED_MESSAGE = "Connected to the assistant."
EXPIRED = "expired"  # an Outcome kind: planned reconnect, no backoff
STALE_RESPONSE_S = 20.0
AUTH_CODES = {"invalid_api_key", "invalid_authentication", "authentication_error"}


def _item_text(item: dict[str, Any]) -> str | None:
    parts = [c.get("text") or c.get("transcript") for c in item.get("content") or []]
    parts = [p for p in parts if p]
    return " ".join(parts) if parts else None


class Session:
    def __init__(self, worker: "VoiceWorker", conn: Connection, number: int) -> None:
        self.w = worker
        self.conn = conn
        self.number = number
        self.session_id: str | None = None
        self.turns: TurnLog | None = None
        self.primed = False
        self.sent_updates: collections.deque[tuple[str, str, list[int]]] = collections.deque()
        self.replayed: set[str] = set()
        self.response_active = False
        self.response_request: str | None = None  # event_id of our response.create in flight
        self.want_response = False
        self.last_response_event = 0.0
        self.tool_outputs_sent = False
        self.handled_calls: set[str] = set()
        self.sent_texts: set[str] = set()
        self.audio_items: set[str] = set()
        self._n = 0
        self._early: list[dict[str, Any]] = []  # events before session.created named the session
        self.handlers: dict[str, Callable[[dict[str, Any]], None]] = {
            "session.created": self.on_session_created,
            "session.updated": self.on_session_updated,
            "conversation.item.added": self.on_item_added,
            "conversation.item.done": self.on_item_done,
            "conversation.item.input_audio_transcription.completed": self.on_transcript,
            "conversation.item.input_audio_transcription.failed": self.on_transcript_failed,
            "response.created": self.on_response_created,
            "response.output_item.added": self.on_output_item_added,
            "response.output_item.done": self.on_output_item_done,
            "response.output_text.delta": self.on_text_delta,
            "response.output_audio_transcript.delta": self.on_text_delta,
            "response.output_audio.delta": self.on_audio_delta,
            "response.output_audio.done": self.on_audio_done,
            "response.done": self.on_response_done,
            "input_audio_buffer.speech_started": self.on_speech_started,
            "error": self.on_error,
        }

    def next_id(self, kind: str) -> str:
        self._n += 1
        return f"{kind}_{self.number}_{self._n}"[: protocol.MAX_ITEM_ID]

    # --- priming (on open: never waits for the summary model) -------------------

    def prime(self) -> None:
        w = self.w
        self.send_instructions()
        turns = w.conversation.get_recent_turns(w.settings.voice.history_turns) if w.settings.voice.history_turns else []
        for event in history_items(turns, f"h{self.number}_"):
            self.replayed.add(event["item"]["id"])
            self.conn.send(event)
        queued = self.send_outbox(respond=False)
        if not queued and turns and turns[-1]["role"] in ("user", "tool_result") and w.is_recent(turns[-1]["timestamp"]):
            self.want_response = True  # the drop cut off the answer to this
        self.maybe_respond()

    def send_instructions(self) -> bool:
        """session.update with the current summary and untold updates; they
        count as told only when session.updated echoes these instructions."""
        w = self.w
        updates = w.jobs.pending_updates()
        text = build_instructions(w.base_instructions, w.settings, w.summary, updates)
        event_id = protocol.event_id("su")
        self.sent_updates.append((event_id, text, [int(j["id"]) for j in updates]))
        ok = self.conn.send(protocol.session_update(
            instructions=text, voice=w.settings.openai.voice, tools=w.tool_definitions,
            transcription_model=w.settings.openai.transcription_model, text_only=w.text_only, event_id_=event_id,
        ))
        if not ok:
            self.sent_updates.pop()
        return ok

    # --- the client's own requests ----------------------------------------------

    def send_outbox(self, respond: bool = True) -> bool:
        """Send typed messages this session has not been given yet; True if
        any message is still waiting to join the conversation."""
        pending = self.w.pending_texts()
        for item_id, text in pending:
            if item_id not in self.sent_texts and self.conn.send(protocol.user_text(item_id, text)):
                self.sent_texts.add(item_id)
                self.want_response = True
        if respond:
            self.maybe_respond()
        return bool(pending)

    def maybe_respond(self) -> None:
        if self.response_active and self.w.clock.monotonic() - self.last_response_event > STALE_RESPONSE_S:
            # its response.done never came (lost or malformed): ask anyway;
            # if one is still running the server says so and we wait for it
            self.response_active = False
        if self.want_response and not self.response_active:
            event = protocol.response_create()
            if self.conn.send(event):
                self.want_response = False
                self.response_active = True
                self.response_request = event["event_id"]
                self.last_response_event = self.w.clock.monotonic()

    # --- server events ----------------------------------------------------------

    def handle(self, event: dict[str, Any]) -> None:
        kind = event.get("type", "")
        if kind.startswith("response."):
            self.last_response_event = self.w.clock.monotonic()
        handler = self.handlers.get(kind)
        if handler is None:
            return
        if self.turns is None and event["type"] not in ("session.created", "error", "session.updated"):
            self._early.append(event)
            return
        handler(event)

    def on_session_created(self, event: dict[str, Any]) -> None:
        w = self.w
        self.session_id = (event.get("session") or {}).get("id") or self.next_id("sess")
        w.session_id = self.session_id
        self.turns = TurnLog(w.conversation, w.bus, w.item_clock, self.session_id)
        w.set_status("connected", CONNECTED_MESSAGE)
        w.bus.publish(VoiceState(state="connected", detail=self.session_id, attempt=w.failures))
        early, self._early = self._early, []
        for e in early:
            self.handle(e)

    def on_session_updated(self, event: dict[str, Any]) -> None:
        instructions = (event.get("session") or {}).get("instructions")
        confirmed = None
        if any(text == instructions for _, text, _ in self.sent_updates):
            while self.sent_updates:
                entry = self.sent_updates.popleft()
                if entry[1] == instructions:
                    confirmed = entry
                    break
        elif self.sent_updates:
            confirmed = self.sent_updates.popleft()
        if confirmed is not None and confirmed[2]:
            self.w.jobs.mark_informed(confirmed[2])
        if not self.primed and confirmed is not None:
            self.primed = True
            self.w.on_primed(self)

    def on_item_added(self, event: dict[str, Any]) -> None:
        item = event.get("item") or {}
        item_id = item.get("id")
        if not item_id or item_id in self.replayed:
            return
        kind = item.get("type")
        if kind == "message":
            role = item.get("role")
            if role not in ("user", "assistant"):
                return
            self.turns.joined(item_id, role)
            text = _item_text(item)
            if role == "user" and text is not None:
                self.turns.complete(item_id, "user", text)
                self.w.acknowledge(item_id)
        elif kind == "function_call":
            self.turns.joined(item_id, "tool_call")

    def on_item_done(self, event: dict[str, Any]) -> None:
        item = event.get("item") or {}
        item_id = item.get("id")
        if item.get("type") != "message" or not item_id or item_id in self.replayed:
            return
        text = _item_text(item)
        if item.get("role") == "assistant" or (item.get("role") == "user" and text):
            self.turns.complete(item_id, item["role"], text)
        if item.get("role") == "user":
            self.w.acknowledge(item_id)

    def on_transcript(self, event: dict[str, Any]) -> None:
        self.turns.complete(event["item_id"], "user", event.get("transcript") or "")

    def on_transcript_failed(self, event: dict[str, Any]) -> None:
        self.turns.complete(event["item_id"], "user", "(inaudible)")

    def on_response_created(self, event: dict[str, Any]) -> None:
        self.response_active = True
        self.response_request = None

    def on_output_item_added(self, event: dict[str, Any]) -> None:
        item = event.get("item") or {}
        if item.get("id"):
            role = "tool_call" if item.get("type") == "function_call" else item.get("role") or "assistant"
            self.turns.joined(item["id"], role)

    def on_text_delta(self, event: dict[str, Any]) -> None:
        self.turns.delta(event["item_id"], event.get("delta") or "")

    def on_audio_delta(self, event: dict[str, Any]) -> None:
        if self.w.player is not None and not self.w.text_only:
            self.audio_items.add(event["item_id"])
            self.w.player.feed(event["item_id"], event.get("content_index", 0), base64.b64decode(event["delta"]))

    def on_audio_done(self, event: dict[str, Any]) -> None:
        if self.w.player is not None:
            self.w.player.finish()

    def on_output_item_done(self, event: dict[str, Any]) -> None:
        item = event.get("item") or {}
        if item.get("type") == "function_call":
            self.run_tool(item)
        elif item.get("type") == "message" and item.get("id"):
            self.turns.complete(item["id"], "assistant", _item_text(item))

    def on_response_done(self, event: dict[str, Any]) -> None:
        for item in (event.get("response") or {}).get("output") or []:
            if item.get("type") == "function_call":
                self.run_tool(item)  # a no-op for calls already answered
        self.response_active = False
        if self.tool_outputs_sent:
            self.tool_outputs_sent = False
            self.want_response = True
        self.maybe_respond()

    def on_speech_started(self, event: dict[str, Any]) -> None:
        player = self.w.player
        if player is None or not player.playing():
            return
        stopped = player.stop()
        if stopped is not None and stopped[0] in self.audio_items:
            item_id, index, played_ms = stopped
            self.conn.send(protocol.truncate(item_id, index, played_ms))

    def on_error(self, event: dict[str, Any]) -> None:
        error = event.get("error") or {}
        code, message = error.get("code"), error.get("message") or ""
        log.warning("Realtime error %s: %s", code, message)
        if code == "session_expired":
            self.conn.end(Outcome(EXPIRED, "the session reached its time limit", True))
        elif code in AUTH_CODES or error.get("type") == "authentication_error":
            self.conn.end(Outcome(AUTH, f"the server refused the API key: {message}", True))
        elif error.get("event_id") and any(error["event_id"] == eid for eid, _, _ in self.sent_updates):
            self.conn.end(Outcome(CONFIG, f"the server rejected the session settings: {message}", True))
        elif error.get("event_id") and error["event_id"] == self.response_request:
            self.response_active = code == "conversation_already_has_active_response"
            self.response_request = None
            self.want_response = True
            if not self.response_active:
                log.warning("response.create was refused (%s); not retrying it", code)
                self.want_response = False

    # --- tools -----------------------------------------------------------------

    def run_tool(self, item: dict[str, Any]) -> None:
        call_id, name, arguments = item.get("call_id") or "", item.get("name") or "", item.get("arguments") or ""
        if not call_id or call_id in self.handled_calls:
            return
        self.handled_calls.add(call_id)
        self.turns.add(item.get("id") or self.next_id("call"), "tool_call", tool_call_text(name, arguments))
        result = self.w.tools.run(name, arguments)
        out_id = self.next_id("out")
        self.turns.add(out_id, "tool_result", result)
        self.w.bus.publish(ToolCalled(name=name, arguments=arguments, result=result, call_id=call_id,
                                      session_id=self.session_id or ""))
        self.conn.send(protocol.function_call_output(out_id, call_id, result))
        self.replayed.add(out_id)  # logged here; its conversation.item.added is not a new turn
        self.tool_outputs_sent = True
        if not self.response_active:
            self.tool_outputs_sent = False
            self.want_response = True
            self.maybe_respond()

    def close(self) -> None:
        if self.turns is not None:
            self.turns.flush()

