"""What the operator does to a campaign, from the campaigns list (the
selected one) and from its own page alike: pause, resume, cancel (asked
first) and export. The store's work runs on a thread worker; the store
publishes ``campaign_changed``, which redraws every campaign view."""
from __future__ import annotations

import io
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from textual.screen import Screen
from textual.worker import Worker, WorkerState

from calling.campaigns.export import export_campaign
from store.campaigns import Campaign, CampaignError, CampaignStatus

if TYPE_CHECKING:
    from core.runtime import Runtime

GROUP = "campaign-actions"


def export_path(folder: Path, campaign: Campaign, stamp: str) -> Path:
    """``<data_dir>/exports/campaign-<name>-<time>.csv``: the name made safe for a file."""
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", campaign.name).strip("-")[:40] or f"campaign-{campaign.id}"
    return folder / f"campaign-{name}-{stamp}.csv"


class CampaignActions(Screen):
    runtime: "Runtime"

    def current_campaign(self) -> Campaign | None:
        raise NotImplementedError

    def _chosen(self) -> Campaign | None:
        campaign = self.current_campaign()
        if campaign is None:
            self.notify("No campaign selected.", severity="warning")
        return campaign

    def _in_background(self, what: str, job: Callable[[], Any], done: Callable[[Any], None]) -> None:
        def run() -> None:
            try:
                result = job()
            except CampaignError as e:  # words for the operator: already paused, finished, …
                self.app.call_from_thread(self.notify, str(e), severity="warning")
                return
            self.app.call_from_thread(done, result)

        self.run_worker(run, name=what, group=GROUP, thread=True, exit_on_error=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == GROUP and event.state == WorkerState.ERROR:
            error = event.worker.error
            self.notify(f"Could not {event.worker.name}: {type(error).__name__}: {error}", severity="error",
                        timeout=15)

    def action_pause_campaign(self) -> None:
        campaign = self._chosen()
        if campaign is not None:
            self._in_background(f"pause campaign {campaign.name}", lambda: self.runtime.jobs.pause_campaign(campaign.name),
                                lambda c: self.notify(f"Campaign {c.name} paused: no new call starts; "
                                                      "calls in progress finish."))

    def action_resume_campaign(self) -> None:
        campaign = self._chosen()
        if campaign is not None:
            self._in_background(f"resume campaign {campaign.name}",
                                lambda: self.runtime.jobs.resume_campaign(campaign.name),
                                lambda c: self.notify(f"Campaign {c.name} resumed."))

    def action_cancel_campaign(self) -> None:
        from tui.screens.dialogs import ConfirmScreen

        campaign = self._chosen()
        if campaign is None:
            return
        if campaign.status in (CampaignStatus.CANCELLED, CampaignStatus.FINISHED):
            self.notify(f"Campaign {campaign.name} is already {campaign.status.value.lower()}.", severity="warning")
            return
        question = (f"Cancel campaign {campaign.name}? Every call of it not made yet is cancelled, "
                    "and a call in progress is hung up. This cannot be undone.")
        self.app.push_screen(ConfirmScreen(question, yes="Cancel the campaign", no="Keep it"),
                             lambda yes: self._cancel(campaign) if yes else None)

    def _cancel(self, campaign: Campaign) -> None:
        def done(result: tuple[Campaign, int]) -> None:
            c, n = result
            self.notify(f"Campaign {c.name} cancelled: {n:,} unfinished call{'s' if n != 1 else ''} cancelled.")

        self._in_background(f"cancel campaign {campaign.name}",
                            lambda: self.runtime.jobs.cancel_campaign(campaign.name), done)

    def action_export_campaign(self) -> None:
        campaign = self._chosen()
        if campaign is None:
            return
        stamp = self.runtime.clock.now().strftime("%Y%m%d-%H%M%S")
        path = export_path(self.runtime.config.data_dir / "exports", campaign, stamp)
        self._in_background(f"export campaign {campaign.name}",
                            lambda: export_campaign(self.runtime.jobs, campaign.name, "csv", path, io.StringIO()),
                            lambda _: self.notify(f"Campaign {campaign.name} exported to {path}", timeout=20))
