"""The phone leg, through the real ``twilio`` package: place a call whose
TwiML streams to the Ultravox joinUrl, read its status, hang it up, and
find a call we may have placed before a crash or a timed-out create.

The ring time is set explicitly (Twilio's default is 60 s) and
answering-machine detection is asynchronous by default, so an answering
person is connected at once. Errors become ``retry.Transient`` (429 with its
Retry-After, 5xx, timeouts, connection errors, a garbled answer),
``ProviderRefused`` (bad credentials) or ``CallError`` (bad number, other 4xx)."""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, TypeVar

import requests
from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from twilio.twiml.voice_response import Connect, VoiceResponse

from calling.errors import CallError, ProviderRefused, retry_after_s
from core.retry import Transient

NumberInfo = dict[str, Any]  # Twilio Lookup's answer for a number (its line type and carrier)

if TYPE_CHECKING:
    from twilio.rest.api.v2010.account.call import CallInstance

T = TypeVar("T")
SERVICE = "Twilio"
FINAL_STATUSES = frozenset({"completed", "busy", "no-answer", "canceled", "failed"})
NUMBER_CODES = {21211: "invalid To number", 21214: "number not reachable", 21215: "no permission to call that region",
                21217: "not a phone number", 13224: "invalid number"}


class MaybePlaced(Exception):
    """The create request may have gone through (timed out after sending, or
    answered with garbage): never send it again blindly. Deliberately not a
    ``Transient``, so the retry policy does not resend it."""


@dataclass(frozen=True)
class LegStatus:
    sid: str
    status: str
    answered_by: str | None
    duration_s: float | None
    created: datetime | None = None  # Twilio's date_created (whole seconds, Twilio's clock)

    @property
    def final(self) -> bool:
        return self.status in FINAL_STATUSES


class _HeaderKeepingClient(TwilioHttpClient):
    """Remembers the last response's headers: TwilioRestException does not
    carry them, and a 429's Retry-After must be honoured."""

    last_headers: Any = None

    def request(self, *args: Any, **kwargs: Any) -> Any:
        self.last_headers = None
        response = super().request(*args, **kwargs)
        self.last_headers = response.headers
        return response


def stream_twiml(join_url: str) -> str:
    response = VoiceResponse()
    connect = Connect()
    connect.stream(url=join_url)
    response.append(connect)
    return str(response)


def _status(call: CallInstance) -> LegStatus:
    try:
        seconds = float(call.duration) if call.duration not in (None, "") else None
    except (TypeError, ValueError):
        seconds = None
    return LegStatus(sid=call.sid, status=str(call.status or ""), answered_by=call.answered_by, duration_s=seconds,
                     created=call.date_created)


