"""One simulated Twilio call leg: the Call resource the API shows, and the
TwiML it streams to."""
from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET
from dataclasses import dataclass

FINAL = ("completed", "busy", "no-answer", "failed", "canceled")


@dataclass
class Leg:
    sid: str
    account_sid: str
    to: str
    from_: str
    stream_url: str
    machine_detection: bool
    date_created: str
    status: str = "queued"
    date_updated: str = ""
    start_time: str | None = None
    end_time: str | None = None
    duration: str | None = None
    answered_by: str | None = None
    task: asyncio.Task | None = None
    answered_at: float = 0.0
    call_id: str | None = None
    status_callback: str = ""
    callback_events: frozenset = frozenset()
    sequence: int = 0
    timeout_s: float = 60.0
    async_amd: bool = False
    amd_callback: str = ""

    def as_json(self) -> dict:
        base = f"/2010-04-01/Accounts/{self.account_sid}/Calls/{self.sid}"
        return {
            "sid": self.sid, "account_sid": self.account_sid, "parent_call_sid": None,
            "date_created": self.date_created, "date_updated": self.date_updated or self.date_created,
            "to": self.to, "to_formatted": self.to, "from": self.from_, "from_formatted": self.from_,
            "phone_number_sid": "PN" + "0" * 32, "status": self.status,
            "start_time": self.start_time, "end_time": self.end_time, "duration": self.duration,
            "price": None, "price_unit": "USD", "direction": "outbound-api",
            "answered_by": self.answered_by, "api_version": "2010-04-01", "forwarded_from": None,
            "group_sid": None, "caller_name": None, "queue_time": "0", "trunk_sid": None,
            "uri": base + ".json",
            "subresource_uris": {"notifications": base + "/Notifications.json",
                                 "recordings": base + "/Recordings.json"},
        }


def twiml_stream_url(twiml: str) -> str | None:
    """The ``<Connect><Stream url=…>`` of a ``<Response>``, or None when the TwiML has none or does not parse."""
    try:
        root = ET.fromstring(twiml)
    except ET.ParseError:
        return None
    if root.tag != "Response":
        return None
    stream = root.find("./Connect/Stream")
    url = stream.get("url") if stream is not None else None
    return url or None
