"""Each row of a call list checked on its own, as a scheduled call is: the
number callable, the name, the time zone, every template field filled, the
objective not too long."""
from __future__ import annotations

from typing import Any, Collection, Iterator
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from calling.campaigns.template import Template
from calling.scheduling import MAX_OBJECTIVE_CHARS
from core import phone as phone_mod

REQUIRED = "phone"
MAX_NAME_CHARS = 200
# (line, the row to import or None, why it was refused or None)
Callee = dict[str, Any]  # one checked row of the list, as it is written
Result = tuple[int, "Callee | None", "str | None"]
Records = list[tuple[int, list[str]]]


def checked_rows(records: Records, header: list[str], template: Template, region: str,
                 existing: Collection[str]) -> Iterator[Result]:
    """Each record checked, in order (a generator: the store writes each row
    while the next is checked)."""
    zones: dict[str, str | None] = {}
    for line, record in records:
        try:
            yield line, check_row(record, header, template, region, zones, existing), None
        except ValueError as e:  # PhoneError is a ValueError
            yield line, None, str(e)


def check_row(record: list[str], header: list[str], template: Template, region: str,
              zones: dict[str, str | None], existing: Collection[str]) -> Callee:
    if len(record) != len(header):
        missing = header[len(record):]
        if missing:
            raise ValueError(f"missing {', '.join(missing)} (the line has {len(record)} of "
                             f"{len(header)} columns).")
        raise ValueError(f"{len(record)} columns where the header has {len(header)} "
                         "(a comma inside a value needs the value in double quotes).")
    values = {name: " ".join(cell.split()) for name, cell in zip(header, record)}
    raw = values[REQUIRED]
    # a number the campaign already calls was checked when it was imported (a re-import is quick)
    phone = raw if raw in existing else phone_mod.callable_number(raw, region)  # PhoneError is a ValueError
    name = values.get("name") or phone
    if len(name) > MAX_NAME_CHARS:
        raise ValueError(f"the name is {len(name)} characters long (at most {MAX_NAME_CHARS}).")
    zone = values.get("timezone") or None
    if zone is not None:
        if zone not in zones:
            zones[zone] = _zone(zone)
        if zones[zone] is None:
            raise ValueError(f"{zone!r} is not a time zone; use a name such as America/New_York or Europe/London.")
    if "name" in values:
        values["name"] = name  # {name} is the contact's name, the number when the line has none
    empty = [f for f in template.fields if not values[f]]
    if empty:
        raise ValueError("the objective needs " + ", ".join("{" + f + "}" for f in empty)
                         + ", empty on this line.")
    objective = template.fill(values)
    if len(objective) > MAX_OBJECTIVE_CHARS:
        raise ValueError(f"the objective would be {len(objective)} characters long "
                         f"(at most {MAX_OBJECTIVE_CHARS}).")
    return {"phone_number": phone, "contact_name": name, "objective": objective, "timezone": zone}


def _zone(name: str) -> str | None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name
