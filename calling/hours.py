"""Calling hours in the callee's time zone: which zone, and when the next
opening is."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as number_timezone

from core.config import Config, parse_hours


def callee_timezone(job_timezone: str | None, phone_number: str, default: str) -> str:
    """The contact's zone, else the number's (when it has exactly one), else ``default``."""
    for name in (job_timezone, _number_zone(phone_number)):
        if name:
            try:
                ZoneInfo(name)
                return name
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return default


def _number_zone(phone_number: str) -> str | None:
    try:
        number = phonenumbers.parse(phone_number, None)
    except phonenumbers.NumberParseException:
        return None
    zones = [z for z in number_timezone.time_zones_for_number(number) if z != "Etc/Unknown"]
    if not zones:
        return None
    # several zones (a UK mobile: London, Jersey, Guernsey, Man) are one answer only
    # when their clocks agree all year; otherwise the number alone cannot say
    probes = (datetime(2026, 1, 15, 12), datetime(2026, 7, 15, 12))
    try:
        offsets = {tuple(ZoneInfo(z).utcoffset(p) for p in probes) for z in zones}
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return zones[0] if len(offsets) == 1 else None


def next_opening(now: datetime, spec: str, tz_name: str) -> datetime | None:
    """None when ``now`` is inside the calling hours, else the next opening (aware, UTC-comparable).
    "09:00-20:00" is a day window; "22:00-06:00" wraps midnight; "00:00-24:00" is always open."""
    start, end = parse_hours(spec)
    if start == end or (start == 0 and end == 24 * 60):
        return None
    local = now.astimezone(ZoneInfo(tz_name))
    minute = local.hour * 60 + local.minute
    inside = start <= minute < end if start < end else (minute >= start or minute < end)
    if inside:
        return None
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    opening = day + timedelta(minutes=start)
    if opening <= local:
        opening += timedelta(days=1)
    # re-localise so a DST change between now and the opening is honoured
    naive = opening.replace(tzinfo=None)
    return naive.replace(tzinfo=ZoneInfo(tz_name))


def effective_hours(config: Config) -> str:
    """``sim.calling_hours`` in simulate mode when set, else ``calling.calling_hours``:
    the simulated people answer at any hour, but a switch to live never inherits that."""
    s = config.settings
    if config.mode == "simulate" and s.sim.calling_hours:
        return s.sim.calling_hours
    return s.calling.calling_hours
