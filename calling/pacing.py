"""Keeping every engine that shares the database inside the providers'
account limits (``calling.max_concurrent_calls``, ``calling.calls_per_second``,
``calling.calls_per_minute``), so a fleet never sets off a 429 storm; a 429
that still comes is honoured by the retry policy as before.

A job's run takes a call slot before its call is created (or, for a call an
earlier engine left running, before following it) and gives it back when the
call is over. Each creation (Ultravox, then Twilio) first reserves its moment
on that service's pacer; creations are spaced half as wide again as the
limit (``MARGIN``) so a request delayed on its way (a busy machine, the
network, a service that takes requests in bursts) still lands outside the
window of the one before."""
from __future__ import annotations

import logging
import threading
from typing import Callable

from core import config as config_mod
from core.retry import Stopped
from store.pacing import PacingStore

log = logging.getLogger("calling")

MARGIN = 1.5  # a request may reach the service up to half its window late and still fit
SLOT_POLL_S = 0.2
ULTRAVOX, TWILIO = "ultravox", "twilio"


class Pacing:
    def __init__(self, store: PacingStore, settings: config_mod.CallingSection, holder: str,
                 stop: threading.Event) -> None:
        self.store = store
        self.limit = settings.max_concurrent_calls
        twilio_gap = 1.0 / settings.calls_per_second
        self.gaps = {TWILIO: twilio_gap * MARGIN,
                     ULTRAVOX: max(twilio_gap, 60.0 / settings.calls_per_minute) * MARGIN}
        self.holder = holder
        self.stop = stop

    def init_db(self) -> None:
        self.store.init_db(self.limit, (ULTRAVOX, TWILIO))

    def take_slot(self, job_id: int, check: Callable[[], None]) -> int:
        """Wait for a free call slot; ``check`` raises if the job's lease is lost."""
        waited = False
        while True:
            slot = self.store.take_slot(self.holder, job_id, self.limit)
            if slot is not None:
                if waited:
                    log.info("job %s: call slot %d free", job_id, slot)
                return slot
            if not waited:
                log.info("job %s: all %d call slots busy; waiting", job_id, self.limit)
                waited = True
            check()
            if self.stop.wait(SLOT_POLL_S):
                raise Stopped()

    def give_back(self, slot: int, job_id: int) -> None:
        self.store.give_back(slot, self.holder, job_id)

    def before_create(self, service: str) -> None:
        """Wait for this creation's moment on ``service``'s pacer."""
        wait = self.store.reserve(service, self.gaps[service])
        if wait > 0 and self.stop.wait(wait):
            raise Stopped()
