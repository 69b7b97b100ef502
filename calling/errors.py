"""How the calling engine tells a failure worth another try (``retry.Transient``)
from one that ends the job (``CallError``, with a reason a person can read)."""
from __future__ import annotations

from email.utils import parsedate_to_datetime
from datetime import datetime, timezone

from core.retry import Transient


class CallError(Exception):
    """A permanent failure: bad number, bad credentials, a request the
    service refuses. The job ends FAILED_ERROR with ``str(self)`` as reason."""


class ProviderRefused(Exception):
    """The service refuses every request of ours until a person acts: a key it
    rejects (401/403) or an account out of credit (OpenAI ``insufficient_quota``).
    Retrying never helps; the work it blocks is paused, not failed, and the
    operator is told once. ``service`` names it; ``str(self)`` says what to fix."""

    def __init__(self, service: str, message: str) -> None:
        super().__init__(message)
        self.service = service


def retry_after_from(headers: object) -> float | None:
    """``retry-after-ms`` (OpenAI's, milliseconds) else ``Retry-After``, in seconds."""
    get = getattr(headers, "get", None)
    if get is None:
        return None
    ms = get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    return retry_after_s(get("retry-after") or get("Retry-After"))


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


def raise_for_status(service: str, status: int, headers: object, detail: str) -> None:
    """429 and 5xx are transient; 401/403 stop the work (ProviderRefused); any other 4xx is permanent."""
    if status < 400:
        return
    if status == 429:
        raise Transient(f"{service}: rate limited (429)", retry_after_from(headers))
    if status >= 500:
        raise Transient(f"{service}: server error {status}", retry_after_from(headers))
    if status in (401, 403):
        raise ProviderRefused(service, f"{service} refused our API key ({status}): {detail[:200]}; "
                                       "check the key in the environment")
    raise CallError(f"{service} rejected the request ({status}): {detail[:200]}")
