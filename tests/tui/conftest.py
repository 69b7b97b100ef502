"""Console tests: a fixed config (tests/tui/config.toml copied into a
temporary folder, so databases land there), a FixedClock, UTC, no
animations, and helpers that wait for a condition instead of sleeping."""
from __future__ import annotations

import asyncio
import io
import shutil
import time
from contextlib import asynccontextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any, AsyncIterator, Callable

import pytest

from core import config
from core.clock import FixedClock
from core.records import Job
from core.runtime import Runtime

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
LIVE_ENV = {name: "test-secret" for name in config.LIVE_REQUIRED} | {"TWILIO_FROM_NUMBER": "+14155550123"}
SIZE = (120, 40)


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()


def load_config(folder: Path, mode: str = "live", **overrides: dict[str, Any]) -> config.Config:
    shutil.copy(HERE / "config.toml", folder / "config.toml")
    (folder / "data").mkdir(exist_ok=True)
    return config.load(folder / "config.toml", env=LIVE_ENV, mode=mode, overrides=overrides or None)


def fake_sims() -> Any:
    """The simulators' fault switchboard and personas without their servers:
    enough for the panel's look (the e2e test uses the real cluster)."""
    from sim.faults import Faults
    from sim.personas import Personas

    urls = {k: "http://127.0.0.1:9" for k in
            ("openai_realtime_url", "openai_api_base", "ultravox_base_url", "twilio_base_url", "control_url")}
    return SimpleNamespace(urls=urls, secrets=config.Secrets(), faults=Faults(),
                           personas=Personas.load(ROOT / "sim" / "personas.toml"))


@pytest.fixture
def make_runtime(tmp_path: Path):
    built: list[Runtime] = []

    def make(mode: str = "live", *, setup: Callable[[Runtime], None] | None = None,
             sims: Any = None, **overrides: dict[str, Any]) -> Runtime:
        cfg = load_config(tmp_path, mode, **overrides)
        rt = Runtime.build(cfg, clock=FixedClock(), with_workers=False, sims=sims)
        built.append(rt)
        if setup is not None:  # write rows, then reload the state view as a fresh start would
            setup(rt)
            rt.state.load()
        return rt

    yield make
    for rt in built:
        rt.close()


@pytest.fixture
def runtime(make_runtime) -> Runtime:
    return make_runtime()


def app_for(rt: Runtime, **kw: Any):
    from tui.app import SwitchboardApp

    app = SwitchboardApp(rt, start_workers=kw.pop("start_workers", False), **kw)
    app.animation_level = "none"
    return app


@asynccontextmanager
async def console(rt: Runtime, size: tuple[int, int] = SIZE, **kw: Any) -> AsyncIterator[tuple[Any, Any]]:
    """The console on ``rt`` with the job table focused, as after Escape
    (the prompt has focus at start), so single keys act on jobs."""
    app = app_for(rt, **kw)
    async with app.run_test(size=size, notifications=True) as pilot:
        await pilot.press("escape")
        yield app, pilot


def notices(app: Any) -> list[str]:
    """The notices on screen now, as the operator reads them."""
    from textual.widgets import Static

    return [" ".join(str(toast.render()).split()) for toast in app.screen.query("Toast")
            if isinstance(toast, Static)]


async def wait_for_notice(pilot: Any, app: Any, words: str, timeout: float = 10.0) -> str:
    return await wait_for(pilot, lambda: next((n for n in notices(app) if words in n), None), timeout)


async def wait_for(pilot: Any, cond: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        await pilot.pause()
        value = cond()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s: {cond}")
        await asyncio.sleep(0.02)


def finish_job(rt: Runtime, job_id: int, status: str = "COMPLETED_SUCCESS", summary: str = "Done.") -> Job:
    return rt.jobs.update_job(job_id, overall_status=status, final_summary_for_main_agent=summary)


def bulk_jobs(rt: Runtime, n: int) -> None:
    rt.jobs.create_jobs(
        {"phone_number": f"+1202555{i % 10000:04d}", "contact_name": f"Contact {i}",
         "objective": f"Objective number {i}", "main_agent_informed_user": True,
         "overall_status": ("PENDING", "RETRY_SCHEDULED", "COMPLETED_SUCCESS", "FAILED_ERROR")[i % 4]}
        for i in range(n))


def plain(widget: Any) -> str:
    """What a Static shows, as plain text."""
    from rich.console import Console

    console = Console(width=200, file=io.StringIO(), record=True, color_system=None)
    console.print(widget.content)
    return console.export_text()
