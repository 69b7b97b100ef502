"""The calling engine worker: claims due jobs with a lease and runs up to
``calling.concurrency`` of them at once, each on its own thread.

Several engines (threads, processes, machines) may share one database: the
claim is atomic, each attempt row is unique per (job, number), and a job
whose engine died is reclaimed when its lease runs out and reconciled from
the ids its attempt row holds."""
from __future__ import annotations

import logging
import threading
import uuid
from concurrent.futures import Future, ThreadPoolExecutor

import sqlalchemy.exc

from core import config as config_mod
from calling.campaigns.running import CampaignRunner
from calling.gate import Gate
from calling.context import Context, Leases, install_id
from calling.job_run import JobRun
from calling.pacing import Pacing
from calling.strategist import Strategist
from calling.twilio_leg import TwilioLeg
from calling.ultravox_client import UltravoxClient
from core.clock import Clock, SystemClock
from core.events import Bus
from core.retry import RetryPolicy
from store import JobStore
from store.pacing import PacingStore

log = logging.getLogger("calling")


class CallingEngine:
    name = "calling"

    def __init__(self, config: config_mod.Config, bus: Bus, jobs: JobStore, clock: Clock | None = None,
                 engine_id: str | None = None) -> None:
        self.config = config
        s, sec = config.settings, config.secrets
        clock = clock or SystemClock()
        self.engine_id = engine_id or f"engine-{uuid.uuid4().hex[:12]}"
        timeout = s.openai.request_timeout_s
        stop = threading.Event()
        self.ctx = Context(
            config=config, bus=bus, jobs=jobs, clock=clock, engine_id=self.engine_id, stop=stop,
            ultravox=UltravoxClient(s.ultravox.base_url, sec.ultravox_api_key, timeout_s=min(timeout, 15.0)),
            twilio=TwilioLeg(sec.twilio_account_sid, sec.twilio_auth_token, sec.twilio_from_number,
                             base_url=s.twilio.base_url, machine_detection=s.twilio.machine_detection,
                             timeout_s=min(timeout, 15.0), ring_timeout_s=s.twilio.ring_timeout_s,
                             async_amd=s.twilio.async_amd,
                             machine_detection_timeout_s=s.twilio.machine_detection_timeout_s,
                             amd_callback_url=s.twilio.amd_callback_url),
            strategist=Strategist(s.openai.api_base, sec.openai_api_key, s.openai.strategist_model,
                                  attempts=s.calling.strategist_attempts, clock=clock, timeout_s=timeout),
            policy=RetryPolicy(attempts=5, base_s=0.25, cap_s=5.0),
            leases=Leases(jobs, self.engine_id, s.calling.lease_s),
            install_id=install_id(config.data_dir),
            pacing=Pacing(PacingStore(jobs.db, is_postgres=jobs.is_postgres, clock=clock), s.calling,
                          self.engine_id, stop),
        )
        self.gate = Gate(config, jobs)
        self.campaigns = CampaignRunner(jobs, bus, clock)
        self._wake = threading.Event()
        self._inflight: dict[int, Future[None]] = {}

    def stop(self) -> None:
        self.ctx.stop.set()
        self._wake.set()

    def run(self) -> None:
        ctx = self.ctx
        calling = ctx.calling
        ctx.pacing.init_db()
        log.info("calling engine %s started (concurrency %d)", self.engine_id, calling.concurrency)
        pool = ThreadPoolExecutor(max_workers=calling.concurrency,
                                  thread_name_prefix=f"calling-{self.engine_id[-6:]}")
        keeper = threading.Thread(target=self._keep_leases, name=f"calling-leases-{self.engine_id[-6:]}",
                                  daemon=True)
        keeper.start()
        try:
            while not ctx.stop.is_set():
                self._reap()
                self.campaigns.sweep()
                claimed = self._fill(pool)
                if ctx.stop.is_set():
                    break
                if claimed and len(self._inflight) < calling.concurrency:
                    continue  # more may be due right now
                # until a slot frees or the poll interval passes
                self._wake.wait(calling.poll_interval_s)
                self._wake.clear()
        finally:
            pool.shutdown(wait=True)
            self._reap()
            keeper.join()
            log.info("calling engine %s stopped", self.engine_id)

    def _keep_leases(self) -> None:
        ctx = self.ctx
        while not ctx.clock.sleep(ctx.calling.lease_s / 4, ctx.stop):
            ctx.leases.renew_all()

    def _reap(self) -> None:
        for job_id, future in list(self._inflight.items()):
            if future.done():
                del self._inflight[job_id]
                self.ctx.leases.untrack(job_id)
                exc = future.exception()
                if exc is not None:
                    log.error("job %s: worker ended with %r", job_id, exc)

    def _fill(self, pool: ThreadPoolExecutor) -> int:
        """Claim due jobs into free slots; returns how many were claimed."""
        ctx = self.ctx
        claimed = 0
        if ctx.paused():  # a service refuses us until a person acts: no new work meanwhile
            return 0
        campaigns = self.campaigns.runnable()
        while len(self._inflight) < ctx.calling.concurrency and not ctx.stop.is_set():
            try:
                job = ctx.jobs.claim_next(self.engine_id, ctx.calling.lease_s, exclude=list(self._inflight),
                                          campaigns=campaigns)
            except sqlalchemy.exc.SQLAlchemyError:
                log.exception("claiming a job failed; trying again shortly")
                return claimed
            if job is None:
                return claimed
            claimed += 1
            run = JobRun(self.ctx, self.gate)
            ctx.leases.track(job.id)
            future = pool.submit(run.run, job)
            future.add_done_callback(lambda _f: self._wake.set())
            self._inflight[job.id] = future
        return claimed
