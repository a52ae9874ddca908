"""Retrying temporary failures: exponential backoff with full jitter, honouring Retry-After.

Only `TemporaryError` is retried. The caller's function does one attempt and holds the account's
concurrency slot only while its request is in flight, so the sleeps here never hold a slot.
"""

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from destinations.adapters import TemporaryError

logger = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    base_delay: float = 0.25  # seconds; attempt n waits up to base_delay * 2**(n-1), capped
    max_delay: float = 20.0
    max_elapsed: float = 180.0  # give up rather than sleep past this many seconds since the first try

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Full jitter (uniform in [0, capped exponential]); never less than the server's Retry-After."""
        if retry_after is not None:
            # Spread the waiters a little past the moment the server named, not all at once on it.
            return retry_after + random.uniform(0, self.base_delay)
        return random.uniform(0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))


@dataclass(frozen=True)
class Outcome(Generic[T]):
    value: T
    attempts: int


def with_retries(
    attempt: Callable[[], T],
    *,
    policy: RetryPolicy,
    what: str,
    sleep: Callable[[float], None] = time.sleep,
) -> Outcome[T]:
    """Call `attempt` until it returns or raises something other than TemporaryError.

    When attempts or time run out, the last TemporaryError is raised again, its message saying how
    many attempts were made. `what` names the request in log lines (never secrets).
    """
    started = time.monotonic()
    for number in range(1, policy.max_attempts + 1):
        try:
            return Outcome(attempt(), number)
        except TemporaryError as error:
            wait = policy.delay(number, error.retry_after)
            elapsed = time.monotonic() - started
            if number == policy.max_attempts or elapsed + wait > policy.max_elapsed:
                raise _gave_up(error, number, elapsed) from error
            logger.warning(
                "NetSuite %s failed (attempt %d of %d, retrying in %.2fs): %s",
                what,
                number,
                policy.max_attempts,
                wait,
                error.message,
            )
            sleep(wait)
    raise AssertionError("unreachable: the loop returns or raises")


def _gave_up(error: TemporaryError, attempts: int, elapsed: float) -> TemporaryError:
    noun = "attempt" if attempts == 1 else "attempts"
    return TemporaryError(
        f"{error.message} (gave up after {attempts} {noun} in {elapsed:.0f}s; try again later)",
        code=error.code,
        retry_after=error.retry_after,
    )
