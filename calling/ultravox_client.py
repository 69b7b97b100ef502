"""Ultravox over HTTP (requests): start a call for our agent (the callee
speaking first, a join window longer than the phone rings), read it, read
its transcript through every stage and page, find our own call by its
metadata, and end a live call without deleting its record.

Every method makes one HTTP request and raises ``retry.Transient`` (429 with
Retry-After, 5xx, timeouts, dropped connections, a garbled body),
``ProviderRefused`` (401/403) or ``CallError`` (other 4xx); the caller wraps
it in the one RetryPolicy."""
from __future__ import annotations

import json
import threading
from typing import Any
from urllib.parse import urlencode, urljoin

import requests

from calling.errors import CallError, raise_for_status
from core.retry import Transient

# JSON from and to Ultravox's REST API stays a dict, named for what it is
UltravoxCall = dict[str, Any]  # a call, as GET /calls/{id} returns it
CallMessage = dict[str, Any]  # one message of a call's transcript
Agent = dict[str, Any]  # an agent, as GET /agents/{id} returns it
Account = dict[str, Any]  # the account a key belongs to (GET /accounts/me)

SERVICE = "Ultravox"


class UltravoxClient:
    def __init__(self, base_url: str, api_key: str, *, timeout_s: float = 15.0) -> None:
        self.base = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout_s = timeout_s
        self._local = threading.local()  # a Session per thread

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers["X-API-Key"] = self.api_key
            # read proxy settings once, not the whole environment on every request
            session.proxies = requests.utils.get_environ_proxies(self.base)
            session.trust_env = False
            self._local.session = session
        return session

    def _request(self, method: str, url: str, **kw: Any) -> Any:
        if not url.startswith("http"):
            url = self.base + url
        try:
            resp = self._session().request(method, url, timeout=self.timeout_s, **kw)
        except requests.Timeout as e:
            raise Transient(f"{SERVICE}: timed out ({e.__class__.__name__})") from e
        except requests.RequestException as e:
            raise Transient(f"{SERVICE}: connection failed ({e.__class__.__name__})") from e
        raise_for_status(SERVICE, resp.status_code, resp.headers, resp.text)
        if resp.status_code == 204 or not resp.content:
            return None
        try:
            return resp.json()
        except (ValueError, json.JSONDecodeError) as e:
            raise Transient(f"{SERVICE}: unreadable answer from {method} {url}") from e

    def create_call(self, agent_id: str, template_context: dict[str, str], metadata: dict[str, str], *,
                    first_speaker: str = "user", join_timeout_s: int = 30, record: bool = False) -> UltravoxCall:
        body: dict[str, Any] = {"templateContext": template_context, "medium": {"twilio": {}}, "metadata": metadata,
                                "firstSpeakerSettings": {first_speaker: {}}, "joinTimeout": f"{int(join_timeout_s)}s"}
        if record:
            body["recordingEnabled"] = True
        call = self._request("POST", f"/agents/{agent_id}/calls", json=body)
        if not isinstance(call, dict) or not call.get("callId") or not call.get("joinUrl"):
            raise Transient(f"{SERVICE}: call created without callId/joinUrl")
        return call

    def get_call(self, call_id: str) -> UltravoxCall:
        call = self._request("GET", f"/calls/{call_id}")
        if not isinstance(call, dict) or "ended" not in call:
            raise Transient(f"{SERVICE}: unreadable call {call_id}")
        return call

    def find_calls(self, key: str, value: str) -> list[UltravoxCall]:
        """Calls whose metadata has ``key`` = ``value`` (every page)."""
        return self._pages(f"/calls?{urlencode({f'metadata.{key}': value})}")

    def find_own_live_call(self, metadata: dict[str, str]) -> UltravoxCall | None:
        """The call created with exactly this metadata that has not ended, if any.
        Metadata search alone can return old calls (another install, an earlier
        database): every key must match and an ended call is never adopted."""
        for call in self.find_calls("call_key", metadata["call_key"]):
            if not isinstance(call, dict) or call.get("ended") or not call.get("joinUrl"):
                continue
            found = call.get("metadata") or {}
            if all(found.get(k) == v for k, v in metadata.items()):
                return call
        return None

    def messages(self, call_id: str) -> list[CallMessage]:
        """The whole transcript: every call stage (``mode=in_call``; the default is
        the last stage only), following the ``next`` cursor to the end."""
        return self._pages(f"/calls/{call_id}/messages?mode=in_call&pageSize=50")

    def hang_up(self, call_id: str) -> None:
        """End a live call with the hang-up data message; the call, its transcript
        and recording stay (DELETE would destroy them). A call already over is fine."""
        try:
            self._request("POST", f"/calls/{call_id}/send_data_message", json={"type": "hang_up"})
        except CallError as e:
            if "(404)" not in str(e) and "(409)" not in str(e) and "(400)" not in str(e):
                raise

    def recording_url(self, call_id: str) -> str:
        """The recording's stable address (it redirects, with our key, to a short-lived file URL)."""
        return f"{self.base}/calls/{call_id}/recording"

    def get_agent(self, agent_id: str) -> Agent:
        agent = self._request("GET", f"/agents/{agent_id}")
        if not isinstance(agent, dict):
            raise Transient(f"{SERVICE}: unreadable agent {agent_id}")
        return agent

    def account(self) -> Account:
        """The account the key belongs to (a cheap way to prove the key)."""
        me = self._request("GET", "/accounts/me")
        if not isinstance(me, dict):
            raise Transient(f"{SERVICE}: unreadable account")
        return me

    def _pages(self, url: str) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = []
        seen: set[str] = set()
        while url:
            if url in seen:
                raise Transient(f"{SERVICE}: pagination loops at {url}")
            seen.add(url)
            page = self._request("GET", url)
            if not isinstance(page, dict) or not isinstance(page.get("results"), list):
                raise Transient(f"{SERVICE}: unreadable page {url}")
            results.extend(page["results"])
            nxt = page.get("next")
            url = urljoin(self.base + "/", nxt) if nxt else ""
        return results
