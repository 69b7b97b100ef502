"""The voice worker: keeps a Realtime session alive for as long as the app
runs (reconnecting with backoff, never giving up on a transient failure),
primes each new session with context, has finished calls' outcomes said,
and publishes what happens.

Threads: the connection's thread only reads events and hands off; the
"voice-tasks" thread reads the stores for priming and for untold outcomes;
the "voice-jobs" thread runs tools and marks outcomes told, so a slow or
locked calls database never stops the socket from answering pings."""
from __future__ import annotations

import collections
import json
import logging
import queue
import threading
import uuid
from datetime import datetime
from typing import Any

from calling.held_requests import HeldRequests
from core import clock as clock_mod
from core import config as config_mod
from core import events
from core.events import AudioState, ConnectionStatus, Notice, ToolCalled, VoiceState
from core.records import Job
from core.retry import RetryPolicy
from core.state import RECONNECTING
from store import ConversationStore, JobStore
from voice import protocol
from voice.audio import AudioDevice, Player, open_default_device
from voice.background import BackgroundWork
from voice.connection import AUTH, CONFIG, EXPIRED, STOPPED, Connection
from voice.instructions import load_default_instructions
from voice.priming import Summariser
from voice.session import Session
from voice.tools import TOOLS, ToolBox
from voice.turns import ItemClock

log = logging.getLogger(__name__)

DISCONNECTED_MESSAGE = f"{RECONNECTING}..."
CONNECT_TIMEOUT_S = 10.0
RESUME_WINDOW_S = 120.0  # an unanswered turn younger than this is answered after a reconnect
HANDLED_CALLS_KEPT = 2000


