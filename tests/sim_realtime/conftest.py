"""The Realtime simulator on a real loopback port (aiohttp in a background
thread), plus websocket-client helpers that validate every server event
against the ``openai`` package's types."""
from __future__ import annotations

import asyncio
import functools
import json
import math
import struct
import threading
import time
import typing
from typing import Annotated, Any, Union

import pytest
import websocket
from aiohttp import web
from pydantic import Field, TypeAdapter

from sim.faults import Faults
from sim.realtime import RealtimeSim
from sim.realtime.session import SERVER_ONLY_SESSION_KEYS
from tests.helpers import wait_for  # noqa: F401  (re-exported to the tests)

API_KEY = "sk-sim-realtime-test"
DIRECTORY = """You are the Switchboard assistant.

## Contact directory
- Akhil Rao (Operations): +12025550101 [America/New_York] — runs the warehouse
- Priya (Finance): +14155550123 [America/Los_Angeles] — invoices

## Conversation so far
Nothing yet.
"""
TOOLS = [
    {"type": "function", "name": name, "description": name.replace("_", " "),
     "parameters": {"type": "object", "properties": {}}}
    for name in ("schedule_outbound_call", "check_scheduled_call_status", "cancel_scheduled_call",
                 "list_scheduled_calls", "show_on_screen")
]


class SimServer:
    def __init__(self, **kw: Any) -> None:
        self.faults = Faults()
        self.sim = RealtimeSim(api_key=API_KEY, faults=self.faults, **kw)
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="sim-realtime", daemon=True)
        self.port = 0

    def start(self) -> "SimServer":
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(10)
        return self

    async def _start(self) -> None:
        app = web.Application()
        app.add_routes(self.sim.routes())
        self._runner = web.AppRunner(app, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def _stop(self) -> None:
        await self.sim.close()
        await self._runner.cleanup()

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        asyncio.run_coroutine_threadsafe(self._stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/v1/realtime?model=gpt-realtime"

    @property
    def base(self) -> str:
        return f"ws://127.0.0.1:{self.port}/v1"


@pytest.fixture
def server(request):
    kw = getattr(request, "param", None) or {"speed": 50.0}
    srv = SimServer(**kw).start()
    yield srv
    srv.stop()


@functools.cache
def server_adapter() -> TypeAdapter:
    from openai.types.realtime import RealtimeServerEvent

    members = typing.get_args(typing.get_args(RealtimeServerEvent)[0])
    return TypeAdapter(Annotated[Union[members], Field(discriminator="type")])


def all_extras(value: Any, path: str = "") -> list[str]:
    from pydantic import BaseModel

    found: list[str] = []
    if isinstance(value, BaseModel):
        found += [f"{path}.{k}" if path else k for k in value.model_extra or {}]
        for name in type(value).model_fields:
            found += all_extras(getattr(value, name), f"{path}.{name}" if path else name)
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            found += all_extras(v, f"{path}[{i}]")
    elif isinstance(value, dict):
        for k, v in value.items():
            found += all_extras(v, f"{path}.{k}")
    return found


ALLOWED_EXTRAS = {f"session.{k}" for k in SERVER_ONLY_SESSION_KEYS}


def check_server_event(data: dict) -> None:
    """Valid per the package's types, and no key the types don't declare
    (except the session keys the real server adds: id, object, expires_at)."""
    event = server_adapter().validate_python(data)
    extras = set(all_extras(event)) - ALLOWED_EXTRAS
    assert not extras, f"{data['type']}: undeclared keys {sorted(extras)}"


class Client:
    """websocket-client (what the product uses) with event bookkeeping."""

    def __init__(self, server: SimServer, key: str = API_KEY, headers: list[str] | None = None) -> None:
        self.ws = websocket.create_connection(
            server.url, header=[f"Authorization: Bearer {key}"] + (headers or []), timeout=10)
        self.events: list[dict] = []

    def send(self, event: dict) -> None:
        self.ws.send(json.dumps(event))

    def recv(self, timeout: float = 10.0) -> dict:
        self.ws.settimeout(timeout)
        data = json.loads(self.ws.recv())
        check_server_event(data)
        self.events.append(data)
        return data

    def until(self, kind: str, timeout: float = 10.0) -> list[dict]:
        """Events up to and including the first of ``kind``."""
        got, deadline = [], time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            assert left > 0, f"no {kind} in {[e['type'] for e in got]}"
            event = self.recv(left)
            got.append(event)
            if event["type"] == kind:
                return got

    def close(self) -> None:
        self.ws.close()


@pytest.fixture
def connect(server):
    clients: list[Client] = []

    def make(**kw: Any) -> Client:
        c = Client(server, **kw)
        clients.append(c)
        assert c.recv()["type"] == "session.created"
        return c

    yield make
    for c in clients:
        try:
            c.close()
        except Exception:  # the socket may already be gone; closing is best effort
            pass


def configure(client: Client, **session: Any) -> dict:
    body = {"type": "realtime", "instructions": DIRECTORY, "tools": TOOLS, **session}
    client.send({"type": "session.update", "session": body})
    return client.until("session.updated")[-1]


def say(client: Client, text: str) -> list[dict]:
    client.send({"type": "conversation.item.create",
                 "item": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}})
    client.send({"type": "response.create"})
    events = client.until("response.done")
    events += client.until("rate_limits.updated")
    return events


def types(events: list[dict]) -> list[str]:
    return [e["type"] for e in events]


AUDIO_DELTAS = "response.output_audio[_transcript].delta"


def collapse(names: list[str]) -> list[str]:
    """Runs of delta events shown once; audio and transcript deltas are
    interleaved, so a run of either is shown as AUDIO_DELTAS."""
    out: list[str] = []
    for n in names:
        if n in ("response.output_audio.delta", "response.output_audio_transcript.delta"):
            n = AUDIO_DELTAS
        if n.endswith(".delta") and out and out[-1] == n:
            continue
        out.append(n)
    return out


def pcm(ms: int, amplitude: int = 0, freq: float = 300.0) -> bytes:
    n = 24 * ms
    return struct.pack(f"<{n}h", *(int(amplitude * math.sin(2 * math.pi * freq * i / 24000)) for i in range(n)))


