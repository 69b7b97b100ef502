"""Which OpenAI model ids are announced for shutdown, read from the installed
``openai`` package's own types (their docstrings list "Deprecated values:"
with an "Announced shutdown date"), so upgrading the package updates the
list. The files are read as text: nothing is imported, so start-up stays fast."""
from __future__ import annotations

import functools
import importlib.util
import re
from pathlib import Path

from core import config as config_mod

# the types whose docstrings carry the deprecation notes for each model role (inside the package)
SOURCES = (
    "types/realtime/realtime_session_create_request.py",
    "types/realtime/audio_transcription.py",
    "types/shared/chat_model.py",
)
ROLES = (
    ("openai.realtime_model", "realtime_model"),
    ("openai.transcription_model", "transcription_model"),
    ("openai.summary_model", "summary_model"),
    ("openai.strategist_model", "strategist_model"),
)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NAME = re.compile(r'"([^"]+)"')


def parse_deprecations(text: str) -> dict[str, str]:
    """Model id -> what the notes say (``shutdown 2027-01-20`` or ``not supported``)."""
    found: dict[str, str] = {}
    for block in re.findall(r"Deprecated values:(.*?)(?:\"\"\"|$)", text, flags=re.S):
        bullets: list[str] = []
        for line in block.splitlines():
            line = line.strip()
            if line.startswith("- "):
                bullets.append(line[2:])
            elif line and bullets:
                bullets[-1] += " " + line
        for bullet in bullets:
            names, _, rest = bullet.partition(": ")
            date = _DATE.search(rest)
            note = f"shutdown {date.group(0)}" if date else ("not supported" if "not a supported" in rest.lower()
                                                              else "deprecated")
            for name in _NAME.findall(names):
                found[name] = note
    return found


@functools.cache
def deprecated_models() -> dict[str, str]:
    """Every deprecated model id the installed package lists (empty if it lists none)."""
    found: dict[str, str] = {}
    spec = importlib.util.find_spec("openai")  # locates the package without importing it (that takes ~1 s)
    if spec is None or not spec.submodule_search_locations:
        return found
    root = Path(list(spec.submodule_search_locations)[0])
    for source in SOURCES:
        path = root / source
        if path.exists():
            found.update(parse_deprecations(path.read_text(encoding="utf-8")))
    return found


def deprecation_warnings(settings: config_mod.Settings) -> list[str]:
    """One line per configured model the package lists as deprecated."""
    listed = deprecated_models()
    lines = []
    for key, field in ROLES:
        model = getattr(settings.openai, field)
        note = listed.get(model)
        if note:
            lines.append(f"{key} = {model!r} is deprecated in the installed openai package ({note}); "
                         "choose a current model")
    return lines
