"""The Realtime endpoint: ``GET /v1/realtime`` upgraded to a WebSocket."""
from __future__ import annotations

import asyncio
import collections
import logging

from aiohttp import web

from sim.faults import Faults

from .connection import Connection
from .session import error_event

log = logging.getLogger(__name__)

DEFAULT_TRANSCRIPT = "Hello."


class RealtimeSim:
    """OpenAI Realtime (GA) over WebSocket, with a rule-based model.

    ``next_transcripts``: what the sim "hears" in the next committed user
    audio turns (tests and the simulation panel push text; default
    ``"Hello."``); ``fail_transcriptions``: how many of the next user audio
    turns get ``...input_audio_transcription.failed`` instead (the model
    still understands them). ``speed`` divides the sim's artificial pacing (think
    time, audio streamed at 4x real time). ``delta_chars`` > 0 splits text
    into deltas of that many characters instead of words."""

    def __init__(self, *, api_key: str, faults: Faults, session_max_s: float = 3600.0, speed: float = 1.0,
                 delta_chars: int = 0) -> None:
        self.api_key = api_key
        self.faults = faults
        self.session_max_s = session_max_s
        self.speed = speed
        self.delta_chars = delta_chars
        self.sessions_created = 0
        self.next_transcripts: collections.deque[str] = collections.deque()
        self.fail_transcriptions = 0
        self._connections: set[Connection] = set()

    def routes(self) -> list[web.RouteDef]:
        return [web.get("/v1/realtime", self._handle)]

    def live_connections(self) -> int:
        return len(self._connections)

    def half_open_connections(self) -> int:
        return sum(1 for c in self._connections if c.frozen)

    def take_transcript(self) -> str:
        try:
            return self.next_transcripts.popleft()
        except IndexError:
            return DEFAULT_TRANSCRIPT

    def take_transcription_failure(self) -> bool:
        if self.fail_transcriptions > 0:
            self.fail_transcriptions -= 1
            return True
        return False

    async def close(self) -> None:
        conns = list(self._connections)
        if conns:
            await asyncio.gather(*(c.shutdown() for c in conns), return_exceptions=True)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if self.faults.refusing():
            # Like a refused/reset connection: no HTTP answer at all.
            if request.transport is not None:
                request.transport.abort()
            raise web.HTTPServiceUnavailable()
        status = self.faults.take_http_failure("realtime")
        if status:
            retry = {"Retry-After": f"{self.faults.retry_after_s:g}"}
            if status == 429:
                return _http_error(429, "requests", "Rate limit reached for requests. Please try again later.",
                                   "rate_limit_exceeded", retry)
            return _http_error(status, "server_error", "The server had an error while processing your request.",
                               None, retry)
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or not auth[7:].strip():
            return _http_error(401, "invalid_request_error",
                               "You didn't provide an API key. You need to provide your API key in an "
                               "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                               None)
        if auth[7:].strip() != self.api_key:
            key = auth[7:].strip()
            shown = f"{key[:3]}*****{key[-4:]}" if len(key) > 8 else "*****"
            return _http_error(401, "invalid_request_error",
                               f"Incorrect API key provided: {shown}. You can find your API key at "
                               "https://platform.openai.com/account/api-keys.", "invalid_api_key")
        model = request.query.get("model")
        if not model:
            return _http_error(400, "invalid_request_error", "Missing required parameter: 'model'.",
                               "missing_required_parameter", param="model")
        ws = web.WebSocketResponse(max_msg_size=16 * 1024 * 1024, autoping=True, heartbeat=None)
        await ws.prepare(request)
        if "realtime=v1" in request.headers.get("OpenAI-Beta", ""):
            await ws.send_json(error_event(
                "event_beta_shape_disabled", "beta_api_shape_disabled",
                "The Realtime API beta interface is no longer available. Remove the 'OpenAI-Beta: "
                "realtime=v1' header and use the GA interface."))
            await ws.close(code=4000, message=b"beta_api_shape_disabled")
            return ws
        conn = Connection(self, request, ws, model)
        self._connections.add(conn)
        try:
            await conn.serve()
        except Exception:
            log.exception("realtime sim connection failed")
        finally:
            self._connections.discard(conn)
        return ws


def _http_error(status: int, kind: str, message: str, code: str | None, headers: dict | None = None,
                param: str | None = None) -> web.Response:
    body = {"error": {"message": message, "type": kind, "param": param, "code": code}}
    return web.json_response(body, status=status, headers=headers)
