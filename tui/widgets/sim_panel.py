"""Simulation only: who the simulated people are and switches that break
the simulated services, so an operator can watch the app recover."""
from __future__ import annotations

from typing import Any, Callable

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Grid, Horizontal, Vertical
from textual.widgets import Button, Static

from core.text import visible

# button id -> (label, what it does to sim.faults.Faults)
FAULTS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "fault-drop": ("Drop socket", lambda f: f.trigger("drop")),
    "fault-half-open": ("Half-open", lambda f: f.trigger("half_open")),
    "fault-expire": ("Expire session", lambda f: f.trigger("expire")),
    "fault-refuse": ("Refuse 5 s", lambda f: f.refuse_for(5)),
    "fault-ultravox": ("Ultravox 503×3", lambda f: f.fail_next("ultravox", 503, 3)),
    "fault-twilio": ("Twilio 429×2", lambda f: f.fail_next("twilio", 429, 2)),
    "fault-delay": ("Delay 2 s", lambda f: f.set_delay(2.0)),
    "fault-reset": ("Reset faults", lambda f: f.reset()),
}


def persona_table(personas: Any) -> Table:
    table = Table(box=None, padding=(0, 1), show_edge=False)
    table.add_column("Person")
    table.add_column("Phone")
    table.add_column("Behaves")
    for p in personas:
        table.add_row(Text(visible(p.name, one_line=True)), Text(visible(p.phone, one_line=True)),
                      Text(visible(p.behaviour, one_line=True)))
    return table


class SimPanel(Vertical):
    def __init__(self, sims: Any, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.sims = sims
        self.border_title = "SIMULATION"

    def compose(self) -> ComposeResult:
        with Horizontal(id="sim-body"):
            yield Static(persona_table(self.sims.personas), id="sim-personas")
            with Grid(id="sim-faults"):
                for button_id, (label, _) in FAULTS.items():
                    # out of the Tab order: a stray Enter must never inject a fault
                    button = Button(label, id=button_id, compact=True)
                    button.can_focus = False
                    yield button
        yield Static("", id="sim-status")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id in FAULTS:
            event.stop()
            self.apply_fault(event.button.id)

    def apply_fault(self, fault_id: str) -> None:
        """Break (or mend) the simulated services, say so, and show what is
        broken now: the one way a fault is applied, by button or palette."""
        label, apply = FAULTS[fault_id]
        apply(self.sims.faults)
        self.notify(f"Simulator fault: {label}", title="SIMULATION")
        self.query_one("#sim-status", Static).update(describe(self.sims.faults.snapshot()))


def describe(snapshot: dict[str, Any]) -> str:
    parts = []
    if snapshot.get("refusing_for_s"):
        parts.append(f"refusing {snapshot['refusing_for_s']:.0f}s")
    if snapshot.get("delay_s"):
        parts.append(f"delay {snapshot['delay_s']:g}s")
    for service, (status, left) in (snapshot.get("http_failures") or {}).items():
        parts.append(f"{service} {status}×{left}")
    return "faults: " + (", ".join(parts) if parts else "none")
