"""The assistant's campaign tools: how a campaign is going, and pause,
resume or cancel it. A campaign is named by a few words of its name; with
none ("pause it"), the one this conversation last spoke of, else the only
one still running. Every answer is words for the user."""
from __future__ import annotations

import re
from typing import Any, Callable

from calling.campaigns.words import describe
from store import JobStore
from store.campaigns import Campaign, CampaignStatus
from voice.protocol import ToolArgs, ToolSchema

_NAME = {"campaign_name": {"type": "string", "description": "a few words of the campaign's name, e.g. "
                           "\"December invoices\"; empty for the campaign just talked about"}}
CAMPAIGN_TOOLS: list[ToolSchema] = [
    {
        "type": "function",
        "name": "campaign_status",
        "description": "How a calling campaign (a whole list of calls imported at once) is going: calls done, "
        "success rate, cost so far, time left. With no name: every campaign.",
        "parameters": {"type": "object", "properties": _NAME},
    },
    {
        "type": "function",
        "name": "pause_campaign",
        "description": "Pause a calling campaign: no new call of it starts; calls in progress finish. "
        "With no name: the campaign just talked about.",
        "parameters": {"type": "object", "properties": _NAME},
    },
    {
        "type": "function",
        "name": "resume_campaign",
        "description": "Resume a paused calling campaign. With no name: the campaign just talked about.",
        "parameters": {"type": "object", "properties": _NAME},
    },
    {
        "type": "function",
        "name": "cancel_campaign",
        "description": "Cancel a calling campaign: every call of it not finished is cancelled (a call in "
        "progress is hung up). Only when the user clearly asks to cancel or stop it for good.",
        "parameters": {"type": "object", "properties": _NAME},
    },
]
_FILLER = re.compile(r"\b(?:the|my|our|campaigns?|calls?|list)\b", re.I)


class WhichCampaign(ValueError):
    """Which campaign is meant is unclear; the message is the tool result."""


class CampaignTools:
    def __init__(self, jobs: JobStore) -> None:
        self.jobs = jobs
        self._last: int | None = None  # the campaign this conversation last spoke of

    def handlers(self) -> dict[str, Callable[[ToolArgs], str]]:
        return {"campaign_status": self.status, "pause_campaign": self.pause,
                "resume_campaign": self.resume, "cancel_campaign": self.cancel}

    def _find(self, args: ToolArgs, *, open_only: bool = True) -> Campaign:
        raw = args.get("campaign_name")
        if raw is not None and not isinstance(raw, str):
            raise WhichCampaign("campaign_name must be a string.")
        words = " ".join(_FILLER.sub(" ", raw or "").split()).lower()
        campaigns = self.jobs.list_campaigns()
        if not campaigns:
            raise WhichCampaign("There are no campaigns yet; a list is imported with "
                                "python app.py campaign import.")
        names = ", ".join(c.name for c in campaigns[:10])
        if words:
            exact = [c for c in campaigns if c.name.lower() == words]
            found = exact or [c for c in campaigns if all(w in c.name.lower() for w in words.split())]
            if len(found) > 1:
                raise WhichCampaign(f"Several campaigns match {raw!r}: {', '.join(c.name for c in found)}. "
                                    "Ask the user which one.")
            if not found:
                raise WhichCampaign(f"No campaign matches {raw!r} (campaigns: {names}).")
            campaign = found[0]
        else:
            last = next((c for c in campaigns if c.id == self._last), None)
            running = [c for c in campaigns if c.status in (CampaignStatus.ACTIVE, CampaignStatus.PAUSED)]
            if last is not None:
                campaign = last
            elif len(running) == 1 or (not open_only and len(campaigns) == 1):
                campaign = running[0] if running else campaigns[0]
            else:
                raise WhichCampaign(f"Which campaign? Campaigns: {names}. Ask the user which one.")
        self._last = campaign.id
        return campaign

    def status(self, args: ToolArgs) -> str:
        raw = args.get("campaign_name")
        if raw is None or (isinstance(raw, str) and not _FILLER.sub(" ", raw).strip()):
            progress = self.jobs.campaigns_progress()
            if not progress:
                return "There are no campaigns yet."
            if len(progress) == 1:
                self._last = progress[0].campaign.id
            return "Campaigns: " + "; ".join(describe(p) for p in progress) + "."
        campaign = self._find(args, open_only=False)
        progress = self.jobs.campaign_progress(campaign.id)
        assert progress is not None
        return f"Campaign {describe(progress)}."

    def pause(self, args: ToolArgs) -> str:
        campaign = self.jobs.pause_campaign(self._find(args).name)
        progress = self.jobs.campaign_progress(campaign.id)
        flying = progress.counts.get("PROCESSING", 0) if progress else 0
        return (f"Paused campaign {campaign.name}: no new call of it starts"
                + (f"; {flying} call{'s' if flying != 1 else ''} in progress will finish." if flying else "."))

    def resume(self, args: ToolArgs) -> str:
        campaign = self.jobs.resume_campaign(self._find(args).name)
        progress = self.jobs.campaign_progress(campaign.id)
        left = progress.total - progress.finished if progress else 0
        return f"Resumed campaign {campaign.name}: {left} call{'s' if left != 1 else ''} to go."

    def cancel(self, args: ToolArgs) -> str:
        campaign, n = self.jobs.cancel_campaign(self._find(args).name)
        return (f"Cancelled campaign {campaign.name}: {n} unfinished call{'s' if n != 1 else ''} cancelled; "
                "its summary follows once any call in progress has ended.")

