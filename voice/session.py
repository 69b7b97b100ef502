"""One Realtime session (one connection): priming, tools, delivering call
outcomes, and the turn log; the server events it handles are in
server_events.py. Its methods run
under the worker's lock, on the connection's thread or (send_*, deliver) on
the worker's task thread; nothing here touches the calls database (tools
and marking outcomes told run on the worker's jobs thread)."""
from __future__ import annotations

import collections
import logging
from typing import TYPE_CHECKING, Callable

from core.records import Job, Turn
from voice import protocol
from voice.connection import Connection
from voice.instructions import build_instructions, delivery_instructions, say_instructions
from voice.priming import history_items, tool_call_text
from voice.protocol import ServerEvent
from voice.server_events import CONNECTED_MESSAGE, DELIVERY_KEY, ServerEvents
from voice.turns import TurnLog

if TYPE_CHECKING:
    from voice.worker import VoiceWorker

log = logging.getLogger(__name__)

STALE_RESPONSE_S = 20.0
PROGRESS_KEY = "progress"
MAX_FAILED_DELIVERIES = 2  # per session, before waiting for the next session or the operator
WORKING_ON_IT = "Still working on that, one moment."


class Session(ServerEvents):
    def __init__(self, worker: "VoiceWorker", conn: Connection, number: int) -> None:
        self.worker = worker
        self.conn = conn
        self.number = number
        self.session_id: str | None = None
        self.turns: TurnLog | None = None
        self.prime_sent = False
        self.primed = False
        self.sent_updates: collections.deque[tuple[str, str]] = collections.deque()
        self.instructions = ""
        self.updates: list[Job] = []  # untold outcomes in the instructions last sent
        self.replayed: set[str] = set()
        self.response_active = False
        self.response_request: str | None = None  # event_id of our response.create in flight
        self.want_response = False
        self.last_response_event = 0.0
        self.tool_outputs_sent = False
        self.tools_running = 0
        self.user_speaking = False
        self.delivering: list[int] = []  # jobs the delivery response in flight tells
        self.not_said: set[int] = set()  # delivered but not named: wait for the next session or the operator
        self.failed_deliveries = 0
        self.sent_texts: set[str] = set()
        self.sent_stamp: dict[str, str] = {}  # typed item id -> when it joined the conversation
        self.unacked: list[str] = []  # typed items sent before our last response.create, not yet seen back
        self.audio_items: set[str] = set()
        self._n = 0
        self._early: list[ServerEvent] = []  # events before session.created named the session
        self.handlers: dict[str, Callable[[ServerEvent], None]] = {
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
            "input_audio_buffer.speech_stopped": self.on_speech_stopped,
            "input_audio_buffer.committed": self.on_speech_stopped,
            "error": self.on_error,
        }

    def next_id(self, kind: str) -> str:
        self._n += 1
        return f"{kind}_{self.number}_{self._n}"[: protocol.MAX_ITEM_ID]

    def current(self) -> bool:
        return self.worker.current_session() is self

    # --- priming (the task thread, with what it read from the stores) ---------

    def prime(self, updates: list[Job], turns: list[Turn]) -> None:
        worker = self.worker
        self.prime_sent = True
        self.send_instructions(updates)
        for event in history_items(turns, f"h{self.number}_"):
            self.replayed.add(event["item"]["id"])
            self.conn.send(event)
        queued = self.send_outbox(respond=False)
        if not queued and turns and turns[-1].role in ("user", "tool_result") and worker.is_recent(turns[-1].timestamp):
            self.want_response = True  # the drop cut off the answer to this
        self.maybe_respond()

    def send_instructions(self, updates: list[Job] | None = None) -> bool:
        """session.update with the current summary and untold outcomes
        (``updates``, else the ones last given)."""
        worker = self.worker
        self.updates = worker.untold(self.updates if updates is None else updates)
        text = build_instructions(worker.base_instructions, worker.settings, worker.summary, self.updates)
        event_id = protocol.event_id("su")
        self.sent_updates.append((event_id, text))
        ok = self.conn.send(protocol.session_update(
            instructions=text, voice=worker.settings.openai.voice, tools=worker.tool_definitions,
            transcription_model=worker.settings.openai.transcription_model, text_only=worker.text_only, event_id_=event_id,
            model=worker.settings.openai.realtime_model, reasoning_effort=worker.settings.openai.realtime_reasoning_effort,
        ))
        if ok:
            self.instructions = text
        else:
            self.sent_updates.pop()
        return ok

    def set_updates(self, updates: list[Job]) -> None:
        """The untold outcomes now: re-send the instructions if they changed."""
        if [u.id for u in updates] != [u.id for u in self.updates]:
            self.send_instructions(updates)

    # --- the client's own requests ----------------------------------------------

    def send_outbox(self, respond: bool = True) -> bool:
        """Send typed messages this session has not been given yet; True if
        any message is still waiting to join the conversation."""
        if not self.prime_sent:
            return bool(self.worker.pending_texts())
        pending = self.worker.pending_texts()
        for item_id, text in pending:
            if item_id not in self.sent_texts and self.conn.send(protocol.user_text(item_id, text)):
                self.sent_texts.add(item_id)
                self.sent_stamp[item_id] = self.worker.item_clock.stamp()
                self.want_response = True
        if respond:
            self.maybe_respond()
        return bool(pending)

    def maybe_respond(self) -> None:
        if self.response_active and self.worker.clock.monotonic() - self.last_response_event > STALE_RESPONSE_S:
            # its response.done never came (lost or malformed): ask anyway;
            # if one is still running the server says so and we wait for it
            self.response_active = False
            self.delivering = []
        if self.want_response and not self.response_active and self.tools_running == 0:
            event = protocol.response_create()
            if self.conn.send(event):
                self.want_response = False
                self._requested(event)
        self.maybe_deliver()

    def _requested(self, event: ServerEvent) -> None:
        self.response_active = True
        self.response_request = event["event_id"]
        self.last_response_event = self.worker.clock.monotonic()
        # the server handles events in order: what we sent before this
        # request is in the conversation once the response starts
        self.unacked = [i for i in self.sent_texts if i in self.sent_stamp and self.worker.has_pending(i)]

    def idle(self) -> bool:
        return (self.primed and not self.response_active and not self.want_response and self.tools_running == 0
                and not self.user_speaking and not self.delivering and not self.worker.pending_texts())

    def maybe_deliver(self) -> None:
        """When nothing else is going on, ask the assistant to say the untold
        outcomes now; they count as told when that response completes."""
        if not self.idle() or self.failed_deliveries >= MAX_FAILED_DELIVERIES:
            return
        jobs = [u for u in self.worker.untold(self.updates) if u.id not in self.not_said]
        if not jobs:
            return
        ids = [int(j.id) for j in jobs]
        event = protocol.response_create(instructions=delivery_instructions(self.instructions, jobs),
                                         metadata={DELIVERY_KEY: ",".join(map(str, ids))})
        if self.conn.send(event):
            self.delivering = ids
            self._requested(event)

    def say_working(self) -> None:
        """A tool is slow: the assistant says so without waiting for it."""
        if self.response_active or not self.current():
            return
        event = protocol.response_create(instructions=say_instructions(WORKING_ON_IT),
                                         metadata={PROGRESS_KEY: "1"}, out_of_band=True)
        if self.conn.send(event):
            self.response_active = True
            self.response_request = event["event_id"]
            self.last_response_event = self.worker.clock.monotonic()

    # --- server events ----------------------------------------------------------

    def handle(self, event: ServerEvent) -> None:
        kind = event.get("type", "")
        if kind.startswith("response."):
            self.last_response_event = self.worker.clock.monotonic()
        handler = self.handlers.get(kind)
        if handler is None:
            return
        if self.turns is None and event["type"] not in ("session.created", "error", "session.updated"):
            self._early.append(event)
            return
        if kind.startswith("response.") and self.unacked:
            self._ack_sent()
        handler(event)

    def _ack_sent(self) -> None:
        """Our typed items reached the conversation (a response began after
        them): log them at the time they joined and take them off the outbox,
        so a reconnect replays them as history, never as a new request."""
        texts = dict(self.worker.pending_texts())
        for item_id in self.unacked:
            if item_id in texts:
                self.turns.joined(item_id, "user", at=self.sent_stamp.get(item_id))
                self.turns.complete(item_id, "user", texts[item_id])
                self.worker.acknowledge(item_id)
        self.unacked = []

    # --- tools -----------------------------------------------------------------

    def run_tool(self, item: Item) -> None:
        """Start a tool call on the jobs thread (once per call_id, whatever
        arrives again); its output is sent when it returns."""
        call_id, name, arguments = item.get("call_id") or "", item.get("name") or "", item.get("arguments") or ""
        if not call_id or not self.worker.claim_call(call_id):
            return
        self.turns.add(item.get("id") or self.next_id("call"), "tool_call", tool_call_text(name, arguments))
        self.tools_running += 1
        self.worker.run_tool(self, call_id, name, arguments)

    def tool_finished(self, call_id: str, name: str, arguments: str, result: str) -> None:
        """The tool returned (worker lock held). In a session that has ended,
        the result is only logged: the next session replays it as history."""
        self.tools_running = max(0, self.tools_running - 1)
        out_id = self.next_id("out")
        turn_id = self.turns.add(out_id, "tool_result", result)
        self.worker.tool_called(name, arguments, result, call_id, self.session_id or "")
        if not self.current():
            self.worker.late_result(name, arguments, result, turn_id)
            return
        self.conn.send(protocol.function_call_output(out_id, call_id, result))
        self.replayed.add(out_id)  # logged here; its conversation.item.added is not a new turn
        self.tool_outputs_sent = True
        if not self.response_active and self.tools_running == 0:
            self.tool_outputs_sent = False
            self.want_response = True
        self.maybe_respond()

    def replay_result(self, name: str, arguments: str, result: str) -> None:
        """A call made in an earlier session returned: give it to this one
        as history, and have the assistant answer from it."""
        call_id = self.next_id("late")
        for event in (protocol.function_call(self.next_id("lc"), call_id, name, arguments),
                      protocol.function_call_output(self.next_id("lo"), call_id, result)):
            self.replayed.add(event["item"]["id"])
            self.conn.send(event)
        self.want_response = True
        self.maybe_respond()

    def close(self) -> None:
        if self.turns is not None:
            self.turns.flush()
