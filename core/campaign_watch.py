"""Campaign progress for the views: the ``campaigns`` worker re-reads every
campaign's progress (one grouped read, however many jobs) when a campaign
or one of its jobs changed, at most once every ``min_interval_s``, and every
``poll_s`` while a campaign is active or paused — another process's pause
or import reaches this one only so, and the time left moves with the clock.
It publishes ``CampaignsProgress`` when the picture differs from the last
one; ``latest`` is that picture, for a view that opens later."""
from __future__ import annotations

import logging
import threading
from typing import Any

import sqlalchemy.exc

from core.events import Bus, CallJobUpdated, CampaignChanged, CampaignsProgress, Event
from store.jobs import JobStore

log = logging.getLogger(__name__)

LIVE = ("ACTIVE", "PAUSED")


class CampaignWatch:
    name = "campaigns"

    def __init__(self, jobs: JobStore, bus: Bus, *, min_interval_s: float = 1.0, poll_s: float = 5.0) -> None:
        self.jobs = jobs
        self.bus = bus
        self.min_interval_s = min_interval_s
        self.poll_s = poll_s
        self.latest: list[dict[str, Any]] = []
        self._changed = threading.Event()
        self._stopping = threading.Event()
        self._live = True  # until the first read says otherwise

    def on_event(self, event: Event) -> None:
        """Bus subscriber: note the change; the worker's thread reads."""
        if isinstance(event, CampaignChanged) or (
                isinstance(event, CallJobUpdated) and event.job.campaign_id is not None):
            self._changed.set()

    def run(self) -> None:
        unsubscribe = self.bus.subscribe(self.on_event)
        try:
            self._changed.set()  # the first picture at once
            while not self._stopping.is_set():
                changed = self._changed.wait(self.poll_s)
                if self._stopping.is_set():
                    break
                if changed or self._live:
                    self._changed.clear()
                    self.refresh()
                self._stopping.wait(self.min_interval_s)
        finally:
            unsubscribe()

    def stop(self) -> None:
        self._stopping.set()
        self._changed.set()

    def refresh(self) -> list[dict[str, Any]]:
        """Read now; publish if the picture changed. A failed read is logged
        and tried again at the next change or poll."""
        try:
            progress = [p.to_dict() for p in self.jobs.campaigns_progress()]
        except sqlalchemy.exc.SQLAlchemyError:
            log.exception("could not read the campaigns' progress")
            self._changed.set()
            return self.latest
        self._live = any(p["campaign"]["status"] in LIVE for p in progress)
        if progress != self.latest:
            self.latest = progress
            self.bus.publish(CampaignsProgress(campaigns=progress))
        return progress
