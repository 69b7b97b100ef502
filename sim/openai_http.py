"""OpenAI HTTP API simulator: ``POST /v1/chat/completions`` and
``GET /v1/models`` (and ``/v1/models/{id}``: 404 ``model_not_found`` for
a model it does not serve, as chat completions answer too), as the ``openai`` package sends and parses them.

Bearer auth (401 ``{"error": {message, type, param, code}}`` otherwise).
With a ``response_format`` of ``json_schema`` (or ``json_object``) the
answer is the call strategist's JSON (see ``sim.strategist``); otherwise a
short deterministic summary. ``stream=true`` is refused with 400. The
Realtime WebSocket (``sim/realtime``) is mounted on the same app."""
from __future__ import annotations

import json
import secrets
import time

from aiohttp import web

from sim.faults import Faults
from sim.http_faults import json_error
from sim.strategist import decide, fit_schema, summarise

# what GET /v1/models lists: the current defaults and the older ones still served
MODELS = ("gpt-realtime-2", "gpt-realtime-2.1", "gpt-live-transcribe", "gpt-transcribe", "gpt-5.5", "gpt-5.4",
          "gpt-5.4-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-realtime", "gpt-4o-mini-transcribe")


class OpenAIHttpSim:
    def __init__(self, *, api_key: str, faults: Faults) -> None:
        self.api_key = api_key
        self.faults = faults
        self.completions = 0

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/v1/chat/completions", self.chat_completions),
                web.get("/v1/models", self.models),
                web.get("/v1/models/{model}", self.model)]

    def _auth(self, request: web.Request) -> web.Response | None:
        header = request.headers.get("Authorization", "")
        if header != f"Bearer {self.api_key}":
            shown = header.removeprefix("Bearer ")[:8] or "(none)"
            return json_error("openai", 401, f"Incorrect API key provided: {shown}***. You can find your API "
                                             "key at https://platform.openai.com/account/api-keys.",
                              "invalid_api_key")
        return None

    async def models(self, request: web.Request) -> web.Response:
        if (denied := self._auth(request)) is not None:
            return denied
        return web.json_response({"object": "list", "data": [
            {"id": m, "object": "model", "created": 1700000000, "owned_by": "system"} for m in MODELS]})

    async def model(self, request: web.Request) -> web.Response:
        if (denied := self._auth(request)) is not None:
            return denied
        name = request.match_info["model"]
        if name not in MODELS:
            return json_error("openai", 404, f"The model '{name}' does not exist or you do not have access to it.",
                              "model_not_found")
        return web.json_response({"id": name, "object": "model", "created": 1700000000, "owned_by": "system"})

    async def chat_completions(self, request: web.Request) -> web.Response:
        if (denied := self._auth(request)) is not None:
            return denied
        try:
            body = await request.json()
        except ValueError:
            return json_error("openai", 400, "We could not parse the JSON body of your request.")
        if not isinstance(body, dict):
            return json_error("openai", 400, "The request body must be a JSON object.")
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages or not all(isinstance(m, dict) for m in messages):
            return json_error("openai", 400, "Invalid 'messages': expected a non-empty array of objects.",
                              "invalid_value")
        model = body.get("model")
        if not isinstance(model, str) or not model:
            return json_error("openai", 400, "you must provide a model parameter", "missing_required_parameter")
        if model not in MODELS:
            return json_error("openai", 404, f"The model '{model}' does not exist or you do not have access to it.",
                              "model_not_found")
        if body.get("stream"):
            return json_error("openai", 400, "stream=true is not supported by this simulator.", "unsupported_value")
        fmt = body.get("response_format") or {}
        if isinstance(fmt, dict) and fmt.get("type") in ("json_schema", "json_object"):
            schema = (fmt.get("json_schema") or {}).get("schema") if fmt.get("type") == "json_schema" else None
            content = json.dumps(fit_schema(decide(messages), schema))
        else:
            content = summarise(messages)
        self.completions += 1
        prompt_tokens = sum(len(str(m.get("content", ""))) for m in messages) // 4 + 1
        completion_tokens = len(content) // 4 + 1
        return web.json_response({
            "id": "chatcmpl-" + secrets.token_hex(12), "object": "chat.completion",
            "created": int(time.time()), "model": model, "system_fingerprint": "fp_sim",
            "service_tier": "default",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content, "refusal": None,
                                                 "annotations": []},
                         "logprobs": None, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens},
        })
