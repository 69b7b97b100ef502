"""Creating a call job: the one place where a request to call someone is
checked and turned into a row. The assistant's schedule tool and the
console's schedule form both use ``schedule_job``; a ValueError carries a
message fit to show the user (or the model) as-is."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import phonenumbers
from phonenumbers import timezone as phone_timezone

from calling.gate import do_not_call_reason
from core.config import Contact, Settings
from core.phone import callable_number
from core.records import ACTIVE, Job
from store.jobs import JobStore

MAX_OBJECTIVE_CHARS = 2000


def find_contact(settings: Settings, name: str) -> Contact | None:
    """A directory contact by name, case-insensitive; "Akhil (Operations)",
    a unique first word and "Akhil from Operations" all match."""
    wanted = " ".join(name.strip().lower().split())
    if not wanted:
        return None
    for contact in settings.contacts:
        full = contact.name.lower()
        labelled = f"{full} ({contact.role.lower()})" if contact.role else full
        if wanted in (full, labelled):
            return contact
    first_words = [c for c in settings.contacts if c.name.lower().split()[0] == wanted.split()[0]]
    if len(first_words) == 1 and len(wanted.split()) == 1:
        return first_words[0]
    # "Akhil from Operations": exactly one directory name among the words
    named = [c for c in settings.contacts if re.search(rf"\b{re.escape(c.name.lower())}\b", wanted)]
    return named[0] if len(named) == 1 else None


def contact_by_phone(settings: Settings, phone: str) -> Contact | None:
    return next((c for c in settings.contacts if c.phone == phone), None)


def directory_names(settings: Settings) -> str:
    return ", ".join(f"{c.name} ({c.role})" if c.role else c.name for c in settings.contacts) or "(empty)"


def timezone_for(contact: Contact | None, phone: str) -> str | None:
    """The contact's own time zone, else the number's when it has exactly one."""
    if contact is not None and contact.timezone:
        return contact.timezone
    zones = [z for z in phone_timezone.time_zones_for_number(phonenumbers.parse(phone)) if z != "Etc/Unknown"]
    return zones[0] if len(zones) == 1 else None


def checked_objective(objective: str | None) -> str:
    """The objective on one line; ValueError with a message for the operator
    when it is empty or too long."""
    objective = " ".join((objective or "").split())
    if not objective:
        raise ValueError("The call objective is empty: say what the call should achieve.")
    if len(objective) > MAX_OBJECTIVE_CHARS:
        raise ValueError(f"The call objective is too long ({len(objective)} characters, at most {MAX_OBJECTIVE_CHARS}).")
    return objective


@dataclass(frozen=True)
class Scheduled:
    """A job just created, and anything about it the requester should hear."""
    job: Job
    note: str = ""


def schedule_job(
    jobs: JobStore, settings: Settings, *, contact_name: str | None, phone_number: str | None, objective: str | None,
    request_key: str | None = None,
) -> Scheduled:
    """Validate a call request and create its job (one INSERT, so a bad
    request never leaves a row behind); ``request_key`` goes on the row
    (a request held after a failed write lands once, calling/held_requests.py)."""
    objective = checked_objective(objective)
    name = " ".join((contact_name or "").split())
    raw_phone = (phone_number or "").strip()
    note = ""
    contact = find_contact(settings, name) if name else None
    if raw_phone:
        phone = callable_number(raw_phone, settings.app.default_region)
        if contact is not None and contact.phone != phone:
            note = f"Note: {contact.name}'s directory number is {contact.phone}; this job calls {phone} as given."
        if contact is None:
            contact = contact_by_phone(settings, phone)
            if contact is not None and name and name.lower() != contact.name.lower():
                contact = None  # someone else at a directory number: keep the given name
    elif name:
        if contact is None:
            raise ValueError(
                f"No contact named {name!r} in the directory (known: {directory_names(settings)}). "
                "Ask the user for the phone number, or use a directory name."
            )
        phone = callable_number(contact.phone, settings.app.default_region)
    else:
        raise ValueError("Give a contact name from the directory or a phone number to call.")

    listed = do_not_call_reason(settings, jobs, phone)
    if listed:
        raise ValueError(f"Not scheduled: {listed}")
    display_name = contact.name if contact is not None and (not name or contact.name.lower() in name.lower()) else (name or phone)

    for job in jobs.list_jobs(limit=200, statuses=ACTIVE):
        if job.phone_number == phone and job.current_call_objective_description.lower() == objective.lower():
            raise ValueError(
                f"Job {job.id} already calls {job.contact_name} ({phone}) for this objective "
                f"and is {job.overall_status}; check its status instead of scheduling it again."
            )
    job = jobs.create_job(
        phone,
        display_name,
        objective,
        max_retries=settings.calling.max_retries,
        timezone=timezone_for(contact if contact is not None and contact.phone == phone else None, phone),
        request_key=request_key,
    )
    return Scheduled(job, note or "")
