"""Command-palette entries for every console action (and, in simulation,
every simulator fault)."""
from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Callable

from textual.command import DiscoveryHit, Hit, Hits, Provider

from tui.widgets.sim_panel import FAULTS

if TYPE_CHECKING:
    from tui.app import SwitchboardApp

MAIN_ACTIONS = (
    ("Schedule a call", "schedule_call", "Open the schedule-a-call form"),
    ("Dismiss the update badge", "dismiss_badge", "Dismiss the focused (or first) update badge"),
    ("Dismiss all update badges", "dismiss_all", "Dismiss every update badge"),
    ("Have the assistant tell me the updates", "share_updates", "Give the assistant the finished calls' outcomes now"),
    ("Cancel the selected job", "cancel_job", "Cancel the job under the cursor"),
    ("Retry the selected job now", "retry_now", "Bring the selected job's retry forward"),
    ("Open job detail", "job_detail", "Attempts, transcripts and reasoning of the selected job"),
    ("Do-not-call list", "do_not_call_list", "Numbers never dialled: see why, lift a listing"),
    ("Mute / unmute the microphone", "toggle_mute", "Toggle the microphone"),
    ("Toggle text / voice", "toggle_text_mode", "Switch between typed text and voice"),
    ("Load earlier transcript", "load_earlier", "Scroll back into the conversation history"),
    ("Type to the assistant", "focus_input", "Focus the input line"),
)


class SwitchboardCommands(Provider):
    def commands(self) -> list[tuple[str, Callable[[], object], str]]:
        app: "SwitchboardApp" = self.app  # type: ignore[assignment]
        main = app.main_screen
        found: list[tuple[str, Callable[[], object], str]] = [
            (title, partial(app.call_later, getattr(main, f"action_{action}")), text)
            for title, action, text in MAIN_ACTIONS
        ]
        found.append(("Help: keys", app.action_help, "Show every key binding"))
        found.append(("Quit", app.action_quit, "Stop the workers and quit"))
        sims = app.runtime.sims
        if sims is not None:
            for label, apply in FAULTS.values():
                found.append((f"Simulator: {label}", partial(app.apply_fault, label, apply),
                              "SIMULATION fault switch"))
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
