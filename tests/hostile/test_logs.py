"""The log: created for the operator only (0600, also after rotation), one
line a record with control characters visible, and no secret in it."""
from __future__ import annotations

import logging
import stat

import pytest

from core import logs
from tests.hostile.attacks import RAW_CONTROLS, TITLE


@pytest.fixture
def logged(tmp_path):
    logs.setup(tmp_path, "INFO")
    yield tmp_path
    root = logging.getLogger()
    for h in list(root.handlers) + list(logging.getLogger("calling").handlers):
        h.close()
        (root if h in root.handlers else logging.getLogger("calling")).removeHandler(h)


def test_log_files_are_private_and_stay_private_after_rotation(logged):
    for name in ("switchboard.log", "calling_agent.log"):
        assert stat.S_IMODE((logged / name).stat().st_mode) == 0o600
    handler = next(h for h in logging.getLogger().handlers if hasattr(h, "doRollover"))
    logging.getLogger("x").warning("before rotation")
    handler.doRollover()
    logging.getLogger("x").warning("after rotation")
    for path in logged.glob("switchboard.log*"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_a_message_cannot_forge_a_line_or_reach_the_terminal(logged):
    logging.getLogger("x").warning("name %s", f"Akhil\n2026-01-01 ERROR forged {TITLE}")
    text = (logged / "switchboard.log").read_text(encoding="utf-8")
    assert text.count("\n") == 1 and "forged" in text
    assert not any(c in text for c in RAW_CONTROLS)


def test_known_secrets_never_reach_the_log(logged):
    logs.redact_secrets("sk-secret-0123456789", "tok")
    logging.getLogger("x").warning("key %s in %s", "sk-secret-0123456789", "a token")
    text = (logged / "switchboard.log").read_text(encoding="utf-8")
    assert "sk-secret-0123456789" not in text and "[redacted]" in text and "a token" in text


def test_url_tokens_never_reach_the_log(logged):
    logging.getLogger("x").warning("joining wss://h/calls/1/twilio?token=abcDEF123&x=sim and /?token=zzz")
    text = (logged / "switchboard.log").read_text(encoding="utf-8")
    assert "abcDEF123" not in text and "zzz" not in text and "x=sim" in text

