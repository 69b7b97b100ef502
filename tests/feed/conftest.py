"""Several Switchboard processes on one database: headless consoles (with or
without their engine), `python -m calling` engines, one set of simulators
they all share, and what each console printed."""
from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from sim.cluster import SimCluster
from tests.calling.conftest import base_settings
from tests.calling.test_crash import engine_env
from tests.conftest import ROOT

MIRROR_TOKEN = "feed-test-token-0123456789"


@pytest.fixture
def sims() -> Iterator[SimCluster]:
    cluster = SimCluster(base_settings().settings, personas_path=ROOT / "sim" / "personas.toml",
                         ultravox_join_timeout_s=400.0).start()
    try:
        yield cluster
    finally:
        cluster.stop()


def console_env(sims: SimCluster, db_url: str, data_dir: Path, *, engine: bool) -> dict[str, str]:
    env = engine_env(sims, db_url, data_dir)
    env.update({
        "SWITCHBOARD__OPENAI__REALTIME_URL": sims.urls["openai_realtime_url"],
        "SWITCHBOARD__VOICE__AUDIO": '"off"',
        "SWITCHBOARD__CALLING__ENABLED": "true" if engine else "false",
        "SWITCHBOARD__MIRROR__PORT": "0",
        "SWITCHBOARD_MIRROR_TOKEN": MIRROR_TOKEN,
    })
    return env


class Console:
    """``app.py --headless`` in its own process: every JSON event it prints is kept."""

    def __init__(self, env: dict[str, str], data_dir: Path, name: str) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        env = dict(env, SWITCHBOARD__APP__DATA_DIR=str(data_dir))
        self.name = name
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "app.py"), "--config", str(ROOT / "config.toml"), "--mode", "live",
             "--headless"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=(data_dir / "stderr.txt").open("w"),
            text=True, env=env, cwd=data_dir)
        self.events: list[dict[str, Any]] = []
        self.arrived: list[float] = []  # time.time() when each event was read
        self._lock = threading.Lock()
        self._new = threading.Condition(self._lock)
        threading.Thread(target=self._read, daemon=True, name=f"read-{name}").start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            event = json.loads(line)  # every stdout line is one JSON event
            with self._new:
                self.events.append(event)
                self.arrived.append(time.time())
                self._new.notify_all()

    def say(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()

    def of(self, kind: str, pred: Callable[[dict[str, Any]], bool] = lambda e: True) -> list[dict[str, Any]]:
        with self._lock:
            return [e for e in self.events if e["type"] == kind and pred(e)]

    def wait_for(self, kind: str, pred: Callable[[dict[str, Any]], bool] = lambda e: True,
                 timeout: float = 60.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        with self._new:
            while True:
                for e in self.events:
                    if e["type"] == kind and pred(e):
                        return e
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    raise AssertionError(f"{self.name}: no {kind} in {timeout} s; last: {self.events[-3:]}")
                self._new.wait(min(left, 0.2))

    def mirror_url(self) -> str:
        notice = self.wait_for("notice", lambda e: e["text"].startswith("Web mirror: "))
        return notice["text"].removeprefix("Web mirror: ").split("?")[0].rstrip("/")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(5)


@pytest.fixture
def consoles() -> Iterator[Callable[..., Console]]:
    started: list[Console] = []

    def start(env: dict[str, str], data_dir: Path, name: str) -> Console:
        console = Console(env, data_dir, name)
        started.append(console)
        return console

    yield start
    for console in started:
        console.stop()


def job_state(console: Console, job_id: int) -> dict[str, Any] | None:
    """The last row of ``job_id`` the console announced."""
    rows = console.of("call_job_updated", lambda e: e["job"]["id"] == job_id)
    return rows[-1]["job"] if rows else None
