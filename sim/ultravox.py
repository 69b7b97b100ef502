"""Ultravox REST simulator (``/api``): agent calls, call status, messages.

Routes (``X-API-Key`` auth; a wrong key gets 401 ``{"detail": ...}``):

- ``POST /api/agents/{agent_id}/calls`` → 201 call object (``callId``,
  ``joinUrl`` ``wss://<host>/calls/<id>/twilio?token=…&x=…``, ``created``,
  ``joined``/``ended``/``endReason`` null, ``metadata``, ``templateContext``,
  ``firstSpeakerSettings`` — ``{"agent": {}}`` unless the request says
  ``{"user": {}}`` — and ``joinTimeout``, default ``"30s"``). Unknown agent →
  404. More than ``max_concurrent`` running calls for the key, or more
  creations than ``per_second`` / ``per_minute`` allow (``sim.limits``) → 429
  with ``Retry-After``, counted as a violation.
- ``GET /api/agents/{agent_id}`` → the agent (``callTemplate`` with its
  ``firstSpeakerSettings``); ``GET /api/accounts/me`` → the key's account.
- ``GET /api/calls?metadata.<key>=<value>&pageSize=N`` → paginated list of
  this key's calls whose metadata match (newest first) — how a caller finds
  a call whose creation timed out before dialling again.
- ``GET /api/calls/{id}`` → the call; ``ended`` + ``endReason`` ∈
  unjoined/hangup/agent_hangup/timeout/connection_error/system_error and
  ``shortSummary``/``summary`` once over.
- ``GET /api/calls/{id}/messages?mode=last_stage|in_call&pageSize=N&cursor=C``
  → ``{"next", "previous", "results", "total"}``; ``next`` is a full URL, null
  on the last page (default page size 3). ``mode`` defaults to
  ``last_stage``: only the last call stage's messages (a long call moves to a
  second stage midway); ``in_call`` gives every stage.
- ``GET /api/calls/{id}/recording`` → 302 to a short-lived signed file URL
  (a WAV) once a call created with ``recordingEnabled: true`` has ended; 404
  otherwise.
- ``POST /api/calls/{id}/send_data_message`` ``{"type": "hang_up"}`` → 204:
  the agent ends the live call (``agent_hangup``, its phone leg ends); the
  record and its messages stay. 400 on an ended call or an unknown type.
- ``DELETE /api/calls/{id}`` → 204; a running call is hung up first (its
  phone leg ends), then the call, its messages and stages are gone (404 after).

A call nobody joins within its ``joinTimeout`` (simulated seconds) ends
``unjoined``; a joined call longer than ``max_duration_s`` ends ``timeout``.
With ``history_path`` the calls are kept in that JSON file across restarts
(running ones are saved as ended ``system_error``), as an account keeps them."""
from __future__ import annotations

import asyncio
import re
import secrets
import uuid
from pathlib import Path
from urllib.parse import urlencode

from aiohttp import web

from core.clock import Clock, SystemClock
from sim.faults import Faults
from sim.http_faults import fault_middleware, json_error, retry_after_headers
from sim.limits import AccountLimits
from sim.network import PhoneNetwork
from sim.ultravox_calls import UltravoxCall, load_history, save_history

DURATION = re.compile(r"^(\d+(?:\.\d+)?)s$")


