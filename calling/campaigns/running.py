"""What each engine does for campaigns: which campaigns' jobs it may claim
now (each engine starts its round at a different one, so every campaign
gets its turn), and the sweep that expires jobs at a deadline and ends
finished campaigns with their one summary (store/campaign_end.py)."""
from __future__ import annotations

import logging

import sqlalchemy.exc

from core.clock import Clock
from core.events import Bus, NewCallUpdateAvailable
from store import JobStore
from store.campaigns import Campaign

log = logging.getLogger("calling")
SWEEP_S = 1.0  # how often an engine looks for deadlines passed and campaigns ended


class CampaignRunner:
    def __init__(self, jobs: JobStore, bus: Bus, clock: Clock) -> None:
        self.jobs, self.bus, self.clock = jobs, bus, clock
        self._turn = 0
        self._last_sweep: float | None = None

    def runnable(self) -> list[Campaign]:
        """The campaigns whose jobs may be claimed now, in this round's order."""
        try:
            campaigns = self.jobs.runnable_campaigns()
        except sqlalchemy.exc.SQLAlchemyError:
            log.exception("reading the campaigns failed; single calls go on meanwhile")
            return []
        if not campaigns:
            return []
        self._turn = (self._turn + 1) % len(campaigns)
        return campaigns[self._turn:] + campaigns[:self._turn]

    def sweep(self) -> None:
        now = self.clock.monotonic()
        if self._last_sweep is not None and now - self._last_sweep < SWEEP_S:
            return
        self._last_sweep = now
        try:
            summaries = self.jobs.sweep_campaigns()
        except sqlalchemy.exc.SQLAlchemyError:
            log.exception("the campaign sweep failed; trying again shortly")
            return
        for job in summaries:
            log.info("campaign summary job %s: %s", job.id, job.final_summary_for_main_agent)
            self.bus.publish(NewCallUpdateAvailable(contact_name=job.contact_name,
                                                    status_summary=job.final_summary_for_main_agent or "",
                                                    job_id=job.id))
