"""The demo as an operator lives it, in simulation: the sample list imported
from the command line, the assistant asked how the campaign goes, told to
pause it and resume it, and — when the campaign ends — one spoken summary
instead of a badge per callee."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from store import JobStore
from store.campaigns import CampaignStatus
from tests.conftest import ROOT
from tests.test_headless import Headless, fast_config

TEMPLATE = "Remind {name} that invoice {invoice} for {amount} was due on {due}, and ask when it will be paid"


@pytest.mark.timeout(300)
def test_the_sample_campaign_by_voice(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SWITCHBOARD", "OPENAI", "TWILIO", "ULTRAVOX"))}
    imported = subprocess.run(
        [sys.executable, str(ROOT / "app.py"), "--config", str(fast_config(tmp_path)), "campaign", "import",
         str(ROOT / "sim" / "campaign_sample.csv"), "--name", "December invoices", "--objective", TEMPLATE,
         "--max-retries", "0", "--concurrency", "1"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert "10 rows read, 10 imported, 0 rejected" in imported.stdout
    jobs = JobStore(f"sqlite:///{tmp_path / 'data' / 'scheduled_calls.db'}")
    app = Headless(tmp_path)
    try:
        app.wait_for(lambda e: e["type"] == "connection_status" and e["status"] == "connected")
        app.say("How is the December invoices campaign going?")
        status = app.wait_for(lambda e: e["type"] == "tool_called" and e["name"] == "campaign_status")
        assert status["result"].startswith("Campaign December invoices: active, ")
        app.wait_for(lambda e: e["type"] == "transcript_turn" and e["role"] == "assistant"
                     and "December invoices: active" in e["text"])
        app.say("Pause it.")
        app.wait_for(lambda e: e["type"] == "transcript_turn" and e["role"] == "assistant"
                     and e["text"].startswith("Paused campaign December invoices"))
        assert jobs.campaign("December invoices").status == CampaignStatus.PAUSED
        app.say("Resume it.")
        app.wait_for(lambda e: e["type"] == "transcript_turn" and e["role"] == "assistant"
                     and e["text"].startswith("Resumed campaign December invoices"))
        told = app.wait_for(lambda e: e["type"] == "transcript_turn" and e["role"] == "assistant"
                            and "December invoices campaign" in e["text"] and "All 10 callees done" in e["text"],
                            timeout=180)
        summary_id = jobs.campaign("December invoices").summary_job_id
        app.wait_for(lambda e: e["type"] == "call_job_updated" and e["job"]["id"] == summary_id
                     and e["job"]["main_agent_informed_user"], timeout=30)
    finally:
        code, _ = app.stop()
        jobs.close()
    assert code == 0
    updates = [e for e in app.seen if e["type"] == "new_call_update_available"]
    assert [u["contact_name"] for u in updates] == ["December invoices campaign"], updates
    assert "succeeded" in told["text"]