class VoiceWorker(BackgroundWork):
    name = "voice"

    def __init__(
        self,
        config: config_mod.Config,
        bus: events.Bus,
        jobs: JobStore,
        conversation: ConversationStore,
        clock: clock_mod.Clock | None = None,
        audio_backend: AudioDevice | None = None,
        held: HeldRequests | None = None,
    ) -> None:
        self.config = config
        self.settings = config.settings
        self.bus = bus
        self.jobs = jobs
        self.conversation = conversation
        self.clock = clock or clock_mod.SystemClock()
        self.session_id: str | None = None
        self.lock = threading.RLock()
        self.tools = ToolBox(jobs, self.settings, bus, self.clock, held=held)
        self.tool_definitions = TOOLS
        self.item_clock = ItemClock(self.clock)
        self.policy = RetryPolicy(base_s=0.5, cap_s=self.settings.voice.reconnect_cap_s)
        self.outbox: list[tuple[str, str]] = []  # typed messages not yet in the conversation
        self.outbox_lock = threading.Lock()
        self.summary: str | None = None
        self.base_instructions = ""
        self.failures = 0
        self.text_only = True
        self.muted = False
        self.player: Player | None = None
        self._audio_reason = ""
        self._device = audio_backend
        self._device_given = audio_backend is not None
        self._stop = threading.Event()
        self._conn: Connection | None = None
        self._session: Session | None = None
        self._sessions = 0
        self._status: str | None = None
        self._mic: queue.Queue[bytes] = queue.Queue(maxsize=50)
        # work handed off by the app's threads and bus subscribers, so they
        # never wait on ``lock`` (a send on a dying socket can hold it for seconds)
        self._tasks: queue.Queue[str] = queue.Queue()
        self._summariser: Summariser | None = None
        self._summary_busy = threading.Lock()
        # tools and marking told, off the connection's thread
        self._jobs_work: queue.Queue[Any] = queue.Queue()
        self._jobs_busy = 0
        self._handled_calls: collections.OrderedDict[str, None] = collections.OrderedDict()
        self._told: set[int] = set()  # jobs marked told by anyone while this worker runs
        self._late: list[tuple[str, str, str, int]] = []  # tool results whose session ended first
        self._texts_sent = 0
        self._unsubscribe: Any = None

    # --- the app's interface (any thread) ----------------------------------------

    def stop(self) -> None:
        self._stop.set()
        self._tasks.put("stop")
        conn = self._conn
        if conn is not None:
            conn.shutdown(stopping=True)

    def send_text(self, text: str) -> None:
        text = text.strip()
        if not text:
            return
        item_id = "msg_" + uuid.uuid4().hex[:20]
        with self.outbox_lock:
            self.outbox.append((item_id, text))
        self._texts_sent += 1
        self._tasks.put("outbox")  # sent now if connected, else by prime() on connect

    def share_updates(self) -> None:
        """The operator asks for the untold outcomes now: the assistant says
        them as soon as it is not answering something else (also retrying
        any it did not manage to say earlier in this session)."""
        session = self._session
        if session is None or not session.primed:
            self.bus.publish(Notice(level="info", text="The assistant is not connected yet; it will tell you the "
                                                       "finished calls as soon as it is back."))
        self._tasks.put("share")

    def settled(self) -> bool:
        """Every typed message has been answered: none waiting, no response
        or tool running, and a live session to say so."""
        with self.lock:
            if self.pending_texts() or self._jobs_busy or not self._tasks.empty():
                return False
            session = self._session
            if session is None:
                return self._texts_sent == 0
            return session.primed and not (session.response_active or session.want_response
                                           or session.tools_running)

    def set_muted(self, muted: bool) -> None:
        self.muted = muted
        self._publish_audio(self._audio_reason)

    def set_text_mode(self, text_only: bool) -> None:
        if not text_only and self._device is None:
            self.bus.publish(AudioState(mode="text", reason="no audio device: staying in text mode", muted=self.muted))
            return
        if text_only == self.text_only:
            return
        self.text_only = text_only
        if text_only and self.player is not None:
            self.player.stop()
        self._tasks.put("instructions")  # output modalities follow the mode
        self._publish_audio("text mode chosen" if text_only else "")

    # --- the worker thread -----------------------------------------------------

    def run(self) -> None:
        problem = self._check_config()
        if problem:
            self.bus.publish(VoiceState(state="config_error", detail=problem))
            self._stop.wait()
            self.bus.publish(VoiceState(state="stopped"))
            return
        self._start_audio()
        o = self.settings.openai
        self._summariser = Summariser(o.api_base, self.config.secrets.openai_api_key, o.summary_model,
                                      o.request_timeout_s, self.clock)
        latest = self.conversation.latest_summary()
        self.summary = latest.summary if latest else None
        helpers = [threading.Thread(target=self._task_loop, name="voice-tasks", daemon=True),
                   threading.Thread(target=self._jobs_loop, name="voice-jobs", daemon=True),
                   threading.Thread(target=self._mic_loop, name="voice-mic", daemon=True)]
        self._unsubscribe = self.bus.subscribe(self._on_event)
        for t in helpers:
            t.start()
        try:
            self._connect_loop()
        finally:
            self._stop.set()
            self._tasks.put("stop")
            self._jobs_work.put(None)
            self._unsubscribe()
            for t in helpers:
                t.join(timeout=5)
            if self._device is not None:
                self._device.close()
            self._summariser.close()
            self.bus.publish(VoiceState(state="stopped"))

    def _connect_loop(self) -> None:
        url = protocol.realtime_url(self.settings.openai.realtime_url, self.settings.openai.realtime_model)
        v = self.settings.voice
        last_immediate = -1e9
        while not self._stop.is_set():
            self.bus.publish(VoiceState(state="connecting", attempt=self.failures))
            with self.lock:
                self._sessions += 1
                conn = Connection(url, self.config.secrets.openai_api_key, ping_interval=v.ping_interval_s,
                                  ping_timeout=v.ping_timeout_s, connect_timeout=CONNECT_TIMEOUT_S,
                                  on_open=self._on_open, on_message=self._on_message)
                self._conn = conn
            if self._stop.is_set():
                break
            outcome = conn.run()
            with self.lock:
                session, self._session, self._conn = self._session, None, None
                self.session_id = None
                if session is not None:
                    session.close()
            if self.player is not None:
                self.player.reset()
            if outcome.kind == STOPPED or self._stop.is_set():
                break
            if outcome.kind != EXPIRED:  # a session's planned end is no connectivity issue
                self.set_status("disconnected", DISCONNECTED_MESSAGE)
            if outcome.kind in (AUTH, CONFIG):
                state = "auth_failed" if outcome.kind == AUTH else "config_error"
                log.error("voice: %s; not retrying", outcome.detail)
                self.bus.publish(VoiceState(state=state, detail=outcome.detail + " — not retrying"))
                self._stop.wait()
                break
            if session is not None and session.primed:
                self.failures = 0
            if outcome.kind == EXPIRED:
                delay = 0.0
            else:
                self.failures += 1
                now = self.clock.monotonic()
                if self.failures == 1 and outcome.retry_after is None and now - last_immediate >= 1.0:
                    delay, last_immediate = 0.0, now
                else:
                    delay = self.policy.delay(max(1, self.failures - 1), outcome.retry_after)
            log.info("voice: connection ended (%s); reconnecting in %.2f s", outcome.detail, delay)
            self.bus.publish(VoiceState(state="reconnecting", detail=outcome.detail, attempt=self.failures,
                                        retry_in_s=round(delay, 3)))
            if delay and self.clock.sleep(delay, self._stop):
                break

    def _check_config(self) -> str:
        v, o = self.settings.voice, self.settings.openai
        if not self.config.secrets.openai_api_key:
            return "OPENAI_API_KEY is not set"
        if v.ping_interval_s <= v.ping_timeout_s:
            return "voice.ping_interval_s must be greater than voice.ping_timeout_s"
        if v.ping_interval_s + v.ping_timeout_s > 10:
            log.warning("voice: a dead connection may go unnoticed for %.0f s (ping_interval_s + ping_timeout_s);"
                        " 10 s or less is recommended", v.ping_interval_s + v.ping_timeout_s)
        try:
            protocol.realtime_url(o.realtime_url, o.realtime_model)
        except ValueError as e:
            return str(e)
        try:
            self.base_instructions = load_default_instructions(self.config)
        except OSError as e:
            return f"openai.instructions_file: cannot read {o.instructions_file} ({e.__class__.__name__})"
        return ""

    # --- connection callbacks (the connection's thread) ---------------------------

    def _on_open(self, conn: Connection) -> None:
        with self.lock:
            if conn is not self._conn:
                return
            self._session = Session(self, conn, self._sessions)
        self._tasks.put("prime")  # reads the stores: not on this thread
        threading.Thread(target=self._refresh_summary, args=(self._session,), name="voice-summary", daemon=True).start()

    def _on_message(self, data: str) -> None:
        try:
            event = json.loads(data)
        except ValueError:
            log.warning("a Realtime event was not JSON (%d bytes); ignored", len(data))
            return
        if not isinstance(event, dict):
            return
        with self.lock:
            session = self._session
            if session is None:
                return
            try:
                session.handle(event)
            except Exception:
                log.exception("handling Realtime event %s failed", event.get("type"))

    # --- called by the session, under the lock ---------------------------------------

    def current_session(self) -> Session | None:
        return self._session

    def has_pending(self, item_id: str) -> bool:
        with self.outbox_lock:
            return any(i == item_id for i, _ in self.outbox)

    def claim_call(self, call_id: str) -> bool:
        """True the first time a call id is seen (in any session)."""
        if call_id in self._handled_calls:
            return False
        self._handled_calls[call_id] = None
        while len(self._handled_calls) > HANDLED_CALLS_KEPT:
            self._handled_calls.popitem(last=False)
        return True

    def tool_called(self, name: str, arguments: str, result: str, call_id: str, session_id: str) -> None:
        self.bus.publish(ToolCalled(name=name, arguments=arguments, result=result, call_id=call_id,
                                    session_id=session_id))

    def late_result(self, name: str, arguments: str, result: str, turn_id: int) -> None:
        """A tool returned after its session ended: the live session (now or
        the next one) gets the call and its result as history, and answers."""
        session = self._session
        if session is not None and session.prime_sent:
            session.replay_result(name, arguments, result)
        else:
            self._late.append((name, arguments, result, turn_id))

    def untold(self, updates: list[Job]) -> list[Job]:
        return [u for u in updates if int(u.id) not in self._told]

    def on_primed(self, session: Session) -> None:
        self.bus.publish(VoiceState(state="primed", detail=session.session_id or "", attempt=self.failures))

    def acknowledge(self, item_id: str) -> None:
        with self.outbox_lock:
            self.outbox = [(i, t) for i, t in self.outbox if i != item_id]

    def pending_texts(self) -> list[tuple[str, str]]:
        with self.outbox_lock:
            return list(self.outbox)

    def set_status(self, status: str, message: str) -> None:
        if status != self._status:
            self._status = status
            self.bus.publish(ConnectionStatus(status=status, message=message))

    def is_recent(self, ts: str) -> bool:
        at = datetime.fromisoformat(ts.replace("Z", "+00:00"))
        return (self.clock.now() - at).total_seconds() < RESUME_WINDOW_S

    # --- audio -------------------------------------------------------------------

    def _start_audio(self) -> None:
        v = self.settings.voice
        if v.audio == "off":
            self._device, reason = None, 'audio is off in the config (voice.audio = "off")'
        elif self._device is None:
            self._device, reason = open_default_device(v.audio, v.input_device, v.output_device)
        else:
            reason = ""
        if self._device is not None:
            try:
                self.player = Player()
                self._device.start_playback(self.player.pull)
                self._device.start_capture(self._on_mic_chunk)
            except Exception as e:
                log.exception("starting audio failed; text mode")
                self._device.close()
                self._device, self.player, reason = None, None, f"no audio: the sound device failed ({e})"
        self.text_only = self._device is None
        self._audio_reason = reason
        self._publish_audio(reason)

    def _publish_audio(self, reason: str) -> None:
        self.bus.publish(AudioState(mode="text" if self.text_only else "voice", reason=reason, muted=self.muted))

    def _on_mic_chunk(self, pcm: bytes) -> None:
        if self.muted or self.text_only or self._session is None:
            return
        try:
            self._mic.put_nowait(pcm)
        except queue.Full:
            log.debug("microphone backlog full; a chunk was dropped")

    def _mic_loop(self) -> None:
        while not self._stop.is_set():
            try:
                pcm = self._mic.get(timeout=0.2)
            except queue.Empty:
                continue
            conn = self._conn
            if conn is not None and not self.muted:
                conn.send(protocol.audio_append(pcm))

