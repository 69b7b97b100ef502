"""Twilio Programmable Voice simulator: outbound calls over the 2010-04-01 API.

Pointing the REAL ``twilio`` package (9.x) at it — every request goes
through ``Domain.absolute_url`` (``base_url`` + ``/2010-04-01/...``) and then
``ClientBase.get_hostname``, which leaves the URL alone only when neither
region nor edge is set::

    from twilio.rest import Client
    client = Client(account_sid, auth_token)
    client.api.base_url = "http://127.0.0.1:PORT"   # bare origin, no path
    client.region = client.edge = None  # TWILIO_REGION/EDGE would rewrite the host
    call = client.calls.create(to="+12025550101", from_=from_number,
                               twiml=str(voice_response), machine_detection="Enable")
    client.calls(call.sid).fetch().status
    client.calls(call.sid).update(status="completed")   # hang up

Routes (HTTP basic auth ``account_sid:auth_token``; the path's account must
be the authenticated one, else 401 code 20003):

- ``POST /2010-04-01/Accounts/{sid}/Calls.json`` (form: To, From, Twiml or
  Url, Timeout, MachineDetection, AsyncAmd, AsyncAmdStatusCallback,
  StatusCallback…) → 201 Call resource, status ``queued``. It rings up to
  ``Timeout`` seconds (default 60, at most 600), then ``no-answer``. With
  MachineDetection and no AsyncAmd the answered call stays silent (the
  stream is not started) until detection ends, ``AMD_SYNC_S``; with
  ``AsyncAmd=true`` the stream starts at once and ``answered_by`` appears on
  the Call resource ``AMD_ASYNC_S`` later (and is POSTed to
  AsyncAmdStatusCallback with CallSid, AnsweredBy, MachineDetectionDuration). Errors: 21201 no To, 21211 invalid To, 21212 From not this
  account's number, 21205 neither Twiml nor Url, 12100 TwiML that does not
  parse or lacks ``<Response><Connect><Stream url=…/></Connect></Response>``.
- ``GET …/Calls.json?To=&From=&Status=&PageSize=&Page=`` → newest first, in
  Twilio's page shape (``calls``, ``next_page_uri``, …), so
  ``client.calls.list(to=...)`` finds a leg placed before a timed-out create.
- ``GET …/Calls/{CallSid}.json`` → queued → ringing → in-progress →
  completed / busy / no-answer / failed / canceled, with ``duration``
  (simulated seconds) and ``answered_by`` when MachineDetection was asked.
- ``POST …/Calls/{CallSid}.json`` with ``Status=completed|canceled`` hangs
  up (``canceled`` only before answer).
- ``GET /2010-04-01/Accounts/{sid}.json`` → the account (``status`` active);
  ``GET …/IncomingPhoneNumbers.json?PhoneNumber=`` → the account's numbers
  with ``capabilities`` (``voice``, ``sms``, ``mms``, ``fax``).

``StatusCallback`` (+ ``StatusCallbackEvent``) gets Twilio's form POSTs
(``sim.twilio_callbacks``). A ``Url`` instead of ``Twiml`` is accepted but
not fetched: such a call is answered and ends with nothing streamed."""
from __future__ import annotations

import asyncio
import logging
import re
import secrets
from email.utils import format_datetime
from urllib.parse import urlencode

from aiohttp import BasicAuth, web

from core.clock import Clock, SystemClock
from sim.faults import Faults
from sim.http_faults import fault_middleware, json_error
from sim.limits import AccountLimits
from sim.network import PhoneNetwork
from sim.personas import Personas, Script
from sim.twilio_callbacks import StatusCallbacks
from sim.twilio_leg import FINAL, Leg, twiml_stream_url

log = logging.getLogger(__name__)
E164 = re.compile(r"^\+[1-9]\d{7,14}$")
AMD_SYNC_S = 4.0   # simulated seconds of silence while synchronous detection listens
AMD_ASYNC_S = 2.0  # simulated seconds until an asynchronous detection's result


