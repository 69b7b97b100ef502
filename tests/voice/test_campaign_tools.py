"""The assistant's campaign tools against a real job store: how a campaign
is going, and pause / resume / cancel it, named or as "it"."""
from __future__ import annotations


import pytest

from store import JobStore
from store.campaigns import CampaignStatus
from tests.voice.conftest import run_tool, simulate_settings, tool_store
from voice.tools import TOOLS, ToolBox


@pytest.fixture
def env(tmp_path):
    clock, bus, _, jobs = tool_store(tmp_path)
    yield ToolBox(jobs, simulate_settings(), bus, clock), jobs
    jobs.close()


def add(jobs: JobStore, name: str, n: int = 4) -> None:
    rows = [{"phone_number": f"+1202555{3000 + i:04d}", "contact_name": f"P{i}", "objective": "remind",
             "timezone": None} for i in range(n)]
    jobs.import_campaign({"name": name, "objective_template": "remind", "max_retries": 0}, rows)


call = run_tool


def test_the_tools_are_offered():
    names = {t["name"] for t in TOOLS}
    assert {"campaign_status", "pause_campaign", "resume_campaign", "cancel_campaign"} <= names


def test_status_by_a_few_words_then_pause_and_resume_it(env):
    box, jobs = env
    add(jobs, "December invoices")
    add(jobs, "Supplier check")
    job = jobs.claim_next("e1", 60, campaigns=jobs.runnable_campaigns())
    jobs.decide(job.id, None, owner="e1", job_fields={"overall_status": "COMPLETED_SUCCESS",
                                                        "cost_estimate_usd": 0.4})
    text = call(box, "campaign_status", campaign_name="the december invoices campaign")
    assert text.startswith("Campaign December invoices: active, 1/4 done, success 100%, cost $0.40")
    assert call(box, "pause_campaign") == "Paused campaign December invoices: no new call of it starts."
    assert jobs.campaign("December invoices").status == CampaignStatus.PAUSED
    assert call(box, "resume_campaign") == "Resumed campaign December invoices: 3 calls to go."
    assert call(box, "cancel_campaign", campaign_name="supplier") == (
        "Cancelled campaign Supplier check: 4 unfinished calls cancelled; its summary follows once any call "
        "in progress has ended.")
    assert "Supplier check: cancelled, 4/4 done" in call(box, "campaign_status")


def test_unclear_or_unknown_campaigns_are_asked_about(env):
    box, jobs = env
    assert call(box, "pause_campaign") == "pause_campaign failed: There are no campaigns yet; a list is imported " \
                                          "with python app.py campaign import."
    add(jobs, "December invoices")
    add(jobs, "December suppliers")
    assert "Which campaign?" in call(box, "pause_campaign")
    assert "Several campaigns match 'december'" in call(box, "pause_campaign", campaign_name="december")
    assert "No campaign matches 'march'" in call(box, "campaign_status", campaign_name="march")
    assert "is already paused" not in call(box, "pause_campaign", campaign_name="december invoices")
    assert "Campaign 'December invoices' is already paused." in call(box, "pause_campaign",
                                                                     campaign_name="December invoices")
    assert "must be a string" in call(box, "pause_campaign", campaign_name=3)
