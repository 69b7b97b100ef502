"""The last gate before a new attempt is dialled, and the checks every way
of scheduling shares: the number in its one form, never a number no one may
dial (emergency, short code, premium rate), never a number on the
do-not-call list (the config's merged with the persistent table), calling
hours in the callee's zone, the per-number cooldown. A job outside hours or
in cooldown is deferred (it keeps its PENDING / RETRY_SCHEDULED status, with
next_retry_at at the next opening and the reason in last_error), never
failed."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime, timedelta
from typing import Any

from calling.hours import callee_timezone, effective_hours, next_opening
from core.clock import iso
from core import config as config_mod
from core import phone as phone_mod
from core.records import Job
from store import JobStore


@dataclass(frozen=True)
class Verdict:
    kind: str  # "dial" | "defer" | "refuse" | "decline"
    reason: str = ""
    until: datetime | None = None


DIAL = Verdict("dial")
LIFT_HINT = "to call it anyway, lift it in the console's do-not-call list (key b, or ctrl+p)"


def configured_do_not_call(settings: config_mod.Settings) -> frozenset[str]:
    """``calling.do_not_call`` in its one form (the loader has already refused what is not a number)."""
    return _normalised(tuple(settings.calling.do_not_call), settings.app.default_region)


@lru_cache(maxsize=8)
def _normalised(entries: tuple[str, ...], region: str) -> frozenset[str]:
    return frozenset(phone_mod.normalise(raw, region) for raw in entries)


def do_not_call_reason(settings: config_mod.Settings, jobs: JobStore, phone: str) -> str | None:
    """Why ``phone`` (E.164) is on the do-not-call list and how to lift it, or None."""
    if phone in configured_do_not_call(settings):
        return (f"{phone} is on the do-not-call list in the config (calling.do_not_call); "
                "remove it there to call this number.")
    entry = jobs.do_not_call_entry(phone)
    if entry is None:
        return None
    job = f"job {entry.job_id}; " if entry.job_id else ""
    # why and how to lift it come first: a reader (or a model) may stop at the first sentence
    return f"{phone} is on the do-not-call list since {entry.added_at[:10]} ({job}{LIFT_HINT}): {entry.reason}"


class Gate:
    def __init__(self, config: config_mod.Config, jobs: JobStore) -> None:
        self.settings = config.settings
        self.calling = config.settings.calling
        self.hours = effective_hours(config)
        self.jobs = jobs

    def check(self, job: Job, now: datetime) -> Verdict:
        try:
            phone = phone_mod.callable_number(job.phone_number, self.settings.app.default_region)
        except phone_mod.PhoneError as e:
            return Verdict("refuse", str(e))
        listed = do_not_call_reason(self.settings, self.jobs, phone)
        if listed:
            return Verdict("decline", listed)
        zone = callee_timezone(job.timezone, phone, self.calling.default_timezone)
        opening = next_opening(now, self.hours, zone)
        if opening is not None:
            return Verdict("defer", f"outside calling hours {self.hours} in {zone}", opening)
        window = self._campaign_window(job)
        if window is not None:
            opening = next_opening(now, window[1], zone)
            if opening is not None:
                reason = f"outside campaign {window[0]}'s window {window[1]} in {zone}"
                # the campaign's other callees listed in this zone wait for the same opening: defer
                # them at once rather than claim each only to defer it
                self.jobs.defer_campaign_zone(job.campaign_id, zone, iso(opening), f"deferred: {reason}",
                                              but=job.id)
                return Verdict("defer", reason, opening)
        if self.calling.cooldown_min > 0:
            last = self.jobs.last_call_started(phone, exclude_job=job.id)
            if last:
                free_at = _parse(last) + timedelta(minutes=self.calling.cooldown_min)
                if free_at > now:
                    return Verdict("defer", f"{phone} was called less than {self.calling.cooldown_min:g} min ago",
                                   free_at)
        return DIAL


    def _campaign_window(self, job: Job) -> tuple[str, str] | None:
        """(campaign name, "HH:MM-HH:MM") when the job's campaign has a window."""
        if job.campaign_id is None:
            return None
        campaign = self.jobs.campaign_by_id(job.campaign_id)
        if campaign is None or not campaign.calling_window:
            return None
        return campaign.name, campaign.calling_window


def _parse(ts: str) -> datetime:
    return datetime.fromisoformat(ts.replace("Z", "+00:00"))
