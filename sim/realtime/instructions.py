"""The sections of the session's instructions the simulated model reads
(fixed in docs/architecture.md): ``## Contact directory``, ``## Pending call
updates``, and for one response ``## Tell the user now`` or ``## Say exactly``."""
from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Contact:
    name: str
    role: str
    phone: str
    tz: str = ""
    notes: str = ""


@dataclass(frozen=True)
class PendingUpdate:
    job: int
    name: str
    role: str
    status: str
    summary: str


_CONTACT = re.compile(
    r"^-\s+(?P<name>.+?)\s+\((?P<role>[^)]*)\):\s+(?P<phone>\+?[\d\s().-]+?)"
    r"(?:\s+\[(?P<tz>[^\]]*)\])?(?:\s+[—–-]+\s+(?P<notes>.*))?\s*$")
_PENDING = re.compile(
    r"^-\s+\[job\s+(?P<job>\d+)\]\s+(?P<name>.+?)\s+\((?P<role>[^)]*)\),\s+(?P<status>[A-Za-z_-]+):\s+(?P<summary>.*)$")


def _section(text: str, heading: str) -> list[str]:
    lines, inside = [], False
    for line in (text or "").splitlines():
        if line.startswith("## "):
            inside = line[3:].strip().lower() == heading.lower()
            continue
        if inside and line.strip():
            lines.append(line.strip())
    return lines


def parse_directory(instructions: str) -> list[Contact]:
    out = []
    for line in _section(instructions, "Contact directory"):
        m = _CONTACT.match(line)
        if m:
            out.append(Contact(m["name"].strip(), m["role"].strip(), normalise_phone(m["phone"]),
                               (m["tz"] or "").strip(), (m["notes"] or "").strip()))
    return out


def told_now(instructions: str) -> set[int] | None:
    """The jobs a delivery response must tell (``## Tell the user now``), or None."""
    lines = _section(instructions, "Tell the user now")
    if not lines:
        return None
    return {int(n) for n in re.findall(r"\bjob\s+(\d+)", " ".join(lines))}


def say_exactly(instructions: str) -> str | None:
    lines = _section(instructions, "Say exactly")
    return " ".join(lines) if lines else None


def parse_pending(instructions: str) -> list[PendingUpdate]:
    out = []
    for line in _section(instructions, "Pending call updates"):
        m = _PENDING.match(line)
        if m:
            out.append(PendingUpdate(int(m["job"]), m["name"].strip(), m["role"].strip(), m["status"],
                                     m["summary"].strip()))
    return out


def normalise_phone(raw: str) -> str:
    digits = re.sub(r"\D", "", raw)
    if raw.strip().startswith("+"):
        return "+" + digits
    if len(digits) == 10:
        return "+1" + digits
    return "+" + digits
