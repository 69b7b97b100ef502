"""Voice fixtures: the simulators (SimCluster) on loopback, a config pointed
at them, real stores in a temp dir, the worker on a thread, a recorder of
bus events, a tap on the client's outgoing frames (validated against the
openai package's types), and a fake sound device — the only fake, at the
hardware boundary."""
from __future__ import annotations

import functools
import json
import math
import struct
import threading
import time
import typing
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
import websocket
from pydantic import BaseModel, Field, TypeAdapter

from core import config as config_mod
from core.clock import FixedClock
from core.events import Bus
from core.records import Job
from sim.cluster import SimCluster
from store import ConversationStore, JobStore
from tests.conftest import ROOT
from voice.tools import ToolBox
from voice.worker import VoiceWorker
from tests.helpers import wait_for, Recorder

SPEED = 20.0
# server errors that are part of the protocol, not a client mistake
EXPECTED_ERRORS = {"session_expired", "conversation_already_has_active_response", "insufficient_quota"}


# --- client events on the wire ---------------------------------------------------

@functools.cache
def client_adapter() -> TypeAdapter:
    from openai.types.realtime import RealtimeClientEvent

    members = typing.get_args(typing.get_args(RealtimeClientEvent)[0])
    return TypeAdapter(typing.Annotated[typing.Union[members], Field(discriminator="type")])


def extra_keys(value: Any, path: str = "") -> list[str]:
    """Every key a pydantic model accepted without declaring it."""
    found: list[str] = []
    if isinstance(value, BaseModel):
        for key in value.model_extra or {}:
            found.append(f"{path}.{key}")
        for name in type(value).model_fields:
            found += extra_keys(getattr(value, name), f"{path}.{name}")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            found += extra_keys(v, f"{path}[{i}]")
    return found


def check_client_event(text: str) -> dict[str, Any]:
    data = json.loads(text)
    parsed = client_adapter().validate_python(data)
    extras = extra_keys(parsed)
    assert not extras, f"{data['type']} has undeclared keys {extras}"
    if data["type"] == "conversation.item.create":
        from openai.types.realtime import (
            RealtimeConversationItemAssistantMessage,
            RealtimeConversationItemFunctionCall,
            RealtimeConversationItemFunctionCallOutput,
            RealtimeConversationItemUserMessage,
        )
        item = data["item"]
        model = {("message", "user"): RealtimeConversationItemUserMessage,
                 ("message", "assistant"): RealtimeConversationItemAssistantMessage,
                 ("function_call", None): RealtimeConversationItemFunctionCall,
                 ("function_call_output", None): RealtimeConversationItemFunctionCallOutput}[
            (item["type"], item.get("role"))]
        extras = extra_keys(model.model_validate(item))
        assert not extras, f"item has undeclared keys {extras}"
        assert len(item["id"]) <= 32
    return data


