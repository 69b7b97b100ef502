"""One Realtime WebSocket: session, conversation, audio buffer, responses,
and the fault switches that act on a live socket."""
from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import time
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from .audio import BYTES_PER_MS, Vad
from .handlers import Handlers
from .responder import ResponseRun
from .session import Item, EventIds, default_session, error_event, new_id
from .validation import InvalidEvent, validate_client_event

if TYPE_CHECKING:
    from . import RealtimeSim

log = logging.getLogger(__name__)
_QUEUE_SIZE = 256


class _Close:
    def __init__(self, code: int, reason: str = "") -> None:
        self.code = code
        self.reason = reason


class Connection(Handlers):
    def __init__(self, sim: "RealtimeSim", request: web.Request, ws: web.WebSocketResponse, model: str) -> None:
        self.sim = sim
        self.request = request
        self.ws = ws
        self.loop = asyncio.get_running_loop()
        self.ids = EventIds()
        self.session = default_session(model, sim.session_max_s)
        self.conversation_id = new_id("conv_")
        self.items: list[dict] = []
        self.heard: dict[str, str] = {}  # user audio item id -> what the sim "heard"
        self.audio_ms: dict[str, int] = {}  # assistant item id -> audio ms sent
        self.mentioned_jobs: set[int] = set()
        self.answered: set[str] = set()  # user message ids a response (or restored history) has answered
        self.response: ResponseRun | None = None
        self.buffer = bytearray()
        self.vad = Vad()
        self.speech_item_id: str | None = None
        self.tokens_used = 0
        self.closed = False
        self.frozen = False  # half-open: reads nothing, sends nothing
        self._out: asyncio.Queue = asyncio.Queue(maxsize=_QUEUE_SIZE)
        self._tasks: set[asyncio.Task] = set()

    # --- life cycle ----------------------------------------------------------

    async def serve(self) -> None:
        remove = self.sim.faults.on_action(lambda action: self.loop.call_soon_threadsafe(self._on_fault, action))
        expiry = self.loop.call_later(self.sim.session_max_s, lambda: self.spawn(self.expire()))
        writer = asyncio.create_task(self._write_loop())
        try:
            self.sim.sessions_created += 1
            await self.emit({"type": "session.created", "session": self.session})
            async for msg in self.ws:
                if msg.type == WSMsgType.TEXT:
                    await self._on_text(msg.data)
                elif msg.type == WSMsgType.BINARY:
                    await self.error("invalid_value", "Binary frames are not supported; send JSON text events.")
                elif msg.type == WSMsgType.ERROR:
                    log.debug("realtime socket error: %s", self.ws.exception())
                    break
        finally:
            self.closed = True
            remove()
            expiry.cancel()
            if self.response and self.response.task:
                self.response.task.cancel()
            for task in list(self._tasks) + [writer]:
                task.cancel()
            await asyncio.gather(writer, *self._tasks, return_exceptions=True)

    def spawn(self, coro) -> asyncio.Task:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("realtime sim task failed", exc_info=task.exception())

    async def shutdown(self) -> None:
        """Server shutdown: close politely unless the socket is frozen."""
        if self.frozen or self.closed:
            self._abort()
            return
        try:
            # Shutdown must be quick: wait briefly for the peer's close reply.
            await asyncio.wait_for(self.ws.close(code=1001, message=b"server shutdown"), 0.5)
        except (asyncio.TimeoutError, ConnectionError):
            self._abort()

    def _abort(self) -> None:
        transport = self.request.transport
        if transport is not None:
            transport.abort()

    # --- faults ------------------------------------------------------------

    def _on_fault(self, action: str) -> None:
        if self.closed:
            return
        if action == "drop":
            self._abort()
        elif action == "half_open":
            self.frozen = True
            transport = self.request.transport
            if transport is not None:
                transport.pause_reading()
        elif action == "expire":
            self.spawn(self.expire())

    async def expire(self) -> None:
        if self.closed or self.frozen:
            return
        limit = self.sim.session_max_s
        span = f"{round(limit / 60)} minutes" if limit >= 60 else f"{limit:g} seconds"
        # as the GA server has been seen to end a session: a close frame 1001 with the reason, no error event
        await self._out.put((time.monotonic(), _Close(1001, f"Your session hit the maximum duration of {span}.")))

    # --- sending -------------------------------------------------------------

    async def emit(self, event: Item) -> None:
        if self.closed:
            return
        event["event_id"] = self.ids.next()
        await self._out.put((time.monotonic(), event))

    async def error(self, code: str | None, message: str, *, param: str | None = None,
                    client_event_id: str | None = None, kind: str = "invalid_request_error") -> None:
        await self.emit(error_event("", code, message, param=param, client_event_id=client_event_id, kind=kind))

    async def _write_loop(self) -> None:
        faults = self.sim.faults
        try:
            while True:
                made, event = await self._out.get()
                if self.frozen:
                    await asyncio.Event().wait()  # half-open: never send again
                delay = faults.delay_s
                if delay > 0:  # added latency: each event leaves delay_s after it was made
                    wait = made + delay - time.monotonic()
                    if wait > 0:
                        await asyncio.sleep(wait)
                if isinstance(event, _Close):
                    await self.ws.close(code=event.code, message=event.reason.encode())
                    return
                text = json.dumps(event, separators=(",", ":"))
                if faults.take_malformed("realtime"):
                    text = text[: len(text) // 2]
                await self.ws.send_str(text)
                if faults.take_duplicate():
                    await self.ws.send_str(text)
        except (ConnectionError, RuntimeError) as exc:
            log.debug("realtime writer stopped: %s", exc)
        finally:
            self.closed = True
            while not self._out.empty():
                self._out.get_nowait()

    # --- receiving -----------------------------------------------------------

    async def _on_text(self, text: str) -> None:
        try:
            data = json.loads(text)
        except ValueError:
            await self.error("invalid_json", "The event could not be parsed as JSON.")
            return
        client_event_id = data.get("event_id") if isinstance(data, dict) else None
        try:
            validate_client_event(data)
        except InvalidEvent as exc:
            r = exc.rejection
            await self.error(r.code, r.message, param=r.param, client_event_id=client_event_id)
            return
        handler = getattr(self, "on_" + data["type"].replace(".", "_"))
        try:
            await handler(data, client_event_id)
        except Exception:
            log.exception("realtime sim failed handling %s", data["type"])
            await self.error(None, "The server had an error while processing your request.",
                             client_event_id=client_event_id, kind="server_error")

    # --- conversation ------------------------------------------------------

    def index_of(self, item_id: str) -> int:
        for i, item in enumerate(self.items):
            if item["id"] == item_id:
                return i
        return -1

    def previous_id(self, item_id: str) -> str | None:
        i = self.index_of(item_id)
        return self.items[i - 1]["id"] if i > 0 else None

    def add_item(self, item: dict, after: str | None = None) -> str | None:
        """Insert (at the end, after ``after``, or first for "root");
        returns the previous item's id."""
        if after is None:
            prev = self.items[-1]["id"] if self.items else None
            self.items.append(item)
            return prev
        if after == "root":
            self.items.insert(0, item)
            return None
        self.items.insert(self.index_of(after) + 1, item)
        return after

    def for_model(self, items: list[dict]) -> list[dict]:
        """Items as the model hears them: user audio carries its transcript."""
        out = []
        for item in items:
            heard = self.heard.get(item.get("id", ""))
            if heard is not None:
                item = dict(item, content=[{"type": "input_audio", "transcript": heard}])
            out.append(item)
        return out

    def rate_limits(self, tokens: int) -> list[dict]:
        self.tokens_used += tokens
        return [
            {"name": "requests", "limit": 5000, "remaining": 4999, "reset_seconds": 0.012},
            {"name": "tokens", "limit": 40000, "remaining": max(0, 40000 - self.tokens_used % 40000),
             "reset_seconds": round(self.tokens_used % 40000 * 60 / 40000, 3)},
        ]

    def buffered_ms(self) -> int:
        return len(self.buffer) // BYTES_PER_MS

    @staticmethod
    def decode_audio(b64: str) -> bytes | None:
        try:
            return base64.b64decode(b64, validate=True)
        except (binascii.Error, ValueError):
            return None
