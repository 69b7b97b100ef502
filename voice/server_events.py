"""The Realtime server events a session handles: the session's own
(created, updated), the conversation's items and transcripts, responses
and their audio, the user's speech (barge-in) and errors. Part of Session,
which provides the state they change; they run under the worker's lock on
the connection's thread."""
from __future__ import annotations

import base64
import logging

from core.events import VoiceState
from core.records import Job
from voice import protocol
from voice.connection import AUTH, CONFIG, EXPIRED, Outcome
from voice.protocol import Item, ServerEvent
from voice.turns import TurnLog

log = logging.getLogger(__name__)

CONNECTED_MESSAGE = "Connected to the assistant."
AUTH_CODES = {"invalid_api_key", "invalid_authentication", "authentication_error"}
DELIVERY_KEY = "deliver_jobs"  # response metadata naming the jobs a delivery response tells


def _item_text(item: Item) -> str | None:
    parts = [c.get("text") or c.get("transcript") for c in item.get("content") or []]
    parts = [p for p in parts if p]
    return " ".join(parts) if parts else None


def names_job(text: str, job: Job) -> bool:
    """Whether ``text`` names the job's contact (full name, first name or number)."""
    low = text.lower()
    name = (job.contact_name or "").strip().lower()
    return bool(name) and (name in low or name.split()[0] in low) or (job.phone_number or "#") in text


