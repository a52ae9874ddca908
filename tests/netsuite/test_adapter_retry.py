"""Retries: exponential backoff with full jitter, Retry-After honoured, bounded attempts and time."""

import pytest

from destinations.adapters import PermanentError, TemporaryError
from netsuite.retry import RetryPolicy, with_retries


class Flaky:
    """Fails with the given errors, one per call, then answers "done"."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "done"


def test_temporary_failures_are_retried_until_the_call_succeeds():
    sleeps: list[float] = []
    flaky = Flaky(TemporaryError("busy"), TemporaryError("busy"))

    outcome = with_retries(flaky, policy=RetryPolicy(), what="test", sleep=sleeps.append)

    assert (outcome.value, outcome.attempts, flaky.calls) == ("done", 3, 3)
    assert len(sleeps) == 2


def test_backoff_delays_are_full_jitter_under_a_growing_capped_ceiling():
    policy = RetryPolicy(base_delay=0.5, max_delay=3.0)

    for attempt, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 3.0), (9, 3.0)]:
        delays = [policy.delay(attempt, None) for _ in range(300)]
        assert all(0 <= delay <= ceiling for delay in delays)
        assert max(delays) > ceiling * 0.8 and min(delays) < ceiling * 0.2  # spread over the whole range


def test_a_retry_after_from_the_server_is_waited_at_least():
    sleeps: list[float] = []
    flaky = Flaky(TemporaryError("429", retry_after=4.0))

    with_retries(flaky, policy=RetryPolicy(base_delay=0.1), what="test", sleep=sleeps.append)

    assert 4.0 <= sleeps[0] <= 4.1


def test_it_gives_up_after_the_last_attempt_with_a_temporary_error_that_says_so():
    sleeps: list[float] = []
    flaky = Flaky(*[TemporaryError("NetSuite answered HTTP 503.", code="HTTP_503")] * 10)

    with pytest.raises(TemporaryError, match=r"HTTP 503.*gave up after 4 attempts") as caught:
        with_retries(flaky, policy=RetryPolicy(max_attempts=4), what="test", sleep=sleeps.append)

    assert caught.value.code == "HTTP_503"
    assert flaky.calls == 4 and len(sleeps) == 3


def test_it_gives_up_rather_than_sleep_past_the_time_budget():
    flaky = Flaky(*[TemporaryError("busy", retry_after=30.0)] * 3)

    with pytest.raises(TemporaryError, match="gave up after 1 attempt "):
        with_retries(flaky, policy=RetryPolicy(max_elapsed=10.0), what="test", sleep=lambda _: None)
    assert flaky.calls == 1


def test_permanent_failures_are_not_retried():
    flaky = Flaky(PermanentError("wrong keys"))

    with pytest.raises(PermanentError, match="wrong keys"):
        with_retries(flaky, policy=RetryPolicy(), what="test", sleep=lambda _: None)
    assert flaky.calls == 1
