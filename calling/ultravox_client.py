"""Ultravox over HTTP (requests): start a call for our agent, read it, read
its transcript through every page, find a call by our metadata.

Every method makes one HTTP request and raises ``retry.Transient`` (429 with
Retry-After, 5xx, timeouts, dropped connections, a garbled body) or
``CallError`` (other 4xx); the caller wraps it in the one RetryPolicy."""
from __future__ import annotations

import json
import threading
from typing import Any
from urllib.parse import urljoin

import requests

from calling.errors import CallError, raise_for_status
from core.retry import Transient

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
        raise_for_status(SERVICE, resp.status_code, resp.headers.get("Retry-After"), resp.text)
        if resp.status_code == 204 or not resp.content:
            return None
        try:
            return resp.json()
        except (ValueError, json.JSONDecodeError) as e:
            raise Transient(f"{SERVICE}: unreadable answer from {method} {url}") from e

    def create_call(self, agent_id: str, template_context: dict[str, Any], metadata: dict[str, str]) -> dict[str, Any]:
        body = {"templateContext": template_context, "medium": {"twilio": {}}, "metadata": metadata}
        call = self._request("POST", f"/agents/{agent_id}/calls", json=body)
        if not isinstance(call, dict) or not call.get("callId") or not call.get("joinUrl"):
            raise Transient(f"{SERVICE}: call created without callId/joinUrl")
        return call

    def get_call(self, call_id: str) -> dict[str, Any]:
        call = self._request("GET", f"/calls/{call_id}")
        if not isinstance(call, dict) or "ended" not in call:
            raise Transient(f"{SERVICE}: unreadable call {call_id}")
        return call

    def find_calls(self, key: str, value: str) -> list[dict[str, Any]]:
        """Calls whose metadata has ``key`` = ``value`` (every page)."""
        return self._pages(f"/calls?metadata.{key}={value}")

    def messages(self, call_id: str) -> list[dict[str, Any]]:
        """The whole transcript, following the ``next`` cursor to the end."""
        return self._pages(f"/calls/{call_id}/messages?pageSize=50")

    def hang_up(self, call_id: str) -> None:
        """End a running call (its phone leg too) and delete it; a call already gone is fine."""
        try:
            self._request("DELETE", f"/calls/{call_id}")
        except CallError as e:
            if "(404)" not in str(e):
                raise

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