class ServerEvents:
    """Part of Session: one ``on_*`` method per server event type it handles."""

    def on_session_created(self, event: ServerEvent) -> None:
        worker = self.worker
        self.session_id = (event.get("session") or {}).get("id") or self.next_id("sess")
        worker.session_id = self.session_id
        self.turns = TurnLog(worker.conversation, worker.bus, worker.item_clock, self.session_id)
        worker.set_status("connected", CONNECTED_MESSAGE)
        worker.bus.publish(VoiceState(state="connected", detail=self.session_id, attempt=worker.failures))
        early, self._early = self._early, []
        for e in early:
            self.handle(e)

    def on_session_updated(self, event: ServerEvent) -> None:
        instructions = (event.get("session") or {}).get("instructions")
        confirmed = None
        if any(text == instructions for _, text in self.sent_updates):
            while self.sent_updates:
                entry = self.sent_updates.popleft()
                if entry[1] == instructions:
                    confirmed = entry
                    break
        elif self.sent_updates:
            confirmed = self.sent_updates.popleft()
        if not self.primed and confirmed is not None:
            self.primed = True
            self.worker.on_primed(self)
            self.maybe_deliver()

    def on_item_added(self, event: ServerEvent) -> None:
        item = event.get("item") or {}
        item_id = item.get("id")
        if not item_id or item_id in self.replayed:
            return
        kind = item.get("type")
        if kind == "message":
            role = item.get("role")
            if role not in ("user", "assistant"):
                return
            self.turns.joined(item_id, role, at=self.sent_stamp.get(item_id))
            text = _item_text(item)
            if role == "user" and text is not None:
                self.turns.complete(item_id, "user", text)
                self.worker.acknowledge(item_id)
        elif kind == "function_call":
            self.turns.joined(item_id, "tool_call")

    def on_item_done(self, event: ServerEvent) -> None:
        item = event.get("item") or {}
        item_id = item.get("id")
        if item.get("type") != "message" or not item_id or item_id in self.replayed:
            return
        text = _item_text(item)
        if item.get("role") == "assistant" or (item.get("role") == "user" and text):
            if item.get("role") == "user":
                self.turns.joined(item_id, "user", at=self.sent_stamp.get(item_id))
            self.turns.complete(item_id, item["role"], text)
        if item.get("role") == "user":
            self.worker.acknowledge(item_id)

    def on_transcript(self, event: ServerEvent) -> None:
        self.turns.complete(event["item_id"], "user", event.get("transcript") or "")

    def on_transcript_failed(self, event: ServerEvent) -> None:
        self.turns.complete(event["item_id"], "user", "(inaudible)")

    def on_response_created(self, event: ServerEvent) -> None:
        self.response_active = True
        self.response_request = None

    def on_output_item_added(self, event: ServerEvent) -> None:
        item = event.get("item") or {}
        if item.get("id"):
            role = "tool_call" if item.get("type") == "function_call" else item.get("role") or "assistant"
            self.turns.joined(item["id"], role)

    def on_text_delta(self, event: ServerEvent) -> None:
        self.turns.delta(event["item_id"], event.get("delta") or "")

    def on_audio_delta(self, event: ServerEvent) -> None:
        if self.worker.player is not None and not self.worker.text_only:
            self.audio_items.add(event["item_id"])
            self.worker.player.feed(event["item_id"], event.get("content_index", 0), base64.b64decode(event["delta"]))

    def on_audio_done(self, event: ServerEvent) -> None:
        if self.worker.player is not None:
            self.worker.player.finish()

    def on_output_item_done(self, event: ServerEvent) -> None:
        item = event.get("item") or {}
        if item.get("type") == "function_call":
            self.run_tool(item)
        elif item.get("type") == "message" and item.get("id"):
            self.turns.complete(item["id"], "assistant", _item_text(item))

    def on_response_done(self, event: ServerEvent) -> None:
        response = event.get("response") or {}
        output = response.get("output") or []
        for item in output:
            if item.get("type") == "function_call":
                self.run_tool(item)  # a no-op for calls already handled
            elif item.get("type") == "message" and item.get("id") and item.get("status") == "completed":
                self.turns.complete(item["id"], "assistant", _item_text(item))
        delivered = (response.get("metadata") or {}).get(DELIVERY_KEY)
        if delivered is not None or self.delivering:
            self._delivery_done(response, delivered)
        self.response_active = False
        if self.tool_outputs_sent:
            self.tool_outputs_sent = False
            self.want_response = True
        self.maybe_respond()

    def _delivery_done(self, response: Item, delivered: str | None) -> None:
        ids = self.delivering
        if delivered is not None:
            ids = [int(i) for i in delivered.split(",") if i.strip().isdigit()]
        self.delivering = []
        said = " ".join(_item_text(i) or "" for i in response.get("output") or [] if i.get("type") == "message")
        if response.get("status") != "completed" or not said.strip():
            # cancelled, interrupted, failed: nothing was told; try again at the next quiet moment
            self.failed_deliveries += 1
            log.info("a delivery of jobs %s ended %s; nothing marked told", ids, response.get("status"))
            return
        jobs = {int(u.id): u for u in self.updates}
        told = [i for i in ids if i in jobs and names_job(said, jobs[i])]
        self.not_said |= set(ids) - set(told)
        if told:
            self.worker.mark_told(told)

    def on_speech_started(self, event: ServerEvent) -> None:
        self.user_speaking = True
        player = self.worker.player
        if player is None or not player.playing():
            return
        stopped = player.stop()
        if stopped is not None and stopped[0] in self.audio_items:
            item_id, index, played_ms = stopped
            self.conn.send(protocol.truncate(item_id, index, played_ms))

    def on_speech_stopped(self, event: ServerEvent) -> None:
        self.user_speaking = False

    def on_error(self, event: ServerEvent) -> None:
        error = event.get("error") or {}
        code, message = error.get("code"), error.get("message") or ""
        log.warning("Realtime error %s: %s", code, message)
        if code == "session_expired":
            self.conn.end(Outcome(EXPIRED, "the session reached its time limit", True))
        elif code in AUTH_CODES or error.get("type") == "authentication_error":
            self.conn.end(Outcome(AUTH, f"the server refused the API key: {message}", True))
        elif code == "insufficient_quota":  # no credit: reconnecting or asking again never helps
            self.conn.end(Outcome(AUTH, "OpenAI says the account is out of quota (insufficient_quota); add credit "
                                        "at platform.openai.com and restart", True))
        elif error.get("event_id") and any(error["event_id"] == eid for eid, _ in self.sent_updates):
            self.conn.end(Outcome(CONFIG, f"the server rejected the session settings: {message}", True))
        elif error.get("event_id") and error["event_id"] == self.response_request:
            was_delivery, self.delivering = bool(self.delivering), []
            self.response_active = code == "conversation_already_has_active_response"
            self.response_request = None
            self.want_response = not was_delivery
            if not self.response_active:
                log.warning("response.create was refused (%s); not retrying it", code)
                self.want_response = False
                self.failed_deliveries += was_delivery
