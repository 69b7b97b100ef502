"""Reading a call list into a campaign. The file is CSV with a header row:
``phone`` required, ``name`` and ``timezone`` optional, every other column a
field of the objective template. Each row is checked as a scheduled call is
(the number callable and not on the do-not-call list, the name, the time
zone), a number already on an earlier line is refused, and every refusal
names its line. Nothing is written until the whole file was read and the
template checked; the good rows then go in one transaction (store).

A file that cannot be read, or arguments that cannot be used, raise
``Unusable``: nothing is written."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Collection, Iterator

from calling.campaigns.rows import REQUIRED, Callee, checked_rows
from calling.campaigns.template import Template, TemplateError
from calling.gate import configured_do_not_call, do_not_call_reason
from core.config import Settings
from store import JobStore

MAX_FILE_BYTES = 200 * 1024 * 1024


class Unusable(ValueError):
    """The file or the arguments cannot be used; nothing is written."""


@dataclass(frozen=True)
class Rejected:
    line: int
    reason: str


@dataclass
class Plan:
    """What an import would do: the rows to add, those the campaign already
    has, the rejected lines, three filled-in objectives to show."""
    columns: list[str]
    good: list[Callee] = field(default_factory=list)
    already: int = 0
    rejected: list[Rejected] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return len(self.good) + self.already + len(self.rejected)

    def previews(self, n: int = 3) -> list[str]:
        return [row["objective"] for row in self.good[:n]]


def read_text(path: Path) -> str:
    """The file as text: UTF-8, with or without a byte-order mark; anything
    else is Unusable with what to do about it."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise Unusable(f"{path}: larger than {MAX_FILE_BYTES // 2**20} MiB; split the list.")
        data = path.read_bytes()
    except FileNotFoundError:
        raise Unusable(f"{path}: no such file.") from None
    except IsADirectoryError:
        raise Unusable(f"{path}: is a folder, not a CSV file.") from None
    except OSError as e:
        raise Unusable(f"{path}: cannot be read ({e.strerror or e}).") from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise Unusable(f"{path}: is UTF-16 text; save it as CSV UTF-8 (comma-delimited) and import again.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        raise Unusable(f"{path}: is not UTF-8 text (byte 0x{data[e.start]:02x} on line {line}); "
                       "save it as CSV UTF-8 (comma-delimited) and import again.") from None


def _records(text: str) -> tuple[list[str], int, list[tuple[int, list[str]]]]:
    """The header (names lower-cased), its line, and each later record with
    the line it starts on (a quoted field may span lines); blank lines skipped."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    header_line = 0
    records: list[tuple[int, list[str]]] = []
    line = 1
    try:
        for record in reader:
            start, line = line, reader.line_num + 1
            if not record or all(not cell.strip() for cell in record):
                continue
            if header is None:
                header, header_line = [c.strip().lower() for c in record], start
            else:
                records.append((start, record))
    except csv.Error as e:
        raise Unusable(f"line {reader.line_num}: not valid CSV ({e}); a quote inside a quoted field is "
                       "written twice (\"\").") from None
    if header is None:
        raise Unusable("the file is empty: it needs a header row with a phone column, then one row per callee.")
    return header, header_line, records


def _check_header(header: list[str], header_line: int, template: Template) -> None:
    for i, name in enumerate(header, start=1):
        if not name:
            raise Unusable(f"line {header_line}: column {i} of the header has no name.")
    dupes = sorted({n for n in header if header.count(n) > 1})
    if dupes:
        raise Unusable(f"line {header_line}: the header names {', '.join(dupes)} more than once.")
    if REQUIRED not in header:
        raise Unusable(f"line {header_line}: the header has no phone column (it has: {', '.join(header)}).")
    unknown = [f for f in template.fields if f not in header]
    if unknown:
        raise Unusable("the objective template uses " + ", ".join("{" + f + "}" for f in unknown)
                       + f", which the file has no column for (columns: {', '.join(header)}).")


def plan_import(path: Path, template_text: str, *, jobs: JobStore, settings: Settings,
                existing: Collection[str] = ()) -> Plan:
    """Read and check the whole file; nothing is written."""
    plan, rows = open_plan(path, template_text, jobs=jobs, settings=settings, existing=existing)
    for _ in rows:
        pass
    return plan


def open_plan(path: Path, template_text: str, *, jobs: JobStore, settings: Settings,
              existing: Collection[str] = ()) -> tuple[Plan, Iterator[Callee]]:
    """The file read and its header and the template checked (Unusable
    otherwise), and the rows to import, checked one by one as they are
    taken — so a store can write each while the next is checked; the Plan
    fills in as they go. ``existing``: the numbers the campaign already calls."""
    try:
        template = Template.parse(template_text)
    except TemplateError as e:
        raise Unusable(str(e)) from None
    header, header_line, records = _records(read_text(path))
    _check_header(header, header_line, template)
    plan = Plan(columns=header)
    return plan, _checked(plan, records, header, template, jobs, settings, existing)


def _checked(plan: Plan, records: list[tuple[int, list[str]]], header: list[str], template: Template,
             jobs: JobStore, settings: Settings, existing: Collection[str]) -> Iterator[Callee]:
    listed = configured_do_not_call(settings) | {e.phone_number for e in jobs.list_do_not_call()}
    seen: dict[str, int] = {}
    for line, row, reason in checked_rows(records, header, template, settings.app.default_region, existing):
        if row is None:
            plan.rejected.append(Rejected(line, reason or "rejected"))
            continue
        phone = row["phone_number"]
        if phone in listed:
            plan.rejected.append(Rejected(line, do_not_call_reason(settings, jobs, phone) or f"{phone} is listed"))
        elif phone in seen:
            plan.rejected.append(Rejected(line, f"{phone} is already on line {seen[phone]}."))
        elif phone in existing:
            seen[phone] = line
            plan.already += 1
        else:
            seen[phone] = line
            plan.good.append(row)
            yield row
