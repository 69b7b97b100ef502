"""The one retry policy: for Ultravox, Twilio, the OpenAI HTTP API and the
Realtime reconnect loop alike.

Transient failures (429 honouring Retry-After, 5xx, timeouts, dropped
connections) are retried with exponential backoff and full jitter, capped;
anything else is permanent and raised at once. Callers say which is which
by raising ``Transient`` (optionally with ``retry_after``) or anything else.
"""
from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import Callable, TypeVar

import tenacity

from core.clock import Clock, SystemClock

T = TypeVar("T")


class Transient(Exception):
    """A failure worth another try."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Stopped(Exception):
    """The caller's stop event was set while waiting to retry."""


@dataclass
class RetryPolicy:
    attempts: int = 5
    base_s: float = 0.5
    cap_s: float = 10.0
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Wait before try ``attempt + 1`` (attempt counts from 1)."""
        if retry_after is not None:
            return min(max(0.0, retry_after), self.cap_s * 6)
        ceiling = min(self.cap_s, self.base_s * (2 ** (attempt - 1)))
        # "equal jitter": never less than half the step, so a storm spreads out
        return ceiling / 2 + self.rng.uniform(0, ceiling / 2)

    def call(
        self,
        fn: Callable[[], T],
        *,
        clock: Clock | None = None,
        stop: threading.Event | None = None,
        on_retry: Callable[[int, BaseException, float], None] | None = None,
    ) -> T:
        clock = clock or SystemClock()

        def wait(state: tenacity.RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            return self.delay(state.attempt_number, getattr(exc, "retry_after", None))

        def sleep(seconds: float) -> None:
            if clock.sleep(seconds, stop):
                raise Stopped()

        def before_sleep(state: tenacity.RetryCallState) -> None:
            if on_retry and state.outcome and state.next_action:
                on_retry(state.attempt_number, state.outcome.exception(), state.next_action.sleep)

        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.attempts),
            wait=wait,
            sleep=sleep,
            retry=tenacity.retry_if_exception_type(Transient),
            before_sleep=before_sleep,
            reraise=True,
        )
        return retrying(fn)
