"""Command-palette entries: every console binding, by its title (the
binding's tooltip: one list for keys and palette), and in simulation every
simulator fault."""
from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Callable

from textual.command import DiscoveryHit, Hit, Hits, Provider

from tui.bindings import APP_BINDINGS, MAIN_BINDINGS, key_of
from tui.widgets.sim_panel import FAULTS, SimPanel

if TYPE_CHECKING:
    from tui.app import SwitchboardApp


class SwitchboardCommands(Provider):
    def commands(self) -> list[tuple[str, Callable[[], object], str]]:
        app: "SwitchboardApp" = self.app  # type: ignore[assignment]
        found: list[tuple[str, Callable[[], object], str]] = []
        if app.runtime is None:  # still starting: only what the app itself does
            owners: list[tuple[object, list]] = [(app, APP_BINDINGS)]
        else:
            owners = [(app.main_screen, MAIN_BINDINGS), (app, APP_BINDINGS)]
            from tui.screens.campaign_actions import CampaignActions

            if isinstance(self.screen, CampaignActions):  # opened over a campaign view: its keys first
                owners.insert(0, (self.screen, self.screen.BINDINGS))
        for owner, bindings in owners:
            for binding in bindings:
                if binding.id == "quit_ctrl_c":
                    continue  # the same action as quit
                title = binding.tooltip or binding.description
                key = key_of(binding, app.keys) if binding.id in app.keys else (binding.key_display or binding.key)
                found.append((title, partial(app.call_later, getattr(owner, f"action_{binding.action}")),
                              f"key: {key}"))
        panel = next(iter(app.main_screen.query(SimPanel)), None) if app.runtime is not None else None
        if panel is not None:
            for fault_id, (label, _) in FAULTS.items():
                found.append((f"Simulator: {label}", partial(panel.apply_fault, fault_id), "SIMULATION fault switch"))
        return found

    async def discover(self) -> Hits:
        for title, run, text in self.commands():
            yield DiscoveryHit(title, run, help=text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, run, text in self.commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), run, help=text)
