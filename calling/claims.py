"""Checks made after a job is claimed and before a new attempt is dialed:
the do-not-call list, calling hours in the callee's zone, the per-number
cooldown. A job outside hours or in cooldown is deferred (it keeps its
PENDING / RETRY_SCHEDULED status, with next_retry_at at the next opening
and the reason in last_error), never failed."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from core import config as config_mod
from calling.hours import callee_timezone, next_opening
from store import JobStore


@dataclass(frozen=True)
class Verdict:
    kind: str  # "dial" | "defer" | "refuse"
    reason: str = ""
    until: datetime | None = None


DIAL = Verdict("dial")


def _parse(ts: str) -> datetime:
    return datetime.fromisoformat(ts.replace("Z", "+00:00"))


def _normalised(numbers: list[str]) -> set[str]:
    out = set()
    for raw in numbers:
        try:
            out.add(config_mod.normalise_phone(raw, None))
        except ValueError:
            out.add(raw.strip())
    return out


class Gate:
    def __init__(self, settings: config_mod.CallingSection, jobs: JobStore) -> None:
        self.settings = settings
        self.jobs = jobs
        self.do_not_call = _normalised(list(settings.do_not_call))

    def check(self, job: dict[str, Any], now: datetime) -> Verdict:
        phone = job["phone_number"]
        if phone in self.do_not_call:
            return Verdict("refuse", f"{phone} is on the do-not-call list")
        zone = callee_timezone(job.get("timezone"), phone, self.settings.default_timezone)
        opening = next_opening(now, self.settings.calling_hours, zone)
        if opening is not None:
            return Verdict("defer", f"outside calling hours {self.settings.calling_hours} in {zone}", opening)
        if self.settings.cooldown_min > 0:
            last = self.jobs.last_call_started(phone, exclude_job=job["id"])
            if last:
                free_at = _parse(last) + timedelta(minutes=self.settings.cooldown_min)
                if free_at > now:
                    return Verdict("defer", f"{phone} was called less than {self.settings.cooldown_min:g} min ago",
                                   free_at)
        return DIAL
