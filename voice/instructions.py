"""The session instructions: the default instructions file, then the
sections of docs/architecture.md ("Instructions format"), exactly so
headed, since the Realtime simulator parses them. Every name carries a
parenthesised label (the role, else "contact" or the job's number), which
that format needs."""
from __future__ import annotations

from typing import Any, Iterable

from core.config import Config, Settings
from core.records import Job

CONTACTS_HEADING = "## Contact directory"
SUMMARY_HEADING = "## Conversation so far"
UPDATES_HEADING = "## Pending call updates"


def load_default_instructions(config: Config) -> str:
    """Raises OSError when the configured file cannot be read."""
    path = config.resolve_path(config.settings.openai.instructions_file)
    return path.read_text(encoding="utf-8").strip()


def contact_lines(settings: Settings) -> list[str]:
    lines = []
    for c in settings.contacts:
        line = f"- {c.name} ({c.role or 'contact'}): {c.phone}"
        if c.timezone:
            line += f" [{c.timezone}]"
        if c.notes:
            line += f" — {c.notes}"
        lines.append(line)
    return lines


def update_line(job: Job, settings: Settings) -> str:
    name = job.contact_name
    role = next((c.role for c in settings.contacts if c.name == name and c.role), "") or job.phone_number
    label = f"{name} ({role})"
    summary = " ".join((job.final_summary_for_main_agent or "no summary").split())
    return f"- [job {job.id}] {label}, {job.overall_status}: {summary}"


def build_instructions(
    base: str, settings: Settings, summary: str | None, updates: Iterable[Job]
) -> str:
    parts = [base.strip(), CONTACTS_HEADING + "\n" + ("\n".join(contact_lines(settings)) or "(no contacts)")]
    parts.append(SUMMARY_HEADING + "\n" + ((summary or "").strip() or "(nothing yet)"))
    lines = [update_line(job, settings) for job in updates]
    parts.append(UPDATES_HEADING + "\n" + ("\n".join(lines) or "(none)"))
    return "\n\n".join(parts) + "\n"


DELIVER_HEADING = "## Tell the user now"
SAY_HEADING = "## Say exactly"


def delivery_instructions(session_instructions: str, jobs: Iterable[Job]) -> str:
    """The instructions of one delivery response: the session's, plus the
    jobs whose outcomes must be said now (each named as ``job N``)."""
    names = ", ".join(f"job {j.id} ({j.contact_name})" for j in jobs)
    return (session_instructions.rstrip("\n") + "\n\n" + DELIVER_HEADING + "\n"
            "Tell the user these call outcomes from \"Pending call updates\" now, briefly, "
            f"naming each contact: {names}.\n")


def say_instructions(text: str) -> str:
    """An out-of-band response that only says ``text``."""
    return f"Say the line under the heading below to the user, exactly and nothing else.\n\n{SAY_HEADING}\n{text}\n"