class TwilioSim:
    def __init__(self, *, account_sid: str, auth_token: str, from_number: str, faults: Faults,
                 network: PhoneNetwork, personas: Personas, speed: float = 1.0,
                 clock: Clock | None = None, per_second: float | None = None) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.from_number = from_number
        self.faults = faults
        self.network = network
        self.personas = personas
        self.speed = speed
        self.clock = clock or SystemClock()
        self.legs: dict[str, Leg] = {}
        # outbound calls a second for the account (Twilio's default CPS is 1)
        self.limits = AccountLimits(per_second=per_second)
        self.callbacks = StatusCallbacks()
        self._amd_tasks: set[asyncio.Task] = set()

    def app(self) -> web.Application:
        app = web.Application(middlewares=[fault_middleware(self.faults, "twilio", "/2010-04-01/")])
        calls = "/2010-04-01/Accounts/{account}/Calls"
        app.add_routes([
            web.post(calls + ".json", self.create_call),
            web.get(calls + ".json", self.list_calls),
            web.get(calls + "/{sid}.json", self.fetch_call),
            web.post(calls + "/{sid}.json", self.update_call),
            web.get("/2010-04-01/Accounts/{account}.json", self.fetch_account),
            web.get("/2010-04-01/Accounts/{account}/IncomingPhoneNumbers.json", self.list_numbers),
        ])
        return app

    def live_calls(self) -> list[dict]:
        return [{"sid": leg.sid, "to": leg.to, "status": leg.status}
                for leg in self.legs.values() if leg.status not in FINAL]

    async def close(self) -> None:
        tasks = [leg.task for leg in self.legs.values() if leg.task and not leg.task.done()] + list(self._amd_tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.callbacks.close()

    # --- helpers ------------------------------------------------------------

    def _now(self) -> str:
        return format_datetime(self.clock.now(), usegmt=False).replace("-0000", "+0000")

    def _error(self, status: int, code: int, message: str) -> web.Response:
        return json_error("twilio", status, message, code)

    def _auth(self, request: web.Request) -> web.Response | None:
        header = request.headers.get("Authorization", "")
        try:
            auth = BasicAuth.decode(header) if header else None
        except ValueError:
            auth = None
        if (auth is None or auth.login != self.account_sid or auth.password != self.auth_token
                or request.match_info["account"] != self.account_sid):
            return self._error(401, 20003, "Authenticate")
        return None

    def _leg(self, request: web.Request) -> Leg | None:
        return self.legs.get(request.match_info["sid"])

    def _not_found(self, request: web.Request) -> web.Response:
        return self._error(404, 20404, f"The requested resource {request.path} was not found")

    # --- handlers -----------------------------------------------------------

    async def create_call(self, request: web.Request) -> web.Response:
        if (denied := self._auth(request)) is not None:
            return denied
        form = await request.post()
        to, from_ = str(form.get("To", "")).strip(), str(form.get("From", "")).strip()
        twiml, url = str(form.get("Twiml", "")), str(form.get("Url", ""))
        if not to:
            return self._error(400, 21201, "No 'To' number is specified")
        if not from_:
            return self._error(400, 21213, "No 'From' number is specified")
        script = self.personas.script_for(to)
        if not E164.match(to) or script.behaviour == "invalid_number":
            return self._error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if from_ != self.from_number:
            return self._error(400, 21212, f"The 'From' number {from_} is not a valid phone number, "
                                           "shortcode, or alphanumeric sender ID.")
        if not twiml and not url:
            return self._error(400, 21205, "Url parameter is required.")
        stream_url = ""
        if twiml:
            found = twiml_stream_url(twiml)
            if found is None:
                return self._error(400, 12100, "Document parse failure: the TwiML must be "
                                               "<Response><Connect><Stream url=\"...\"/></Connect></Response>.")
            stream_url = found
        # over the account's calls a second, Twilio queues the call (it rings later); counted as a violation
        refused = self.limits.admit(sum(1 for leg in self.legs.values() if leg.status not in FINAL))
        queued_s = refused[1] if refused is not None else 0.0
        md = str(form.get("MachineDetection", "")) in ("Enable", "DetectMessageEnd")
        try:
            timeout = int(str(form.get("Timeout", "60")))
        except ValueError:
            return self._error(400, 21216, "Timeout must be an integer.")
        leg = Leg(sid="CA" + secrets.token_hex(16), account_sid=self.account_sid, to=to, from_=from_,
                  stream_url=stream_url, machine_detection=md, date_created=self._now(),
                  timeout_s=float(max(5, min(600, timeout))),
                  async_amd=md and str(form.get("AsyncAmd", "")).lower() == "true",
                  amd_callback=str(form.get("AsyncAmdStatusCallback", "")),
                  status_callback=str(form.get("StatusCallback", "")),
                  callback_events=self.callbacks.wanted(" ".join(map(str, form.getall("StatusCallbackEvent", [])))))
        self.legs[leg.sid] = leg
        self._callback(leg)
        leg.task = asyncio.get_running_loop().create_task(self._run(leg, script, queued_s), name=f"twilio-{leg.sid}")
        return web.json_response(leg.as_json(), status=201)

    async def list_calls(self, request: web.Request) -> web.Response:
        if (denied := self._auth(request)) is not None:
            return denied
        q = request.query
        try:
            size = max(1, min(1000, int(q.get("PageSize", "50"))))
            page = max(0, int(q.get("Page", "0")))
        except ValueError:
            return self._error(400, 20001, "Invalid PageSize or Page.")
        wanted = {"to": q.get("To"), "from_": q.get("From"), "status": q.get("Status")}
        found = [leg for leg in reversed(list(self.legs.values()))
                 if all(v is None or getattr(leg, k) == v for k, v in wanted.items())]
        start = page * size
        base = request.path

        def uri(n: int) -> str:
            rest = [(k, v) for k, v in q.items() if k not in ("Page", "PageSize", "PageToken")]
            return f"{base}?" + urlencode([("PageSize", size), ("Page", n), *rest])

        chunk = found[start:start + size]
        return web.json_response({
            "calls": [leg.as_json() for leg in chunk], "page": page, "page_size": size, "start": start,
            "end": start + max(0, len(chunk) - 1), "uri": uri(page), "first_page_uri": uri(0),
            "next_page_uri": uri(page + 1) if start + size < len(found) else None,
            "previous_page_uri": uri(page - 1) if page > 0 else None,
        })

    async def fetch_account(self, request: web.Request) -> web.Response:
        if (denied := self._auth(request)) is not None:
            return denied
        return web.json_response({"sid": self.account_sid, "friendly_name": "Switchboard simulation",
                                  "status": "active", "type": "Full", "date_created": self._now()})

    async def list_numbers(self, request: web.Request) -> web.Response:
        if (denied := self._auth(request)) is not None:
            return denied
        wanted = request.query.get("PhoneNumber")
        owned = [] if wanted not in (None, self.from_number) else [{
            "sid": "PN" + "0" * 32, "account_sid": self.account_sid, "phone_number": self.from_number,
            "friendly_name": self.from_number, "status": "in-use",
            "capabilities": {"voice": True, "sms": True, "mms": True, "fax": False},
        }]
        path = request.path
        return web.json_response({"incoming_phone_numbers": owned, "page": 0, "page_size": 50, "start": 0,
                                  "end": max(0, len(owned) - 1), "uri": path, "first_page_uri": path,
                                  "next_page_uri": None, "previous_page_uri": None})

    async def fetch_call(self, request: web.Request) -> web.Response:
        if (denied := self._auth(request)) is not None:
            return denied
        leg = self._leg(request)
        return web.json_response(leg.as_json()) if leg else self._not_found(request)

    async def update_call(self, request: web.Request) -> web.Response:
        if (denied := self._auth(request)) is not None:
            return denied
        leg = self._leg(request)
        if leg is None:
            return self._not_found(request)
        form = await request.post()
        status = str(form.get("Status", ""))
        if status not in ("", "completed", "canceled"):
            return self._error(400, 21218, f"Invalid Status {status!r}: use completed or canceled.")
        if status and leg.status not in FINAL:
            if status == "canceled" and leg.status == "in-progress":
                return web.json_response(leg.as_json())  # Twilio ignores cancel of an answered call
            self._hang_up(leg, "completed" if leg.status == "in-progress" else "canceled", "hangup")
        return web.json_response(leg.as_json())

    # --- the call itself ----------------------------------------------------

    def _set(self, leg: Leg, status: str) -> None:
        leg.status = status
        leg.date_updated = self._now()
        self._callback(leg)

    def _callback(self, leg: Leg) -> None:
        if not leg.status_callback:
            return
        form = {"CallSid": leg.sid, "AccountSid": leg.account_sid, "From": leg.from_, "To": leg.to,
                "CallStatus": leg.status, "Direction": "outbound-api", "ApiVersion": "2010-04-01",
                "Timestamp": leg.date_updated or leg.date_created, "SequenceNumber": str(leg.sequence),
                "CallbackSource": "call-progress-events"}
        if leg.answered_by:
            form["AnsweredBy"] = leg.answered_by
        if leg.status in FINAL:
            form["CallDuration"] = leg.duration or "0"
        leg.sequence += 1
        self.callbacks.notify(leg.status_callback, leg.callback_events, form)

    def _hang_up(self, leg: Leg, status: str, uv_reason: str) -> None:
        """End the leg now (from an API request or the Ultravox side)."""
        if leg.status in FINAL:
            return
        if leg.task and not leg.task.done() and leg.task is not asyncio.current_task():
            leg.task.cancel()
        self._finish(leg, status)
        call = self.network.lookup(leg.stream_url) if leg.stream_url else None
        if call is not None:
            call.end(uv_reason if call.joined else "unjoined")

    def _finish(self, leg: Leg, status: str) -> None:
        if leg.status in FINAL:
            return
        if leg.start_time is not None:
            elapsed = (asyncio.get_running_loop().time() - leg.answered_at) * self.speed
            leg.duration = str(max(0, round(elapsed)))
            leg.end_time = self._now()
        else:
            leg.duration = "0"
        self._set(leg, status)

    async def _async_amd(self, leg: Leg, answered_by: str) -> None:
        await self._sleep(AMD_ASYNC_S)
        if leg.status != "in-progress":
            return
        leg.answered_by = answered_by
        leg.date_updated = self._now()
        if leg.amd_callback:
            self.callbacks.post(leg.amd_callback, {
                "CallSid": leg.sid, "AccountSid": leg.account_sid, "AnsweredBy": answered_by,
                "MachineDetectionDuration": str(int(AMD_ASYNC_S * 1000))})

    async def _sleep(self, sim_s: float) -> None:
        await asyncio.sleep(sim_s / self.speed)

    async def _run(self, leg: Leg, script: Script, queued_s: float = 0.0) -> None:
        try:
            await asyncio.sleep(queued_s)  # real seconds: the account's dial rate is not simulated time
            await self._sleep(0.2)
            self._set(leg, "ringing")
            outcome = script.outcome
            if script.ring_s > leg.timeout_s:  # nobody picked up within the caller's Timeout
                outcome = "no-answer" if outcome == "answered" else outcome
            await self._sleep(min(script.ring_s, leg.timeout_s))
            if outcome != "answered":
                self._finish(leg, outcome)
                if leg.stream_url:
                    self.network.never_joined(leg.stream_url)
                return
            leg.start_time = self._now()
            leg.answered_at = asyncio.get_running_loop().time()
            self._set(leg, "in-progress")
            if leg.machine_detection and not leg.async_amd:
                await self._sleep(AMD_SYNC_S)  # the callee hears silence while detection listens
                leg.answered_by = script.answered_by
            elif leg.async_amd:
                task = asyncio.get_running_loop().create_task(self._async_amd(leg, script.answered_by))
                self._amd_tasks.add(task)
                task.add_done_callback(self._amd_tasks.discard)
            call = self.network.join(leg.stream_url, lambda: self._hang_up(leg, "completed", "agent_hangup")) \
                if leg.stream_url else None
            if call is None:
                await self._sleep(0.5)  # nothing to stream to: the line goes quiet and drops
                self._finish(leg, "completed")
                return
            leg.call_id = call.call_id
            self.personas.converse(leg.to, script, call.template_context, call.first_speaker)
            for role, text in script.turns:
                await self._sleep(script.turn_s)
                if not call.running:
                    break
                call.add_message(role, text)
            await self._sleep(min(0.5, script.turn_s))
            self._finish(leg, "completed")
            call.end(script.end_reason, script.summary)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("simulated Twilio call %s failed", leg.sid)
            self._finish(leg, "failed")
