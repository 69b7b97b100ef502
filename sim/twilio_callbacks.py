"""Twilio status callbacks: when a call was created with ``StatusCallback``,
POST the form Twilio posts on each requested event (``StatusCallbackEvent``:
initiated, ringing, answered, completed; only completed when not given).
Delivery is best effort, as Twilio's is: a failure is logged, never retried."""
from __future__ import annotations

import asyncio
import logging

import aiohttp

log = logging.getLogger(__name__)
EVENT_OF_STATUS = {"queued": "initiated", "ringing": "ringing", "in-progress": "answered",
                   "completed": "completed", "busy": "completed", "no-answer": "completed",
                   "failed": "completed", "canceled": "completed"}


class StatusCallbacks:
    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None
        self._pending: set[asyncio.Task] = set()
        self.delivered = 0

    @staticmethod
    def wanted(events: str) -> frozenset[str]:
        names = frozenset(e for e in events.replace(",", " ").split() if e)
        return names or frozenset({"completed"})

    def notify(self, url: str, events: frozenset[str], form: dict[str, str]) -> None:
        """Queue the POST of ``form`` to ``url`` if its event was asked for."""
        if not url or EVENT_OF_STATUS.get(form.get("CallStatus", "")) not in events:
            return
        self.post(url, form)

    def post(self, url: str, form: dict[str, str]) -> None:
        """Queue one POST of ``form`` to ``url`` (best effort)."""
        task = asyncio.get_running_loop().create_task(self._post(url, form))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _post(self, url: str, form: dict[str, str]) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5))
        try:
            async with self._session.post(url, data=form) as response:
                await response.read()
                self.delivered += 1
        except (aiohttp.ClientError, asyncio.TimeoutError) as e:
            log.warning("status callback to %s failed: %s", url, e)

    async def close(self) -> None:
        if self._pending:
            await asyncio.wait(list(self._pending), timeout=2)
        if self._session is not None:
            await self._session.close()
            self._session = None
