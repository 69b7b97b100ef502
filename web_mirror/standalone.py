"""A Runtime without workers or simulators: the state of the databases
plus the bus, for ``python -m web_mirror`` and for tests."""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from core import config as config_mod
from core.actions import Actions
from core.clock import Clock, SystemClock, iso
from core.events import Bus, CallJobUpdated, Mode
from core.runtime import Runtime
from core.state import StateView
from store import ConversationStore, JobStore

log = logging.getLogger(__name__)


def build_runtime(cfg: config_mod.Config, *, clock: Clock | None = None) -> Runtime:
    clock = clock or SystemClock()
    bus = Bus(clock)
    s = cfg.settings
    jobs = JobStore(config_mod.sqlite_path(s.calling.calls_db_url, cfg.base_dir), clock=clock, bus=bus)
    conversation = ConversationStore(config_mod.sqlite_path(s.conversation.db_url, cfg.base_dir), clock=clock)
    jobs.init_db()
    conversation.init_db()
    state = StateView(jobs, conversation, cfg.mode)
    state.load()
    bus.subscribe(state)
    rt = Runtime(cfg, clock, bus, jobs, conversation, state, Actions(s, bus, jobs, state))
    bus.publish(Mode(mode=cfg.mode))
    return rt


class JobWatcher:
    """Another process (the app) writes the jobs database: publish the rows
    it changed, so the standalone mirror's browsers follow along."""

    name = "job-watcher"

    def __init__(self, runtime: Runtime, interval_s: float = 1.0) -> None:
        self.runtime = runtime
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._seen: dict[int, str] = {}

    def run(self) -> None:
        since = self.runtime.clock.now_iso()
        while not self._stop.wait(self.interval_s):
            # look a little behind: rows written in the same millisecond as the last one
            lookback = iso(datetime.fromisoformat(since.replace("Z", "+00:00")) - timedelta(seconds=2))
            try:
                rows = self.runtime.jobs.jobs_updated_since(lookback)
            except Exception:
                log.exception("reading the jobs database failed; trying again")
                continue
            for job in rows:
                if self._seen.get(job["id"]) != job["updated_at"]:
                    self._seen[job["id"]] = job["updated_at"]
                    since = max(since, job["updated_at"])
                    self.runtime.bus.publish(CallJobUpdated(job=job))

    def stop(self) -> None:
        self._stop.set()
