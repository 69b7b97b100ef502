"""Builds the parts of the app from a Config and owns their lifetime:
simulators (in simulate mode), stores, the bus, the state view, the voice
worker and the calling engine. The console, --headless and the mirror are
views on a Runtime."""
from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass, field
from typing import Any, Protocol

import sqlalchemy.exc

from core import config as config_mod
from core.actions import Actions
from core.clock import Clock, SystemClock
from core.events import Bus, Mode, Notice
from core.state import StateView
from store import ConversationStore, JobStore

log = logging.getLogger(__name__)


class StartupError(Exception):
    """Something the operator can fix stopped the start (a database that
    cannot be opened, a port in use); the message says which and why."""


class Worker(Protocol):
    name: str

    def run(self) -> None: ...
    def stop(self) -> None: ...


def point_at_sims(cfg: config_mod.Config, sims: Any) -> config_mod.Config:
    """The same config, its service URLs and secrets replaced by the simulators'."""
    urls = sims.urls
    return config_mod.with_sections(
        cfg,
        secrets=sims.secrets if not cfg.secrets.mirror_token else
        config_mod.Secrets(**{**sims.secrets.__dict__, "mirror_token": cfg.secrets.mirror_token}),
        openai={"realtime_url": urls["openai_realtime_url"], "api_base": urls["openai_api_base"]},
        ultravox={"base_url": urls["ultravox_base_url"]},
        twilio={"base_url": urls["twilio_base_url"]},
    )


def _open_stores(cfg: config_mod.Config, clock: Clock, bus: Bus) -> tuple[JobStore, ConversationStore]:
    opened: list[JobStore | ConversationStore] = []
    s = cfg.settings
    try:
        for key, url, kind in (
            ("calling.calls_db_url", s.calling.calls_db_url, JobStore),
            ("conversation.db_url", s.conversation.db_url, ConversationStore),
        ):
            try:
                store = kind(cfg.db_url(url), clock=clock, **({"bus": bus} if kind is JobStore else {}))
                opened.append(store)
                store.init_db()
            except (sqlalchemy.exc.SQLAlchemyError, sqlite3.Error, OSError) as e:
                detail = str(getattr(e, "orig", None) or e).strip().splitlines()[0]
                if "malformed" in detail or "not a database" in detail:
                    detail += " (the file is corrupt; it was left as it is: restore a backup or move it away)"
                raise StartupError(f"{key}: cannot open the database: {detail}") from e
    except BaseException:
        for store in opened:
            store.close()
        raise
    jobs, conversation = opened
    return jobs, conversation  # type: ignore[return-value]


@dataclass
class Runtime:
    config: config_mod.Config
    clock: Clock
    bus: Bus
    jobs: JobStore
    conversation: ConversationStore
    state: StateView
    actions: Actions
    workers: list[Worker] = field(default_factory=list)
    sims: Any = None
    voice: Any = None
    engine: Any = None  # None with calling.enabled = false: engines run elsewhere
    feed: Any = None
    campaigns: Any = None  # core.campaign_watch.CampaignWatch, with the workers
    owned_sims: Any = None  # started by build(), stopped by close()
    mirror_url: str | None = None
    mirror_link: str | None = None  # the mirror URL with its token, for the operator
    model_warnings: list[str] = field(default_factory=list)  # configured models the openai package deprecates
    # said before any view listened (e.g. the mirror's port was taken): announce() repeats them
    startup_notices: list[Notice] = field(default_factory=list)

    @classmethod
    def build(
        cls,
        cfg: config_mod.Config,
        *,
        clock: Clock | None = None,
        with_workers: bool = True,
        sims: Any = None,
    ) -> "Runtime":
        """Start-up work happens here, never at import. ``sims`` may be a
        started SimCluster to share (tests); in simulate mode one is started
        otherwise and owned by this runtime."""
        clock = clock or SystemClock()
        bus = Bus(clock)
        s = cfg.settings
        jobs, conversation = _open_stores(cfg, clock, bus)
        owned_sims = None
        try:
            if cfg.mode == "simulate":
                if sims is None:
                    from sim.cluster import SimCluster

                    # the simulated Ultravox account keeps its calls across restarts, as the real one does
                    sims = owned_sims = SimCluster(s, personas_path=cfg.resolve_path(s.sim.personas_file),
                                                   ultravox_history=cfg.data_dir / "sim_ultravox_calls.json",
                                                   # faster calls, but our requests still take real time
                                                   ultravox_min_join_real_s=10.0).start()
                cfg = point_at_sims(cfg, sims)
            state = StateView(jobs, conversation, cfg.mode)
            state.load()
            bus.subscribe(state)
            from core.models import deprecation_warnings

            rt = cls(cfg, clock, bus, jobs, conversation, state, Actions(s, bus, jobs, state), sims=sims,
                     owned_sims=owned_sims, model_warnings=deprecation_warnings(s))
            if with_workers:
                rt._build_workers()
            return rt
        except BaseException:
            if owned_sims is not None:
                owned_sims.stop()
            jobs.close()
            conversation.close()
            raise

    def _build_workers(self) -> None:
        from calling.engine import CallingEngine
        from calling.held_requests import HeldRequests
        from core.campaign_watch import CampaignWatch
        from store.feed import ChangeFeed
        from voice.worker import VoiceWorker

        # the assistant's call requests that the database could not write yet
        self.held_requests = HeldRequests(self.jobs, self.config.settings, self.bus)
        self.voice = VoiceWorker(self.config, self.bus, self.jobs, self.conversation, clock=self.clock,
                                 held=self.held_requests)
        # what other processes (engines, consoles, the mirror) change reaches this one's views
        self.feed = ChangeFeed(self.jobs, self.bus, known=self.state.snapshot(jobs_limit=10**9).jobs)
        self.campaigns = CampaignWatch(self.jobs, self.bus)
        self.workers = [self.voice, self.feed, self.campaigns, self.held_requests]
        if self.config.settings.calling.enabled:
            self.engine = CallingEngine(self.config, self.bus, self.jobs, clock=self.clock)
            self.workers.append(self.engine)
        self.actions.assistant = self.voice

    def announce(self) -> None:
        """The first events every view should see."""
        self.bus.publish(Mode(mode=self.config.mode))
        for line in self.model_warnings:
            log.warning("%s", line)
            self.bus.publish(Notice(level="warning", text=line))
        if self.sims is not None:
            self.bus.publish(Notice(level="info", text="SIMULATION: OpenAI, Ultravox and Twilio are local simulators."))
        for notice in self.startup_notices:
            self.bus.publish(notice)

    def stop_workers(self) -> None:
        for worker in self.workers:
            try:
                worker.stop()
            except Exception:
                log.exception("stopping worker %s failed", worker.name)

    def close(self) -> None:
        self.stop_workers()
        self.jobs.close()
        self.conversation.close()
        if self.owned_sims is not None:
            self.owned_sims.stop()
            self.owned_sims = None
