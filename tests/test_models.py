"""Model choices: the defaults are not announced for shutdown in the installed
openai package's types, and a configured model that is gets one warning at start."""
from __future__ import annotations

from core import config
from core.models import deprecated_models, deprecation_warnings, parse_deprecations
from core.runtime import Runtime
from tests.conftest import ROOT
from tests.helpers import Recorder

NOTES = '''
    model: str
    """The model.

    Deprecated values:

    - "old-a", "old-b": Announced shutdown date: 2027-01-20. See
      https://example.invalid for details.
    - "odd-one": Not a supported model ID. Retained for SDK compatibility.
    - "older",
      "oldest": Announced shutdown
      date: 2024-09-13.
    """
'''


def test_deprecation_notes_are_parsed_from_docstrings() -> None:
    assert parse_deprecations(NOTES) == {"old-a": "shutdown 2027-01-20", "old-b": "shutdown 2027-01-20",
                                         "odd-one": "not supported", "older": "shutdown 2024-09-13",
                                         "oldest": "shutdown 2024-09-13"}


def test_the_installed_package_lists_the_old_defaults_and_not_the_new() -> None:
    listed = deprecated_models()
    for old in ("gpt-realtime", "gpt-4.1", "gpt-4.1-mini", "gpt-4o-mini-transcribe"):
        assert listed[old].startswith("shutdown 20"), old
    defaults = config.OpenAISection()
    for role in ("realtime_model", "summary_model", "strategist_model", "transcription_model"):
        assert getattr(defaults, role) not in listed, role
    assert deprecation_warnings(config.load(ROOT / "config.toml", env={}).settings) == []


def test_a_deprecated_model_is_named_with_its_key() -> None:
    settings = config.Settings(openai={"strategist_model": "gpt-4.1", "realtime_model": "gpt-realtime"})
    lines = deprecation_warnings(settings)
    assert len(lines) == 2
    assert lines[0].startswith("openai.realtime_model = 'gpt-realtime' is deprecated") and "2027-01-20" in lines[0]
    assert lines[1].startswith("openai.strategist_model = 'gpt-4.1'")


def test_start_up_warns_once_on_the_bus(tmp_path) -> None:
    cfg = config.load(None, env={}, mode="simulate", overrides={
        "app": {"data_dir": str(tmp_path)}, "openai": {"summary_model": "gpt-4.1-mini"},
        "calling": {"calls_db_url": f"sqlite:///{tmp_path / 'c.db'}"},
        "conversation": {"db_url": f"sqlite:///{tmp_path / 'v.db'}"}})
    rt = Runtime.build(cfg, with_workers=False)
    try:
        rec = Recorder()
        rt.bus.subscribe(rec)
        rt.announce()
        (warning,) = rec.of("notice", level="warning")
        assert "openai.summary_model = 'gpt-4.1-mini' is deprecated" in warning.text
    finally:
        rt.close()
