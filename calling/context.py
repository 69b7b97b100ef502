"""What every part of one engine shares: the clients, the store, the bus,
the clock, the retry policy, the stop flag and the engine's identity."""
from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, TypeVar

from core import config as config_mod
from calling.pacing import Pacing
from calling.strategist import Strategist
from calling.twilio_leg import TwilioLeg
from calling.ultravox_client import UltravoxClient
from core.clock import Clock
from core.events import Bus, Notice
from core.retry import RetryPolicy
from store import JobStore

T = TypeVar("T")
log = logging.getLogger("calling")


class Leases:
    """The leases this engine holds. A keeper thread renews them; a job whose
    renewal failed is marked lost and its run stops touching it."""

    def __init__(self, jobs: JobStore, owner: str, lease_s: float) -> None:
        self.jobs, self.owner, self.lease_s = jobs, owner, lease_s
        self._lock = threading.Lock()
        self._held: set[int] = set()
        self._lost: set[int] = set()

    def track(self, job_id: int) -> None:
        with self._lock:
            self._held.add(job_id)
            self._lost.discard(job_id)

    def untrack(self, job_id: int) -> None:
        with self._lock:
            self._held.discard(job_id)
            self._lost.discard(job_id)

    def check(self, job_id: int) -> None:
        with self._lock:
            lost = job_id in self._lost
        if lost:
            raise LeaseLost(f"job {job_id}: lease lost (another engine may hold it now)")

    def renew(self, job_id: int) -> None:
        """Renew now (before creating a call: the create then happens well inside the lease)."""
        self.check(job_id)
        if not self.jobs.renew_lease(job_id, self.owner, self.lease_s):
            with self._lock:
                self._lost.add(job_id)
            raise LeaseLost(f"job {job_id}: lease lost (another engine may hold it now)")

    def renew_all(self) -> None:
        with self._lock:
            held = sorted(self._held - self._lost)
        for job_id in held:
            try:
                ok = self.jobs.renew_lease(job_id, self.owner, self.lease_s)
            except Exception:
                log.exception("renewing the lease of job %s failed", job_id)
                continue
            if not ok:
                with self._lock:
                    if job_id in self._held:
                        self._lost.add(job_id)


@dataclass
class Context:
    config: config_mod.Config
    bus: Bus
    jobs: JobStore
    clock: Clock
    engine_id: str
    ultravox: UltravoxClient
    twilio: TwilioLeg
    strategist: Strategist
    policy: RetryPolicy
    leases: Leases
    pacing: Pacing
    install_id: str = ""
    stop: threading.Event = field(default_factory=threading.Event)
    _paused_until: dict[str, float] = field(default_factory=dict)
    _pause_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def calling(self) -> config_mod.CallingSection:
        return self.config.settings.calling

    def pause(self, service: str, reason: str, seconds: float) -> bool:
        """Stop taking new work for ``seconds`` because ``service`` refuses us; the
        operator is told once per pause (returns True when this call told them)."""
        until = self.clock.monotonic() + seconds
        with self._pause_lock:
            told = self._paused_until.get(service, 0.0) > self.clock.monotonic()
            self._paused_until[service] = max(until, self._paused_until.get(service, 0.0))
        if not told:
            minutes = seconds / 60.0
            log.error("%s; calls paused for %.0f min", reason, minutes)
            self.bus.publish(Notice(level="error", text=f"{reason}. Calls are paused, nothing is retried or "
                                                         f"counted; they resume on their own in {minutes:.0f} min "
                                                         "(restart after changing a key)."))
        return not told

    def paused(self) -> bool:
        now = self.clock.monotonic()
        with self._pause_lock:
            return any(until > now for until in self._paused_until.values())

    def retrying(self, what: str, fn: Callable[[], T]) -> T:
        """One request under the one retry policy; raises Stopped, Transient (tries used up) or CallError."""

        def on_retry(n: int, exc: BaseException, wait: float) -> None:
            log.warning("%s: try %d failed (%s); again in %.2fs", what, n, exc, wait)

        return self.policy.call(fn, clock=self.clock, stop=self.stop, on_retry=on_retry)



def install_id(data_dir: Path) -> str:
    """This installation's id, made once and kept in the data folder: it goes
    into every call's metadata, so calls of another install (or of an earlier
    database) sharing the account are never taken for ours."""
    path = Path(data_dir) / "install_id"
    try:
        value = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        value = ""
    if not value:
        value = uuid.uuid4().hex
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(value + "\n", encoding="utf-8")
    return value


class LeaseLost(Exception):
    """Another engine holds this job now (our lease ran out): stop touching it."""
