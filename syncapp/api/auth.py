"""Who is calling the API: `Authorization: Bearer <key>`, and how often a key may call.

Rate limiting is a fixed window per key, counted in Django's cache (Redis in production, where the
increment is atomic across processes; the file cache when embedded, where it is approximate).
"""

import math
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja.security import HttpBearer

from syncapp.api.models import ApiKey
from syncapp.api.services import api_key_for_token, api_key_record_use

RATE_LIMIT_WINDOW_SECONDS = 60
DEFAULT_RATE_LIMIT_PER_MINUTE = 600


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many requests: retry after {retry_after} s.")
        self.retry_after = retry_after


def rate_limit_per_minute() -> int:
    return getattr(settings, "SYNCAPP_API_RATE_LIMIT_PER_MINUTE", DEFAULT_RATE_LIMIT_PER_MINUTE)


def check_rate(key: ApiKey, *, now: float | None = None) -> None:
    """Count one request of `key`; raise RateLimited once the window's allowance is spent."""
    now = time.time() if now is None else now
    window_start = int(now // RATE_LIMIT_WINDOW_SECONDS) * RATE_LIMIT_WINDOW_SECONDS
    # The prefix, not the row id: ids can be reused after a rollback, prefixes are random.
    counter = f"api-rate:{key.prefix}:{window_start}"
    cache.add(counter, 0, timeout=RATE_LIMIT_WINDOW_SECONDS * 2)
    try:
        count = cache.incr(counter)
    except ValueError:  # the counter expired between add and incr
        cache.set(counter, 1, timeout=RATE_LIMIT_WINDOW_SECONDS * 2)
        count = 1
    if count > rate_limit_per_minute():
        raise RateLimited(max(1, math.ceil(window_start + RATE_LIMIT_WINDOW_SECONDS - now)))


class ApiKeyAuth(HttpBearer):
    """Resolve the bearer token to an active API key; its workspace scopes everything after."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        key = api_key_for_token(token)
        if key is None:
            return None
        check_rate(key)
        api_key_record_use(api_key=key)
        request.workspace = key.workspace
        return key