class Tap:
    """Every text frame the client sends (``frames``) and receives
    (``received``), in order; the library still does the sending."""

    def __init__(self) -> None:
        self.frames: list[str] = []
        self.received: list[str] = []
        self._lock = threading.Lock()

    def server_events(self, kind: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            frames = list(self.received)
        out = []
        for f in frames:
            try:
                out.append(json.loads(f))
            except ValueError:
                continue
        return [e for e in out if kind is None or e.get("type") == kind]

    def events(self, kind: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            frames = list(self.frames)
        out = [json.loads(f) for f in frames]
        return [e for e in out if kind is None or e["type"] == kind]

    def record(self, payload: Any) -> None:
        if isinstance(payload, str):
            with self._lock:
                self.frames.append(payload)


@pytest.fixture
def tap(monkeypatch: pytest.MonkeyPatch) -> Iterator[Tap]:
    t = Tap()
    original = websocket.WebSocket.send

    def send(self: websocket.WebSocket, payload: Any, opcode: int = websocket.ABNF.OPCODE_TEXT) -> int:
        t.record(payload)
        return original(self, payload, opcode)

    original_recv = websocket.WebSocket.recv_data_frame

    def recv_data_frame(self: websocket.WebSocket, control_frame: bool = False) -> Any:
        opcode, frame = original_recv(self, control_frame)
        if opcode == websocket.ABNF.OPCODE_TEXT:
            with t._lock:
                t.received.append(frame.data.decode("utf-8", errors="replace"))
        return opcode, frame

    monkeypatch.setattr(websocket.WebSocket, "send", send)
    monkeypatch.setattr(websocket.WebSocket, "recv_data_frame", recv_data_frame)
    yield t
    for frame in t.frames:  # every client event of every test that taps the wire
        check_client_event(frame)
    complaints = [e["error"] for e in t.server_events("error") if e["error"].get("code") not in EXPECTED_ERRORS]
    assert not complaints, f"the server rejected client events: {complaints}"


# --- the sound card ----------------------------------------------------------------

def tone(ms: int, amplitude: int = 6000, freq: float = 300.0) -> bytes:
    n = 24 * ms
    return b"".join(struct.pack("<h", int(amplitude * math.sin(2 * math.pi * freq * i / 24000))) for i in range(n))


def silence(ms: int) -> bytes:
    return bytes(48 * ms)


class FakeDevice:
    """A sound card: plays what it is given at real time, records it, and
    speaks a script into the microphone (silence when there is none)."""

    def __init__(self) -> None:
        self.played = bytearray()
        self.pulls = 0
        self._script = bytearray()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def say(self, pcm: bytes) -> None:
        with self._lock:
            self._script += pcm

    def start_capture(self, on_chunk: Callable[[bytes], None]) -> None:
        def loop() -> None:
            next_at = time.monotonic()
            while not self._stop.is_set():
                with self._lock:
                    chunk = bytes(self._script[:960])
                    del self._script[:960]
                on_chunk(chunk + bytes(960 - len(chunk)))
                next_at += 0.02
                time.sleep(max(0.0, next_at - time.monotonic()))

        self._start(loop, "fake-mic")

    def start_playback(self, pull: Callable[[int], bytes]) -> None:
        def loop() -> None:
            next_at = time.monotonic()
            while not self._stop.is_set():
                data = pull(960)
                with self._lock:
                    self.played += data
                    self.pulls += 1
                next_at += 0.02
                time.sleep(max(0.0, next_at - time.monotonic()))

        self._start(loop, "fake-speaker")

    def _start(self, fn: Callable[[], None], name: str) -> None:
        t = threading.Thread(target=fn, name=name, daemon=True)
        t.start()
        self._threads.append(t)

    def audible_ms(self) -> int:
        with self._lock:
            data = bytes(self.played)
        return sum(1 for i in range(0, len(data), 48) if any(data[i:i + 48])) 

    def close(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(2)


# --- the app's parts -------------------------------------------------------------

@pytest.fixture
def sims() -> Iterator[SimCluster]:
    cfg = config_mod.load(None, env={}, mode="simulate", overrides={"sim": {"speed": SPEED}})
    cluster = SimCluster(cfg.settings, personas_path=ROOT / "sim" / "personas.toml").start()
    try:
        yield cluster
    finally:
        cluster.stop()


def voice_config(sims: SimCluster, tmp: Path, *, secrets: config_mod.Secrets | None = None,
                 **sections: dict[str, Any]) -> config_mod.Config:
    base = config_mod.load(ROOT / "config.toml", env={}, mode="simulate")
    base = config_mod.Config(settings=base.settings, secrets=base.secrets, mode="simulate", base_dir=ROOT)
    urls = sims.urls
    wanted: dict[str, dict[str, Any]] = {
        "app": {"data_dir": str(tmp)},
        "openai": {"realtime_url": urls["openai_realtime_url"], "api_base": urls["openai_api_base"],
                   "request_timeout_s": 5.0},
        "voice": {"audio": "off", "ping_interval_s": 1.0, "ping_timeout_s": 0.5, "reconnect_cap_s": 0.5},
    }
    for name, values in sections.items():
        wanted.setdefault(name, {}).update(values)
    return config_mod.with_sections(base, secrets=secrets or sims.secrets, **wanted)


class Harness:
    """A worker on its own thread with real stores; stopped at teardown."""

    def __init__(self, sims: SimCluster, tmp: Path, db_url: str | None = None) -> None:
        self.sims = sims
        self.tmp = tmp
        self.bus = Bus()
        self.rec = Recorder()
        self.bus.subscribe(self.rec)
        self.jobs = JobStore(db_url or f"sqlite:///{tmp / 'calls.db'}", bus=self.bus)
        self.jobs.init_db()
        self.conversation = ConversationStore(db_url or f"sqlite:///{tmp / 'conversation.db'}")
        self.conversation.init_db()
        self.worker: VoiceWorker | None = None
        self.thread: threading.Thread | None = None
        self.error: BaseException | None = None

    def start(self, config: config_mod.Config | None = None, device: Any = None, **sections: Any) -> VoiceWorker:
        cfg = config or voice_config(self.sims, self.tmp, **sections)
        self.worker = VoiceWorker(cfg, self.bus, self.jobs, self.conversation, audio_backend=device)

        def run() -> None:
            try:
                self.worker.run()
            except BaseException as e:  # surfaced by stop()
                self.error = e

        self.thread = threading.Thread(target=run, name="voice-worker", daemon=True)
        self.thread.start()
        return self.worker

    def states(self, state: str) -> list[Any]:
        return self.rec.of("voice_state", state=state)

    def wait_state(self, state: str, count: int = 1, timeout: float = 20.0) -> None:
        wait_for(lambda: len(self.states(state)) >= count, timeout, what=f"{count}x voice_state {state}")

    def turns(self) -> list[dict[str, Any]]:
        return self.conversation.get_recent_turns(1000)

    def stop(self) -> float:
        started = time.monotonic()
        if self.worker is not None and self.thread is not None:
            self.worker.stop()
            self.thread.join(10)
            assert not self.thread.is_alive(), "run() did not return after stop()"
            self.thread = None
        if self.error is not None:
            raise self.error
        return time.monotonic() - started

    def close(self) -> None:
        try:
            self.stop()
        finally:
            self.jobs.close()
            self.conversation.close()


@pytest.fixture
def harness(sims: SimCluster, tmp_path: Path, tap: Tap) -> Iterator[Harness]:
    h = Harness(sims, tmp_path)
    try:
        yield h
    finally:
        h.close()


@pytest.fixture
def pg_harness(sims: SimCluster, tmp_path: Path, tap: Tap) -> Iterator[Harness]:
    """The harness on a PostgreSQL database of its own, dropped after."""
    from tests.conftest import fresh_pg_database

    with fresh_pg_database("voice") as url:
        h = Harness(sims, tmp_path, db_url=url)
        try:
            yield h
        finally:
            h.close()


def finished_job(jobs: JobStore, name: str = "Akhil", phone: str = "+12025550101",
                 summary: str = "Akhil confirmed the invoice was paid on Monday.") -> Job:
    job = jobs.create_job(phone, name, "ask about the invoice", max_retries=3)
    return jobs.update_job(job.id, overall_status="COMPLETED_SUCCESS", final_summary_for_main_agent=summary)


# --- the assistant's tools against a real job store ------------------------------

def simulate_settings() -> config_mod.Settings:
    return config_mod.load(ROOT / "config.toml", env={}, mode="simulate").settings


def tool_store(tmp_path: Path, store: type[JobStore] = JobStore) -> tuple[FixedClock, Bus, Recorder, JobStore]:
    """A job store in ``tmp_path`` on a fixed clock, what its bus carries recorded."""
    clock = FixedClock()
    bus = Bus(clock)
    rec = Recorder()
    bus.subscribe(rec)
    jobs = store(f"sqlite:///{tmp_path / 'calls.db'}", clock=clock, bus=bus)
    jobs.init_db()
    return clock, bus, rec, jobs


def run_tool(box: ToolBox, name: str, **args: Any) -> str:
    return box.run(name, json.dumps(args))
