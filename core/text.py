"""Making outside text safe to show: what a caller, a callee, the assistant or
a browser wrote is stored as written and shown with its control characters
made visible, so it can never drive the terminal (titles, clipboard,
cursor) or forge lines in a log or an export."""
from __future__ import annotations

import re

# C0 controls except tab and newline, DEL, and the C1 range (which includes
# the 8-bit CSI/OSC introducers some terminals still honour).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROL_OR_NEWLINE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


# a credential carried in a URL's query: the mirror's link, an Ultravox joinUrl
_URL_TOKEN = re.compile(r"(\btoken=)[^&\s\"'<>]+", re.IGNORECASE)


def hide_tokens(text: str) -> str:
    """``text`` with the value of every ``token=`` URL parameter hidden."""
    return _URL_TOKEN.sub(r"\1[redacted]", text)


def _show(match: re.Match[str]) -> str:
    ch = match.group()
    if ch == "\n":
        return "\u21b5"  # ↵
    if ch == "\t":
        return " "
    if ch == "\x1b":
        return "\u241b"  # ␛
    return f"\\x{ord(ch):02x}"


def visible(text: object, *, one_line: bool = False) -> str:
    """``text`` with every control character shown as a harmless symbol;
    with ``one_line``, newlines and tabs too."""
    s = "" if text is None else str(text)
    return (_CONTROL_OR_NEWLINE if one_line else _CONTROL).sub(_show, s)
