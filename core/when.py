"""Reading a time the operator typed: "14:30" (the next 14:30, local),
"tomorrow 9:00", "2026-01-06 09:15", "+30m", "in 2h", "in 1d"."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

_RELATIVE = re.compile(r"^(?:in\s+|\+)(\d+)\s*(m|min|mins|minutes?|h|hours?|d|days?)$")
_CLOCK = re.compile(r"^(?:(today|tomorrow)\s+)?(\d{1,2})[:.](\d{2})$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}
EXAMPLES = '"14:30", "tomorrow 9:00", "2026-01-06 09:15", "+30m" or "in 2h"'


def parse_when(text: str, now: datetime) -> datetime:
    """An aware datetime in ``now``'s zone; ValueError saying what is understood."""
    text = " ".join(text.strip().lower().split())
    local_now = now.astimezone()
    m = _RELATIVE.match(text)
    if m:
        return local_now + timedelta(**{_UNITS[m.group(2)[0]]: int(m.group(1))})
    m = _CLOCK.match(text)
    if m:
        hour, minute = int(m.group(2)), int(m.group(3))
        if hour > 23 or minute > 59:
            raise ValueError(f"{text!r} is not a time of day.")
        at = local_now.replace(hour=hour, minute=minute, second=0, microsecond=0)
        if m.group(1) == "tomorrow":
            at += timedelta(days=1)
        elif m.group(1) is None and at <= local_now:
            at += timedelta(days=1)  # the next such time
        return at
    try:
        at = datetime.fromisoformat(text.replace(" ", "T"))
    except ValueError:
        raise ValueError(f"Cannot read {text!r} as a time; write e.g. {EXAMPLES}.") from None
    return at if at.tzinfo else at.replace(tzinfo=local_now.tzinfo)
