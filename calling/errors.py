"""How the calling engine tells a failure worth another try (``retry.Transient``)
from one that ends the job (``CallError``, with a reason a person can read)."""
from __future__ import annotations

from email.utils import parsedate_to_datetime
from datetime import datetime, timezone

from core.retry import Transient


class CallError(Exception):
    """A permanent failure: bad number, bad credentials, a request the
    service refuses. The job ends FAILED_ERROR with ``str(self)`` as reason."""


def retry_after_s(value: str | None) -> float | None:
    """Retry-After as seconds (delta-seconds or an HTTP date), None if absent/garbled."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def raise_for_status(service: str, status: int, retry_after: str | None, detail: str) -> None:
    """429 and 5xx are transient; any other 4xx is permanent."""
    if status < 400:
        return
    if status == 429:
        raise Transient(f"{service}: rate limited (429)", retry_after_s(retry_after))
    if status >= 500:
        raise Transient(f"{service}: server error {status}", retry_after_s(retry_after))
    if status in (401, 403):
        raise CallError(f"{service} refused our credentials ({status}): {detail[:200]}")
    raise CallError(f"{service} rejected the request ({status}): {detail[:200]}")
