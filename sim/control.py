"""Control API for the simulators, mounted under ``/_sim/`` on the OpenAI
app (``cluster.urls["control_url"]``). No auth: loopback only.

- ``GET /_sim/state`` → ``{"faults": snapshot, "calls": {"twilio": [...],
  "ultravox": [...]}, "realtime_connections": int,
  "speed": float, "limits": {"ultravox"|"twilio": {"per_second", "per_minute",
  "concurrent", "violations", "peak_per_second", "peak_concurrent", "created"}}}``
- ``POST /_sim/faults`` with one of ``{"action": "drop"|"half_open"|"expire"}``,
  ``{"refuse_for_s": 5}``, ``{"fail_next": {"service", "status", "count",
  "retry_after_s"?}}``, ``{"malform_next": {"service", "count"}}``,
  ``{"delay_s": 0.2}``, ``{"openai_out_of_quota": true|false}`` (every OpenAI
  HTTP request 429 ``insufficient_quota``), ``{"reset": true}`` (several keys may be combined)
  → ``{"ok": true, "faults": snapshot, ...}``; 400 ``{"error": ...}`` on a bad body.
- ``POST /_sim/transcripts`` ``{"text": "..."}`` → queued as the next thing
  the Realtime sim "hears" (``realtime.next_transcripts``)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from sim.cluster import SimCluster


class ControlApi:
    def __init__(self, cluster: "SimCluster") -> None:
        self.cluster = cluster

    def routes(self) -> list[web.RouteDef]:
        return [web.get("/_sim/state", self.state),
                web.post("/_sim/faults", self.set_faults),
                web.post("/_sim/transcripts", self.push_transcript)]

    async def state(self, request: web.Request) -> web.Response:
        c = self.cluster
        return web.json_response({
            "faults": c.faults.snapshot(),
            "calls": {"twilio": c.twilio.live_calls() if c.twilio else [],
                      "ultravox": c.ultravox.live_calls() if c.ultravox else []},
            "realtime_connections": c.realtime.live_connections() if c.realtime else 0,
            "speed": c.speed,
            "limits": {"ultravox": c.ultravox.limits.snapshot() if c.ultravox else None,
                       "twilio": c.twilio.limits.snapshot() if c.twilio else None},
        })

    async def set_faults(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            return _bad("body is not JSON")
        if not isinstance(body, dict) or not body:
            return _bad("body must be a non-empty JSON object")
        f = self.cluster.faults
        result: dict[str, Any] = {"ok": True}
        try:
            for key, value in body.items():
                if key == "reset":
                    if value:
                        f.reset()
                elif key == "action":
                    result["told"] = f.trigger(str(value))
                elif key == "refuse_for_s":
                    f.refuse_for(_number(value, key))
                elif key == "delay_s":
                    f.set_delay(_number(value, key))
                elif key == "fail_next":
                    spec = _obj(value, key)
                    retry_after = spec.get("retry_after_s")
                    f.fail_next(str(spec.get("service", "")), int(spec.get("status", 503)),
                                int(spec.get("count", 1)),
                                None if retry_after is None else _number(retry_after, "retry_after_s"))
                elif key == "openai_out_of_quota":
                    if not isinstance(value, bool):
                        raise ValueError("openai_out_of_quota must be true or false")
                    f.set_quota_exhausted(value)
                elif key == "malform_next":
                    spec = _obj(value, key)
                    f.malform_next(str(spec.get("service", "")), int(spec.get("count", 1)))
                else:
                    return _bad(f"unknown key {key!r}")
        except (ValueError, TypeError) as e:
            return _bad(str(e))
        result["faults"] = f.snapshot()
        return web.json_response(result)

    async def push_transcript(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            return _bad("body is not JSON")
        text = body.get("text") if isinstance(body, dict) else None
        if not isinstance(text, str) or not text.strip():
            return _bad("'text' must be a non-empty string")
        realtime = self.cluster.realtime
        if realtime is None:
            return web.json_response({"error": "the simulators are not running"}, status=409)
        realtime.next_transcripts.append(text)
        return web.json_response({"ok": True, "queued": len(realtime.next_transcripts)})


def _bad(message: str) -> web.Response:
    return web.json_response({"error": message}, status=400)


def _number(value: object, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError(f"{key} must be a non-negative number")
    return float(value)


def _obj(value: object, key: str) -> dict:
    if not isinstance(value, dict):
        raise ValueError(f"{key} must be an object")
    return value