class UltravoxSim:
    def __init__(self, *, api_key: str, agent_id: str, faults: Faults, network: PhoneNetwork,
                 speed: float = 1.0, max_concurrent: int = 5, join_timeout_s: float = 30.0,
                 max_duration_s: float = 3600.0, default_page_size: int = 3,
                 clock: Clock | None = None, history_path: str | Path | None = None,
                 min_join_real_s: float = 0.0, per_second: float | None = None,
                 per_minute: float | None = None) -> None:
        self.api_key = api_key
        self.agent_ids = {agent_id}
        self.faults = faults
        self.network = network
        self.speed = speed
        self.max_concurrent = max_concurrent
        self.limits = AccountLimits(per_second=per_second, per_minute=per_minute, concurrent=max_concurrent)
        self.join_timeout_s = join_timeout_s
        self.max_duration_s = max_duration_s
        self.default_page_size = default_page_size
        self.clock = clock or SystemClock()
        self.history_path = Path(history_path) if history_path else None
        self.calls: dict[str, UltravoxCall] = (
            load_history(self.history_path, api_key, self.clock) if self.history_path else {})
        self._timers: dict[str, asyncio.TimerHandle] = {}
        # at speed > 1 a join window shrinks, but a client's retry waits do not: keep at least this (real s)
        self.min_join_real_s = min_join_real_s

    # --- wiring --------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(middlewares=[fault_middleware(self.faults, "ultravox", "/api/")])
        app.add_routes([
            web.post("/api/agents/{agent_id}/calls", self.create_call),
            web.get("/api/agents/{agent_id}", self.get_agent),
            web.get("/api/accounts/me", self.get_account),
            web.get("/api/calls", self.list_calls),
            web.get("/api/calls/{call_id}", self.get_call),
            web.delete("/api/calls/{call_id}", self.delete_call),
            web.get("/api/calls/{call_id}/messages", self.list_messages),
            web.post("/api/calls/{call_id}/send_data_message", self.send_data_message),
            web.get("/api/calls/{call_id}/recording", self.get_recording),
            web.get("/recordings/{call_id}.wav", self.recording_file),
        ])
        return app

    def live_calls(self) -> list[dict]:
        return [{"callId": c.call_id, "joined": c.joined, "messages": len(c.messages)}
                for c in self.calls.values() if c.running]

    def close(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        if self.history_path is not None:
            save_history(self.history_path, list(self.calls.values()))

    # --- helpers -------------------------------------------------------------

    def _auth(self, request: web.Request) -> web.Response | None:
        if request.headers.get("X-API-Key") != self.api_key:
            return json_error("ultravox", 401, "Invalid API key.")
        return None

    def _call(self, request: web.Request) -> UltravoxCall | None:
        call = self.calls.get(request.match_info["call_id"])
        return call if call is not None and call.api_key == request.headers.get("X-API-Key") else None

    def _page(self, request: web.Request, items: list[dict]) -> dict:
        q = request.query
        try:
            size = max(1, min(1000, int(q.get("pageSize", self.default_page_size))))
            start = max(0, int(q.get("cursor", "0")))
        except ValueError:
            raise web.HTTPBadRequest(text='{"detail": "Invalid pageSize or cursor."}',
                                     content_type="application/json") from None
        base = f"{request.scheme}://{request.host}{request.path}"
        keep = {k: v for k, v in q.items() if k not in ("cursor", "pageSize")}

        def link(cursor: int) -> str:
            return base + "?" + urlencode({**keep, "cursor": cursor, "pageSize": size})

        end = start + size
        return {"next": link(end) if end < len(items) else None,
                "previous": link(max(0, start - size)) if start > 0 else None,
                "results": items[start:end], "total": len(items)}

    def _schedule(self, call_id: str, delay_sim_s: float, reason: str) -> None:
        loop = asyncio.get_running_loop()
        old = self._timers.pop(call_id, None)
        if old:
            old.cancel()

        def fire() -> None:
            self._timers.pop(call_id, None)
            call = self.calls.get(call_id)
            if call is None or not call.running:
                return
            if reason == "unjoined" and call.joined is None:
                call.end("unjoined")
            elif reason == "timeout" and call.joined is not None:
                call.end("timeout")
                self.network.agent_ended(call_id)

        delay = delay_sim_s / self.speed
        if reason == "unjoined":
            delay = max(delay, self.min_join_real_s)
        self._timers[call_id] = loop.call_later(delay, fire)

    def _ended(self, call: UltravoxCall) -> None:
        timer = self._timers.pop(call.call_id, None)
        if timer:
            timer.cancel()

    # --- handlers ------------------------------------------------------------

    async def create_call(self, request: web.Request) -> web.Response:
        if (denied := self._auth(request)) is not None:
            return denied
        agent_id = request.match_info["agent_id"]
        if agent_id not in self.agent_ids:
            return json_error("ultravox", 404, "Not found.")
        try:
            body = await request.json()
        except ValueError:
            return json_error("ultravox", 400, "Request body is not valid JSON.")
        if not isinstance(body, dict):
            return json_error("ultravox", 400, "Request body must be a JSON object.")
        for key in ("templateContext", "metadata"):
            if not isinstance(body.get(key, {}), dict):
                return json_error("ultravox", 400, f"{key}: must be an object.")
        speaker = body.get("firstSpeakerSettings", {"agent": {}})
        if not isinstance(speaker, dict) or len(speaker) != 1 or next(iter(speaker)) not in ("user", "agent"):
            return json_error("ultravox", 400, "firstSpeakerSettings: exactly one of user or agent should be set.")
        join = DURATION.match(str(body.get("joinTimeout", "30s")))
        if join is None:
            return json_error("ultravox", 400, "joinTimeout: expected a duration such as \"30s\".")
        running = sum(1 for c in self.calls.values() if c.running and c.api_key == self.api_key)
        refused = self.limits.admit(running)
        if refused is not None:
            limit, wait_s = refused
            return json_error("ultravox", 429, f"Too many calls (limit {limit}).",
                              headers=retry_after_headers(max(wait_s, self.faults.retry_after_s)))
        call_id = str(uuid.uuid4())
        token = secrets.token_urlsafe(16)
        join_url = f"wss://{request.host}/calls/{call_id}/twilio?token={token}&x=sim"
        metadata = {str(k): str(v) for k, v in body.get("metadata", {}).items()}
        call = UltravoxCall(call_id=call_id, api_key=self.api_key, agent_id=agent_id, join_url=join_url,
                            created=self.clock.now_iso(), template_context=dict(body.get("templateContext", {})),
                            metadata=metadata, medium=body.get("medium") or {"twilio": {}}, clock=self.clock,
                            first_speaker=next(iter(speaker)), recording_enabled=body.get("recordingEnabled") is True,
                            join_timeout_s=float(join.group(1)) if "joinTimeout" in body else self.join_timeout_s)
        call.on_end.append(self._ended)
        call.on_join.append(self.mark_joined_timer)
        self.calls[call_id] = call
        self.network.register(token, call)
        self._schedule(call_id, call.join_timeout_s, "unjoined")
        return web.json_response(call.as_json(), status=201)

    def mark_joined_timer(self, call: UltravoxCall) -> None:
        """Called once a leg joins: swap the join timeout for the max duration."""
        self._schedule(call.call_id, self.max_duration_s, "timeout")

    async def list_calls(self, request: web.Request) -> web.Response:
        if (denied := self._auth(request)) is not None:
            return denied
        wanted = {k[len("metadata."):]: v for k, v in request.query.items() if k.startswith("metadata.")}
        found = [c.as_json() for c in reversed(list(self.calls.values()))
                 if c.api_key == self.api_key and all(c.metadata.get(k) == v for k, v in wanted.items())]
        return web.json_response(self._page(request, found))

    async def get_call(self, request: web.Request) -> web.Response:
        if (denied := self._auth(request)) is not None:
            return denied
        call = self._call(request)
        if call is None:
            return json_error("ultravox", 404, "Not found.")
        return web.json_response(call.as_json())

    async def list_messages(self, request: web.Request) -> web.Response:
        if (denied := self._auth(request)) is not None:
            return denied
        call = self._call(request)
        if call is None:
            return json_error("ultravox", 404, "Not found.")
        mode = request.query.get("mode", "last_stage")
        if mode not in ("last_stage", "in_call"):
            return json_error("ultravox", 400, f"mode: \"{mode}\" is not a valid choice.")
        return web.json_response(self._page(request, call.stage_messages(mode)))

    async def send_data_message(self, request: web.Request) -> web.Response:
        if (denied := self._auth(request)) is not None:
            return denied
        call = self._call(request)
        if call is None:
            return json_error("ultravox", 404, "Not found.")
        try:
            body = await request.json()
        except ValueError:
            return json_error("ultravox", 400, "Request body is not valid JSON.")
        if not isinstance(body, dict) or not isinstance(body.get("type"), str):
            return json_error("ultravox", 400, "type: This field is required.")
        if body["type"] != "hang_up":
            return json_error("ultravox", 400, f"Unsupported data message type {body['type']!r}.")
        if not call.running:
            return json_error("ultravox", 400, "The call has already ended.")
        was_joined = call.joined is not None
        call.end("agent_hangup" if was_joined else "unjoined")
        if was_joined:
            self.network.agent_ended(call.call_id)
        return web.Response(status=204)

    async def get_recording(self, request: web.Request) -> web.Response:
        if (denied := self._auth(request)) is not None:
            return denied
        call = self._call(request)
        if call is None or not call.recording_enabled or call.running or call.joined is None:
            return json_error("ultravox", 404, "Not found.")
        raise web.HTTPFound(f"{request.scheme}://{request.host}/recordings/{call.call_id}.wav?sig={secrets.token_hex(8)}")

    async def recording_file(self, request: web.Request) -> web.Response:
        """The short-lived file a recording redirects to: a second of 8 kHz silence."""
        call = self.calls.get(request.match_info["call_id"])
        if call is None or not call.recording_enabled or not request.query.get("sig"):
            return web.Response(status=403, text="Signature required.")
        rate, frames = 8000, 8000
        header = (b"RIFF" + (36 + frames * 2).to_bytes(4, "little") + b"WAVEfmt " + (16).to_bytes(4, "little")
                  + (1).to_bytes(2, "little") + (1).to_bytes(2, "little") + rate.to_bytes(4, "little")
                  + (rate * 2).to_bytes(4, "little") + (2).to_bytes(2, "little") + (16).to_bytes(2, "little")
                  + b"data" + (frames * 2).to_bytes(4, "little"))
        return web.Response(body=header + bytes(frames * 2), content_type="audio/wav")

    async def get_agent(self, request: web.Request) -> web.Response:
        if (denied := self._auth(request)) is not None:
            return denied
        agent_id = request.match_info["agent_id"]
        if agent_id not in self.agent_ids:
            return json_error("ultravox", 404, "Not found.")
        return web.json_response({
            "agentId": agent_id, "name": "switchboard-sim-agent", "created": "2026-01-01T00:00:00Z",
            "callTemplate": {"systemPrompt": "You call people on the user's behalf about {{call_objective}}.",
                             "firstSpeakerSettings": {"agent": {}}, "joinTimeout": "30s",
                             "maxDuration": "3600s", "recordingEnabled": False},
        })

    async def get_account(self, request: web.Request) -> web.Response:
        if (denied := self._auth(request)) is not None:
            return denied
        return web.json_response({"accountId": "sim-account", "name": "Switchboard simulation",
                                  "activeCalls": sum(1 for c in self.calls.values() if c.running),
                                  "allowedConcurrentCalls": self.max_concurrent})

    async def delete_call(self, request: web.Request) -> web.Response:
        if (denied := self._auth(request)) is not None:
            return denied
        call = self._call(request)
        if call is None:
            return json_error("ultravox", 404, "Not found.")
        if call.running:
            was_joined = call.joined is not None
            call.end("agent_hangup" if was_joined else "unjoined")
            if was_joined:
                self.network.agent_ended(call.call_id)
        self.network.forget(call.call_id)
        del self.calls[call.call_id]
        return web.Response(status=204)