class TwilioLeg:
    def __init__(self, account_sid: str, auth_token: str, from_number: str, *,
                 base_url: str = "", machine_detection: bool = True, timeout_s: float = 15.0,
                 ring_timeout_s: int = 30, async_amd: bool = True, machine_detection_timeout_s: int = 30,
                 amd_callback_url: str = "") -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.from_number = from_number
        self.base_url = base_url.rstrip("/")
        self.machine_detection = machine_detection
        self.timeout_s = timeout_s
        self.ring_timeout_s = ring_timeout_s
        self.async_amd = async_amd
        self.machine_detection_timeout_s = machine_detection_timeout_s
        self.amd_callback_url = amd_callback_url
        self._local = threading.local()  # a Client per thread: its HTTP client is not thread-safe

    def _client(self) -> Client:
        client = getattr(self._local, "client", None)
        if client is None:
            api = self.base_url or "https://api.twilio.com"
            http = _HeaderKeepingClient(timeout=self.timeout_s, proxy=requests.utils.get_environ_proxies(api) or None)
            if http.session is not None:  # proxies read once above, not the environment per request
                http.session.trust_env = False
            client = Client(self.account_sid, self.auth_token, http_client=http)
            self._local.http = http
            if self.base_url:
                client.api.base_url = self.base_url
                # a region/edge (argument or TWILIO_REGION/EDGE) would rewrite the host
                client.region = client.edge = None
            self._local.client = client
        return client

    def _call(self, what: str, fn: Callable[[], T], *, creates: bool = False) -> T:
        ambiguous = MaybePlaced if creates else Transient
        try:
            return fn()
        except TwilioException as e:
            status = int(getattr(e, "status", 0) or 0)
            code = getattr(e, "code", None)
            detail = getattr(e, "msg", None) or getattr(e, "detail", None) or e.__class__.__name__
            if status == 429 or status >= 500 or status == 0:
                http: _HeaderKeepingClient | None = getattr(self._local, "http", None)  # this thread's, if made
                headers = (http.last_headers if http is not None else None) or {}
                raise Transient(f"{SERVICE}: {what} failed ({status})", retry_after_s(headers.get("Retry-After"))) from e
            if code in NUMBER_CODES:
                raise CallError(f"{SERVICE} cannot call this number: {NUMBER_CODES[code]} (error {code})") from e
            if status in (401, 403) or code == 20003:
                raise ProviderRefused(SERVICE, f"{SERVICE} refused our credentials (error {code}); check "
                                               "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN") from e
            raise CallError(f"{SERVICE} rejected {what} ({status}, error {code}): {detail}") from e
        except requests.ConnectTimeout as e:
            raise Transient(f"{SERVICE}: {what} could not connect") from e
        except requests.Timeout as e:
            raise ambiguous(f"{SERVICE}: {what} timed out") from e
        except requests.RequestException as e:
            raise Transient(f"{SERVICE}: {what} connection failed ({e.__class__.__name__})") from e
        except (ValueError, KeyError, TypeError) as e:  # a garbled JSON answer
            raise ambiguous(f"{SERVICE}: unreadable answer to {what}") from e

    @property
    def connect_window_s(self) -> int:
        """The longest a placed call can take to reach the stream: ringing, plus
        synchronous answering-machine detection (the callee waits through it)."""
        amd = self.machine_detection_timeout_s if self.machine_detection and not self.async_amd else 0
        return self.ring_timeout_s + amd

    def place(self, to: str, join_url: str) -> LegStatus:
        kwargs: dict[str, Any] = {"to": to, "from_": self.from_number, "twiml": stream_twiml(join_url),
                                  "timeout": self.ring_timeout_s}
        if self.machine_detection:
            kwargs["machine_detection"] = "Enable"
            kwargs["machine_detection_timeout"] = self.machine_detection_timeout_s
            if self.async_amd:
                # the callee is connected at once; the result lands on the Call resource's
                # answered_by (read by polling) and, when configured, is posted to the callback
                kwargs["async_amd"] = "true"
                if self.amd_callback_url:
                    kwargs["async_amd_status_callback"] = self.amd_callback_url
        return self._call("placing the call", lambda: _status(self._client().calls.create(**kwargs)), creates=True)

    def fetch(self, sid: str) -> LegStatus:
        return self._call("reading the call", lambda: _status(self._client().calls(sid).fetch()))

    def calls_to(self, to: str, since: datetime, limit: int = 20) -> list[LegStatus]:
        """Our from-number's calls to ``to`` created at or after ``since``, newest
        first: finds a leg whose create answer was lost. The list filters by To
        and From; its StartTime filter counts whole days (and a queued call has
        no start time yet), so the window is checked on ``date_created`` here."""
        def look() -> list[LegStatus]:
            found = self._client().calls.list(to=to, from_=self.from_number, limit=limit)
            return [leg for leg in map(_status, found) if leg.created is not None and leg.created >= since]
        return self._call("listing calls", look)

    def hang_up(self, sid: str) -> LegStatus:
        return self._call("hanging up", lambda: _status(self._client().calls(sid).update(status="completed")))

    def account_status(self) -> str:
        """The account's status (``active``…): proves the credentials."""
        return self._call("reading the account",
                          lambda: str(self._client().api.v2010.accounts(self.account_sid).fetch().status))

    def number_capabilities(self, number: str) -> NumberInfo | None:
        """The from-number's capabilities if this account owns it, else None."""
        def look() -> NumberInfo | None:
            found = self._client().incoming_phone_numbers.list(phone_number=number, limit=1)
            return dict(found[0].capabilities or {}) if found else None
        return self._call("looking up the from-number", look)
