"""aiohttp middleware applying the shared ``sim.faults.Faults`` switches to
one HTTP simulator, with error bodies shaped like that service's own.

Order per request: refusing → 503 (``Connection: close``); delay; a queued
HTTP failure (429 carries ``Retry-After``); the handler; then, if a malformed
response is queued, the handler's JSON body cut in half."""
from __future__ import annotations

import asyncio
import json
import math
from typing import Awaitable, Callable

from aiohttp import web

from sim.faults import Faults

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_REASONS = {429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
            503: "Service Unavailable", 504: "Gateway Timeout"}


def error_body(service: str, status: int, message: str, code: object = None) -> dict:
    """A JSON error body as ``service`` writes it."""
    if service == "twilio":
        twilio_code = code if code is not None else (20429 if status == 429 else 20500)
        return {"code": twilio_code, "message": message,
                "more_info": f"https://www.twilio.com/docs/errors/{twilio_code}", "status": status}
    if service == "ultravox":
        return {"detail": message}
    if status == 429 and code is None:
        code = "rate_limit_exceeded"  # out of credit is code insufficient_quota, also a 429
    err_type = {"rate_limit_exceeded": "requests", "insufficient_quota": "insufficient_quota"}.get(
        str(code), "server_error" if status >= 500 else "invalid_request_error")
    return {"error": {"message": message, "type": err_type, "param": None, "code": code}}


def json_error(service: str, status: int, message: str, code: object = None,
               headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(error_body(service, status, message, code), status=status, headers=headers)


def retry_after_headers(seconds: float, *, with_ms: bool = False) -> dict[str, str]:
    """Retry-After in whole seconds; OpenAI also sends ``retry-after-ms``."""
    headers = {"Retry-After": str(max(1, math.ceil(seconds)))}
    if with_ms:
        headers["retry-after-ms"] = str(max(1, int(seconds * 1000)))
    return headers


def fault_middleware(faults: Faults, service: str, prefix: str = "/", exclude: tuple[str, ...] = ()) -> Callable:
    """Middleware for ``service``; paths outside ``prefix`` (or under an
    ``exclude`` prefix) pass untouched."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith(prefix) or request.path.startswith(exclude):
            return await handler(request)
        if service == "openai" and faults.out_of_quota():
            return json_error(service, 429, "You exceeded your current quota, please check your plan and billing "
                                            "details.", "insufficient_quota")
        if faults.refusing():
            return json_error(service, 503, "Service unavailable (simulated outage).",
                              headers={"Connection": "close"})
        delay = faults.delay_s
        if delay > 0:
            await asyncio.sleep(delay)
        status = faults.take_http_failure(service)
        if status:
            headers = retry_after_headers(faults.retry_after_s, with_ms=service == "openai") if status == 429 else None
            reason = _REASONS.get(status, "Simulated failure")
            return json_error(service, status, f"{reason} (simulated).", headers=headers)
        response = await handler(request)
        if isinstance(response, web.Response) and response.body is not None and faults.take_malformed(service):
            body = response.body if isinstance(response.body, bytes) else json.dumps({}).encode()
            cut = web.Response(body=body[: max(1, len(body) // 2)], status=response.status,
                               content_type="application/json")
            return cut
        return response

    return middleware
