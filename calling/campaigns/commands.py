"""``python app.py campaign …``: import, list, pause, resume, cancel, export.
Each returns the exit code (0 done, 1 done in part, 2 nothing done) and
prints outside text only through ``visible()``."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Iterator, TextIO

from calling.campaigns import export as export_mod
from calling.campaigns.importing import Plan, Unusable, open_plan
from calling.campaigns.rows import Callee
from calling.campaigns.template import Template, TemplateError
from calling.campaigns.words import describe
from core.clock import Clock, iso
from core.config import Settings, parse_hours
from core.text import visible
from core.when import EXAMPLES, parse_when
from store import JobStore
from store.campaigns import Campaign, CampaignError, CampaignStatus

MAX_NAME_CHARS = 100


def run(args: argparse.Namespace, jobs: JobStore, settings: Settings, clock: Clock, out: TextIO,
        err: TextIO) -> int:
    try:
        if args.campaign_command == "import":
            return import_list(args, jobs, settings, clock, out)
        if args.campaign_command == "list":
            return list_campaigns(jobs, out)
        if args.campaign_command == "export":
            return export_mod.export_campaign(jobs, args.name, args.format, Path(args.out) if args.out else None,
                                              out)
        return control(jobs, args.campaign_command, args.name, out)
    except (Unusable, CampaignError) as e:
        print(f"switchboard: campaign {args.campaign_command}: {visible(str(e))}", file=err)
        return 2


def _spec(args: argparse.Namespace, settings: Settings, clock: Clock) -> dict[str, Any]:
    return campaign_spec(name=args.name, objective=args.objective, file=args.file, window=args.window,
                         start=args.start, deadline=args.deadline, max_retries=args.max_retries,
                         concurrency=args.concurrency, settings=settings, clock=clock)


def campaign_spec(*, name: str, objective: str, file: str, window: str | None = None, start: str | None = None,
                  deadline: str | None = None, max_retries: int | None = None, concurrency: int | None = None,
                  settings: Settings, clock: Clock) -> dict[str, Any]:
    """The campaign these settings describe, for ``JobStore.import_campaign``
    (Unusable, with words for the operator, when they cannot be used)."""
    name = " ".join((name or "").split())
    if not name or len(name) > MAX_NAME_CHARS:
        raise Unusable(f"The campaign's name (--name) must be 1 to {MAX_NAME_CHARS} characters.")
    try:
        template = Template.parse(objective)
    except TemplateError as e:
        raise Unusable(str(e)) from None
    hours = None
    if window:
        try:
            start_min, end_min = parse_hours(window)
        except ValueError as e:
            raise Unusable(f"The window (--window): {e}") from None
        hours = f"{start_min // 60:02d}:{start_min % 60:02d}-{end_min // 60:02d}:{end_min % 60:02d}"
    now = clock.now()
    begins = _when(start, "The start (--start)", now) if start else None
    ends = _when(deadline, "The deadline (--deadline)", now) if deadline else None
    if ends is not None and ends <= (begins or now):
        raise Unusable(f"The deadline (--deadline) {deadline!r} is not after the {'start' if begins else 'present moment'}.")
    retries = settings.calling.max_retries if max_retries is None else max_retries
    if not 0 <= retries <= 20:
        raise Unusable("--max-retries must be between 0 and 20.")
    if concurrency is not None and concurrency < 1:
        raise Unusable("--concurrency must be at least 1.")
    return {"name": name, "objective_template": template.text, "calling_window": hours,
            "start_at": iso(begins) if begins else None, "deadline_at": iso(ends) if ends else None,
            "max_retries": retries, "max_concurrent": concurrency, "source_file": Path(file).name}


def _when(text: str, flag: str, now: Any) -> Any:
    try:
        return parse_when(text, now)
    except ValueError:
        raise Unusable(f"{flag}: cannot read {text!r} as a time; write e.g. {EXAMPLES}.") from None


def import_list(args: argparse.Namespace, jobs: JobStore, settings: Settings, clock: Clock, out: TextIO) -> int:
    spec = _spec(args, settings, clock)
    campaign = jobs.campaign(spec["name"])
    if campaign is not None and campaign.objective_template != spec["objective_template"]:
        raise Unusable(f"campaign {campaign.name!r} exists with the objective {campaign.objective_template!r}; "
                       "import into it with that objective, or choose another --name.")
    existing = jobs.campaign_phones(campaign.id) if campaign is not None else set()
    plan, rows = open_plan(Path(args.file), spec["objective_template"], jobs=jobs, settings=settings,
                           existing=existing)
    added = 0
    if args.dry_run:
        for _ in rows:
            pass
    else:
        closed = campaign is not None and campaign.status in (CampaignStatus.FINISHED, CampaignStatus.CANCELLED)
        # each row is written as it is checked; a problem found later rolls everything back
        _, added = jobs.import_campaign(spec, _refused(rows, campaign) if closed else rows)
    if plan.rows == 0:
        raise Unusable(f"{args.file}: no rows after the header.")
    _report(out, spec, campaign, plan, added, dry_run=args.dry_run)
    if not plan.good and not plan.already:
        return 2  # not one usable row: nothing written
    return 1 if plan.rejected else 0


def _refused(rows: Iterator[Callee], campaign: Campaign) -> Iterator[Callee]:
    """No new row goes into a finished or cancelled campaign."""
    for _ in rows:
        raise Unusable(f"campaign {campaign.name!r} is {campaign.status.value.lower()}; "
                       "import the new rows under another --name.")
    yield from ()


def _report(out: TextIO, spec: dict[str, Any], existed: Campaign | None, plan: Plan, added: int, *,
            dry_run: bool) -> None:
    name = visible(spec["name"])
    verb = "would import" if dry_run else "imported"
    count = len(plan.good) if dry_run else added
    parts = [f"{plan.rows} row{'s' if plan.rows != 1 else ''} read", f"{count} {verb}"]
    if plan.already:
        parts.append(f"{plan.already} already in the campaign")
    parts.append(f"{len(plan.rejected)} rejected")
    print(f"campaign {name}: " + ", ".join(parts), file=out)
    for r in plan.rejected:
        print(f"line {r.line}: {visible(r.reason)}", file=out)
    if plan.good:
        print("objectives, first three:", file=out)
        for text in plan.previews():
            print(f"  {visible(text)}", file=out)
    if existed is not None:
        differ = [f"{k} {getattr(existed, k)}" for k in ("calling_window", "start_at", "deadline_at", "max_retries",
                                                         "max_concurrent")
                  if spec[k] is not None and spec[k] != getattr(existed, k)]
        if differ:
            print("the campaign existed; its settings are kept: " + ", ".join(differ), file=out)
    if dry_run:
        print("dry run: nothing written", file=out)


def list_campaigns(jobs: JobStore, out: TextIO) -> int:
    progress = jobs.campaigns_progress()
    if not progress:
        print("no campaigns yet (python app.py campaign import FILE --name NAME --objective TEMPLATE)", file=out)
    for p in progress:
        print(describe(p), file=out)
    return 0


def control(jobs: JobStore, action: str, name: str, out: TextIO) -> int:
    if action == "pause":
        campaign = jobs.pause_campaign(name)
        print(f"campaign {visible(campaign.name)} paused: no new call starts; calls in progress finish", file=out)
    elif action == "resume":
        campaign = jobs.resume_campaign(name)
        print(f"campaign {visible(campaign.name)} resumed", file=out)
    else:
        campaign, n = jobs.cancel_campaign(name)
        print(f"campaign {visible(campaign.name)} cancelled: {n} unfinished call{'s' if n != 1 else ''} cancelled",
              file=out)
    return 0
