"""Import a call list from the console, as ``campaign import`` does: the
file, the campaign's name and objective template (and, if wanted, its
window and deadline); Check reads and checks the whole file and shows the
report — every refused line by its number and why, three filled-in
objectives — and nothing is written until Import confirms it."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, Static
from textual.worker import Worker, WorkerState

from calling.campaigns.commands import campaign_spec
from calling.campaigns.importing import Plan, Unusable, plan_import
from store.campaigns import Campaign, CampaignError, CampaignStatus
from tui.format import safe
from tui.screens.form import FormScreen

if TYPE_CHECKING:
    from core.runtime import Runtime

REFUSALS_SHOWN = 50
GROUP = "campaign-import"


@dataclass(frozen=True)
class Checked:
    spec: dict[str, Any]
    path: Path
    plan: Plan
    existing: Campaign | None


def report(checked: Checked) -> Text:
    plan = checked.plan
    out = Text()
    head = f"{plan.rows:,} row{'s' if plan.rows != 1 else ''} read: {len(plan.good):,} to import"
    if plan.already:
        head += f", {plan.already:,} already in the campaign"
    out.append(head + f", {len(plan.rejected):,} rejected.", style="bold")
    if checked.existing is not None:
        out.append("\nCampaign ")
        out.append_text(safe(checked.existing.name, one_line=True))
        out.append(" exists: the new numbers join it, its settings are kept.")
    for r in plan.rejected[:REFUSALS_SHOWN]:
        out.append(f"\nline {r.line}: ", style="bold red")
        out.append_text(safe(r.reason, one_line=True))
    if len(plan.rejected) > REFUSALS_SHOWN:
        out.append(f"\n… and {len(plan.rejected) - REFUSALS_SHOWN:,} more refused lines "
                   "(python app.py campaign import --dry-run lists them all).", style="dim")
    if plan.good:
        out.append("\nObjectives, first three:", style="bold")
        for text in plan.previews():
            out.append("\n  ")
            out.append_text(safe(text, one_line=True))
    return out


class ImportCampaignScreen(FormScreen[tuple[Campaign, int] | None]):
    OK_BUTTON = "import-check"
    # a short terminal gets one-line fields and gives the report the rest
    VERTICAL_BREAKPOINTS = [(0, "-short"), (36, "-tall")]

    def __init__(self, runtime: "Runtime") -> None:
        super().__init__(id="import-campaign", classes="dialog")
        self.runtime = runtime
        self.checked: Checked | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="import-form"):
            yield Label("Import a call list into a campaign", id="import-title")
            yield Input(placeholder="CSV file: phone, name, timezone, the template's fields", id="import-file")
            yield Input(placeholder="Campaign name, e.g. December invoices", id="import-name")
            yield Input(placeholder="Objective, e.g. Remind {name} that invoice {invoice} is overdue",
                        id="import-objective")
            with Horizontal(id="import-optional"):
                yield Input(placeholder="Window HH:MM-HH:MM (optional)", id="import-window")
                yield Input(placeholder="Deadline, e.g. tomorrow 18:00 (optional)", id="import-deadline")
            with VerticalScroll(id="import-report-box"):
                yield Static("", id="import-report")
            with Horizontal(id="import-buttons"):
                yield Button("Check", variant="primary", id="import-check")
                yield Button("Import", variant="success", id="import-confirm", disabled=True)
                yield Button("Cancel", id="import-cancel")

    def on_mount(self) -> None:
        self.query_one("#import-file", Input).focus()
        self.query_one("#import-report-box").display = False

    def value(self, name: str) -> str:
        return self.query_one(f"#import-{name}", Input).value.strip()

    def on_input_changed(self, event: Input.Changed) -> None:
        if self.checked is not None:  # what was checked is not what is typed now
            self.checked = None
            confirm = self.query_one("#import-confirm", Button)
            confirm.disabled, confirm.label = True, "Import"

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        event.prevent_default()  # three buttons here, where a form has two
        if event.button.id == "import-check":
            self.submit()
        elif event.button.id == "import-confirm":
            self.confirm()
        else:
            self.dismiss(None)

    def submit(self) -> None:
        self.query_one("#import-check", Button).disabled = True
        self.show(Text("Reading the file…", style="dim"))
        fields = {name: self.value(name) for name in ("file", "name", "objective", "window", "deadline")}
        self._run("check the list", lambda: self.check(**fields), self.checked_now)

    def check(self, *, file: str, name: str, objective: str, window: str, deadline: str) -> Checked:
        """On a thread: the whole file read and checked; nothing written."""
        if not file:
            raise Unusable("Say which file to import: the path of a CSV file.")
        path = Path(file).expanduser()
        spec = campaign_spec(name=name, objective=objective, file=str(path), window=window or None,
                             deadline=deadline or None, settings=self.runtime.config.settings,
                             clock=self.runtime.clock)
        jobs = self.runtime.jobs
        existing = jobs.campaign(spec["name"])
        if existing is not None and existing.objective_template != spec["objective_template"]:
            raise Unusable(f"Campaign {existing.name!r} exists with the objective {existing.objective_template!r}; "
                           "import into it with that objective, or choose another name.")
        plan = plan_import(path, spec["objective_template"], jobs=jobs, settings=self.runtime.config.settings,
                           existing=jobs.campaign_phones(existing.id) if existing is not None else ())
        if plan.rows == 0:
            raise Unusable(f"{path}: no rows after the header.")
        if existing is not None and plan.good and existing.status in (CampaignStatus.FINISHED,
                                                                      CampaignStatus.CANCELLED):
            raise Unusable(f"Campaign {existing.name!r} is {existing.status.value.lower()}; "
                           "import the new rows under another name.")
        return Checked(spec, path, plan, existing)

    def checked_now(self, checked: Checked) -> None:
        self.checked = checked
        self.show(report(checked))
        self.query_one("#import-check", Button).disabled = False
        confirm = self.query_one("#import-confirm", Button)
        n = len(checked.plan.good)
        confirm.disabled = n == 0
        confirm.label = f"Import {n:,} call{'s' if n != 1 else ''}" if n else "Nothing to import"
        if n:
            confirm.focus()

    def confirm(self) -> None:
        checked = self.checked
        if checked is None or not checked.plan.good:
            return
        self.query_one("#import-confirm", Button).disabled = True
        self._run("import the list", lambda: self.runtime.jobs.import_campaign(checked.spec, checked.plan.good),
                  self.imported)

    def imported(self, result: tuple[Campaign, int]) -> None:
        campaign, added = result
        self.notify(f"Campaign {campaign.name}: {added:,} call{'s' if added != 1 else ''} imported.")
        self.dismiss(result)

    def show(self, text: Text) -> None:
        self.query_one("#import-report-box").display = True
        self.query_one("#import-report", Static).update(text)

    def refused(self, reason: str) -> None:
        self.show(Text.assemble(("Cannot import: ", "bold red"), safe(reason)))
        self.query_one("#import-check", Button).disabled = False

    def _run(self, what: str, job: Callable[[], Any], done: Callable[[Any], None]) -> None:
        def run() -> None:
            try:
                result = job()
            except (Unusable, CampaignError) as e:
                self.app.call_from_thread(self.refused, str(e))
                return
            self.app.call_from_thread(done, result)

        self.run_worker(run, name=what, group=GROUP, thread=True, exclusive=True, exit_on_error=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == GROUP and event.state == WorkerState.ERROR:
            error = event.worker.error
            self.refused(f"Could not {event.worker.name}: {type(error).__name__}: {error}")
