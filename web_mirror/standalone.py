"""A Runtime without workers or simulators: the state of the databases
plus the bus, for ``python -m web_mirror`` and for tests."""
from __future__ import annotations

import logging

from core import config as config_mod
from core.actions import Actions
from core.campaign_watch import CampaignWatch
from core.clock import Clock, SystemClock
from core.events import Bus, Mode
from core.runtime import Runtime
from core.state import StateView
from store import ConversationStore, JobStore
from store.feed import ChangeFeed

log = logging.getLogger(__name__)


def build_runtime(cfg: config_mod.Config, *, clock: Clock | None = None) -> Runtime:
    clock = clock or SystemClock()
    bus = Bus(clock)
    s = cfg.settings
    jobs = JobStore(cfg.db_url(s.calling.calls_db_url), clock=clock, bus=bus)
    conversation = ConversationStore(cfg.db_url(s.conversation.db_url), clock=clock)
    jobs.init_db()
    conversation.init_db()
    state = StateView(jobs, conversation, cfg.mode)
    state.load()
    bus.subscribe(state)
    rt = Runtime(cfg, clock, bus, jobs, conversation, state, Actions(s, bus, jobs, state))
    # what the app and the engines change reaches the mirror's browsers
    rt.feed = ChangeFeed(jobs, bus, known=state.snapshot(jobs_limit=10**9).jobs)
    rt.campaigns = CampaignWatch(jobs, bus)
    rt.workers = [rt.feed, rt.campaigns]
    bus.publish(Mode(mode=cfg.mode))
    return rt
