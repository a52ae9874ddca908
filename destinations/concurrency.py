"""A cap on requests in flight to one destination account, shared by every thread and process.

A NetSuite account's concurrency limit is shared by every integration on it, and syncapp may run
many worker processes on many machines. `limiter_for(key=..., limit=...)` returns a limiter whose
`slot()` context manager admits at most `limit` holders of the same key at once:

- with REDIS_URL set, across machines: a Redis sorted set of leases (token -> expiry, on Redis's own
  clock), taken and freed by Lua scripts. A daemon thread renews the leases this process holds, so
  that a process killed while holding one frees it within LEASE_SECONDS;
- embedded, across the processes of one machine: `limit` lock files; holding a slot is holding a
  flock on one of them, which the kernel frees if the process dies.

Waiting is polling with a short, jittered, growing sleep: slots are held for the length of one HTTP
request, so a waiter finds one free within a few milliseconds of its release.
"""

import fcntl
import hashlib
import logging
import os
import random
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

LEASE_SECONDS = 30.0
POLL_MIN_SECONDS = 0.002
POLL_MAX_SECONDS = 0.05


class SlotTimeout(TimeoutError):
    """No slot came free within the time the caller was willing to wait."""


def _backoff_sleeps() -> Iterator[float]:
    delay = POLL_MIN_SECONDS
    while True:
        yield random.uniform(delay / 2, delay)
        delay = min(delay * 2, POLL_MAX_SECONDS)


def _deadline_passed(deadline: float | None) -> bool:
    return deadline is not None and time.monotonic() >= deadline


class _Limiter:
    def __init__(self, key: str, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"a concurrency limit must be at least 1, got {limit}")
        self.key = key
        self.limit = limit

    def _try_acquire(self) -> object | None:
        raise NotImplementedError

    def _release(self, handle: object) -> None:
        raise NotImplementedError

    @contextmanager
    def slot(self, timeout: float | None = None) -> Iterator[None]:
        """Hold one of the key's slots for the body of the `with` block."""
        deadline = None if timeout is None else time.monotonic() + timeout
        sleeps = _backoff_sleeps()
        while (handle := self._try_acquire()) is None:
            if _deadline_passed(deadline):
                raise SlotTimeout(f"no free slot for {self.key} (limit {self.limit}) within {timeout:g}s")
            time.sleep(next(sleeps))
        try:
            yield
        finally:
            self._release(handle)


class FileLimiter(_Limiter):
    """Slots are lock files under the data directory; one machine, any number of processes."""

    def __init__(self, key: str, limit: int, directory: Path) -> None:
        super().__init__(key, limit)
        directory.mkdir(parents=True, exist_ok=True)
        stem = hashlib.sha256(key.encode()).hexdigest()[:16]
        self.paths = [directory / f"{stem}.{index}.lock" for index in range(limit)]

    def _try_acquire(self) -> int | None:
        start = random.randrange(self.limit)  # spread holders over the files
        for path in self.paths[start:] + self.paths[:start]:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            return fd
        return None

    def _release(self, handle: int) -> None:
        fcntl.flock(handle, fcntl.LOCK_UN)
        os.close(handle)


# KEYS[1] = the slot set; ARGV = limit, lease ms, token. Expired leases are dropped first, so that a
# crashed holder's slot comes back by itself. Redis's clock is the only clock used.
_ACQUIRE = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now_ms + tonumber(ARGV[2]), ARGV[3])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 2)
  return 1
end
return 0
"""
_RENEW = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local renewed = 0
for i = 1, #ARGV - 1 do
  if redis.call('ZADD', KEYS[1], 'XX', 'CH', now_ms + tonumber(ARGV[#ARGV]), ARGV[i]) == 1 then
    renewed = renewed + 1
  end
end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[#ARGV]) * 2)
return renewed
"""


class RedisLimiter(_Limiter):
    """Slots are leases in a Redis sorted set; any number of processes on any number of machines."""

    def __init__(self, key: str, limit: int, client, lease_seconds: float = LEASE_SECONDS) -> None:
        super().__init__(key, limit)
        self.client = client
        self.redis_key = f"{settings.LIMITER_KEY_PREFIX}:slots:{key}"
        self.lease_ms = int(lease_seconds * 1000)
        self._acquire = client.register_script(_ACQUIRE)
        self._renew = client.register_script(_RENEW)
        self._held: set[str] = set()
        self._held_lock = threading.Lock()
        self._renewer: threading.Thread | None = None

    def _try_acquire(self) -> str | None:
        token = uuid.uuid4().hex
        if not self._acquire(keys=[self.redis_key], args=[self.limit, self.lease_ms, token]):
            return None
        with self._held_lock:
            self._held.add(token)
            self._start_renewer()
        return token

    def _release(self, token: str) -> None:
        with self._held_lock:
            self._held.discard(token)
        self.client.zrem(self.redis_key, token)

    def _start_renewer(self) -> None:
        if self._renewer is None or not self._renewer.is_alive():
            self._renewer = threading.Thread(target=self._renew_forever, name=f"lease-{self.key}")
            self._renewer.daemon = True
            self._renewer.start()

    def _renew_forever(self) -> None:
        """1. Every third of a lease, 2. extend every lease this process holds, 3. stop when none is held."""
        while True:
            time.sleep(self.lease_ms / 3000)
            with self._held_lock:
                tokens = list(self._held)
                if not tokens:
                    self._renewer = None
                    return
            try:
                self._renew(keys=[self.redis_key], args=[*tokens, self.lease_ms])
            except redis.RedisError as exc:  # the next round retries; a lease outlives two misses
                logger.warning("could not renew %d lease(s) for %s: %s", len(tokens), self.key, exc)


@cache
def _redis_client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


@cache
def limiter_for(*, key: str, limit: int) -> _Limiter:
    """The process-wide limiter for `key` (one per key and limit, shared by all threads)."""
    if settings.REDIS_URL:
        return RedisLimiter(key, limit, _redis_client(settings.REDIS_URL))
    return FileLimiter(key, limit, Path(settings.DATA_DIR) / "locks")
