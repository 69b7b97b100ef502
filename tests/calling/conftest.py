"""Calling-engine fixtures: the simulators, a config pointed at them, a job
store, an engine on a thread, and wait-for-condition helpers."""
from __future__ import annotations

import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest

from core import config as config_mod
from calling.engine import CallingEngine
from core.events import Bus
from sim.cluster import SimCluster
from core.records import FINISHED, Job
from store import JobStore
from tests.conftest import ROOT
from tests.helpers import ROOMY_LIMITS, wait_for, Recorder

SPEED = 40.0


def base_settings(speed: float = SPEED) -> config_mod.Config:
    cfg = config_mod.load(None, env={}, mode="simulate", overrides={"sim": {"speed": speed}, "calling": ROOMY_LIMITS})
    return config_mod.Config(settings=cfg.settings, secrets=cfg.secrets, mode=cfg.mode, base_dir=ROOT)


def engine_config(sims: SimCluster, data_dir: Path, **calling: Any) -> config_mod.Config:
    cfg = base_settings(sims.speed)
    urls = sims.urls
    calling_defaults = {"poll_interval_s": 0.05, "calling_hours": "00:00-24:00", "lease_s": 10.0,
                        "max_retries": 1}
    calling_defaults.update(calling)
    return config_mod.with_sections(
        cfg, secrets=sims.secrets,
        app={"data_dir": str(data_dir)},
        openai={"api_base": urls["openai_api_base"], "request_timeout_s": 5.0},
        ultravox={"base_url": urls["ultravox_base_url"]},
        twilio={"base_url": urls["twilio_base_url"]},
        calling=calling_defaults,
    )


@pytest.fixture
def sims() -> Iterator[SimCluster]:
    cluster = SimCluster(base_settings().settings, personas_path=ROOT / "sim" / "personas.toml",
                         # a join window of at least ~10 s real, as a live call's window outlasts a leg being
                         # retried, not the ~1 s that the requested 50 sim-s would be at this speed
                         ultravox_max_concurrent=50, ultravox_min_join_real_s=10.0).start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def bus() -> Bus:
    return Bus()


@pytest.fixture
def recorder(bus: Bus) -> Recorder:
    rec = Recorder()
    bus.subscribe(rec)
    return rec


@pytest.fixture
def jobs(sqlite_url: str, bus: Bus) -> Iterator[JobStore]:
    store = JobStore(sqlite_url, bus=bus)
    store.init_db()
    yield store
    store.close()


@contextmanager
def running(engine: CallingEngine) -> Iterator[CallingEngine]:
    errors: list[BaseException] = []

    def body() -> None:
        try:
            engine.run()
        except BaseException as e:  # surfaced to the test below
            errors.append(e)

    thread = threading.Thread(target=body, name="engine-under-test", daemon=True)
    thread.start()
    try:
        yield engine
    finally:
        engine.stop()
        thread.join(30)
        assert not thread.is_alive(), "engine did not stop"
        assert not errors, errors


def finished(jobs: JobStore, job_id: int) -> dict[str, Any] | None:
    job = jobs.get_job(job_id)
    return job if job and job.overall_status in FINISHED else None


def drive(jobs: JobStore, job_id: int, timeout: float = 60.0) -> Job:
    """Wait for the job to finish, bringing any scheduled retry forward (the operator's "retry now")."""
    def step() -> dict[str, Any] | None:
        job = jobs.get_job(job_id)
        if job and job.overall_status == "RETRY_SCHEDULED":
            jobs.retry_now(job_id)
        return finished(jobs, job_id)

    return wait_for(step, timeout, what=f"job {job_id} to finish")


def _token(url: str) -> str:
    from urllib.parse import parse_qs, urlsplit

    return parse_qs(urlsplit(url).query).get("token", [""])[0]


class Dials:
    """Counts what the simulators were asked to create, per attempt id: Ultravox
    calls (by their metadata) and Twilio legs (by the joinUrl they stream to).
    Observes the sims' phone network, so it also sees calls later deleted."""

    def __init__(self, sims: SimCluster) -> None:
        self.sims = sims
        self.attempt_by_token: dict[str, str] = {}
        self.ultravox_calls: list[str] = []
        self.calls: list[Any] = []  # the simulators' call objects, as created
        original = sims.network.register

        def register(token: str, call: Any) -> None:
            attempt_id = call.metadata.get("attempt_id", "?")
            self.attempt_by_token[token] = attempt_id
            self.ultravox_calls.append(attempt_id)
            self.calls.append(call)
            original(token, call)

        sims.network.register = register  # type: ignore[method-assign]

    def ultravox(self) -> dict[str, int]:
        from collections import Counter

        return dict(Counter(self.ultravox_calls))

    def ultravox_dialed(self) -> dict[str, int]:
        """Ultravox calls per attempt that a phone leg streamed to (a call whose join
        window passed before it was dialed is replaced, never dialed)."""
        from collections import Counter

        assert self.sims.twilio is not None
        dialed = {_token(leg.stream_url) for leg in self.sims.twilio.legs.values()}
        return dict(Counter(self.attempt_by_token[t] for t in self.attempt_by_token if t in dialed))

    def undialed_unjoined_only(self) -> bool:
        """Every Ultravox call no leg streamed to ended unjoined (a replaced, never-dialed call)."""
        assert self.sims.twilio is not None
        dialed = {_token(leg.stream_url) for leg in self.sims.twilio.legs.values()}
        return all(c.end_reason in (None, "unjoined") and c.joined is None
                   for t, c in zip(self.attempt_by_token, self.calls) if t not in dialed)

    def twilio(self) -> dict[str, int]:
        from collections import Counter

        assert self.sims.twilio is not None
        legs = list(self.sims.twilio.legs.values())
        return dict(Counter(self.attempt_by_token.get(_token(leg.stream_url), "?") for leg in legs))


@pytest.fixture
def dials(sims: SimCluster) -> Dials:
    return Dials(sims)


@pytest.fixture
def pg_calls_url() -> Iterator[str]:
    """A PostgreSQL database of this test's own, dropped after."""
    from tests.conftest import fresh_pg_database

    with fresh_pg_database("calling") as url:
        yield url
