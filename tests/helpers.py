"""Small helpers every test area uses."""
from __future__ import annotations

import threading
import time
from typing import Any, Callable

from core.events import Event
from core.records import Attempt, Job


# provider limits far above what a test asks of the simulators, for tests about something else
ROOMY_LIMITS = {"max_concurrent_calls": 1000, "calls_per_second": 1000.0, "calls_per_minute": 60000.0}


def job_record(**fields: Any) -> Job:
    """A job as the store would return it, for code that only reads one."""
    row: dict[str, Any] = {"id": 1, "phone_number": "+12025550101", "contact_name": "Akhil",
                           "initial_call_objective_description": "the invoice",
                           "current_call_objective_description": "the invoice", "overall_status": "PENDING",
                           "max_retries": 3, "created_at": "2026-01-05T10:00:00.000Z",
                           "updated_at": "2026-01-05T10:00:00.000Z"}
    return Job.from_row(row | fields)


def attempt_record(**fields: Any) -> Attempt:
    """An attempt as the store would return it."""
    row: dict[str, Any] = {"id": 1, "job_id": 1, "attempt_number": 1, "started_at": "2026-01-05T10:00:00.000Z"}
    return Attempt.from_row(row | fields)


def wait_for(cond: Callable[[], Any], timeout: float = 30.0, interval: float = 0.02, what: str = "") -> Any:
    """Poll ``cond`` until truthy and return its value; fail clearly at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or cond}")
        time.sleep(interval)


class Recorder:
    """A bus subscriber that keeps every event, for assertions."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        with self._lock:
            self.events.append(event)

    def of(self, kind: str, **match: Any) -> list[Any]:
        with self._lock:
            return [e for e in self.events if e.type == kind and all(getattr(e, k) == v for k, v in match.items())]


def told_but_not_said(jobs: Any, conversation: Any) -> list[int]:
    """Jobs marked told without an assistant turn, after the call, that
    names the contact: the promise "told means said", checked."""
    turns = [t for t in conversation.get_recent_turns(100_000) if t.role == "assistant"]
    broken = []
    for job in jobs.list_jobs(limit=100_000):
        if not job.main_agent_informed_user:
            continue
        attempts = jobs.attempts_for_job(job.id)
        after = max([a.ended_at for a in attempts if a.get("ended_at")] or [job.created_at])
        name = job.contact_name.split()[0].lower()
        if not any(t.timestamp >= after and name in t.content.lower() for t in turns):
            broken.append(job.id)
    return broken
