"""What the assistant put on screen (events.Display): markdown, a table or
a series ``{"labels": [...], "values": [...]}`` drawn as a text bar chart."""
from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.markdown import Markdown
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from core.events import Display
from core.events import Display
from core.text import visible

BAR_WIDTH = 30


def series_chart(content: dict[str, Any]) -> RenderableType:
    labels = [visible(x, one_line=True) for x in content.get("labels", [])]
    values = [float(v) for v in content.get("values", [])]
    if not values:
        return Text("(no data)", style="dim")
    top = max(max(values), 0.0) or 1.0
    label_w = max((len(label) for label in labels), default=0)
    lines = []
    for i, value in enumerate(values):
        label = labels[i] if i < len(labels) else str(i + 1)
        bar = "█" * max(0, round(BAR_WIDTH * value / top))
        line = Text(f"{label:>{label_w}} ")
        line.append(bar, style="cyan")
        line.append(f" {value:g}")
        lines.append(line)
    return Group(*lines)


def data_table(content: dict[str, Any]) -> RenderableType:
    table = Table(expand=False)
    for column in content.get("columns", []):
        table.add_column(Text(visible(column, one_line=True)))
    for row in content.get("rows", []):
        table.add_row(*(Text(visible(cell)) for cell in row))
    return table


def render_display(kind: str, content: Any) -> RenderableType:
    try:
        if kind == "markdown":
            return Markdown(visible(content or ""))
        if kind == "table" and isinstance(content, dict):
            return data_table(content)
        if kind == "series" and isinstance(content, dict):
            return series_chart(content)
    except (TypeError, ValueError) as e:
        return Text(f"Cannot show this {kind}: {e}", style="red")
    return Text(f"Cannot show a {kind!r} display", style="red")


class DisplayPane(Static):
    """What the assistant last put on screen; hidden until there is something."""

    def show_content(self, shown: Display | None) -> None:
        """Draw ``shown`` (a Display event's kind, title and content), or
        hide the pane when the assistant has shown nothing."""
        self.display = shown is not None
        if shown is None:
            return
        self.border_title = Text(visible(shown.title or "Display", one_line=True))
        self.update(render_display(shown.kind, shown.content))
