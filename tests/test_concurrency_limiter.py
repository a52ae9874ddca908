"""The per-account limiter never admits more holders than its limit, across threads and processes."""

import multiprocessing
import os
import signal
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from destinations.concurrency import FileLimiter, RedisLimiter, SlotTimeout

LIMIT = 3


def make_limiter(kind: str, key: str, where: str, lease: float = 30.0):
    if kind == "redis":
        return RedisLimiter(key, LIMIT, redis.Redis.from_url(where), lease_seconds=lease)
    from pathlib import Path

    return FileLimiter(key, LIMIT, Path(where))


def hammer(kind: str, key: str, where: str, current, highest, rounds: int) -> None:
    """One process: several threads take slots, count the holders, and let go."""
    limiter = make_limiter(kind, key, where)

    def one_round(_):
        with limiter.slot(timeout=60):
            with current.get_lock():
                current.value += 1
                highest.value = max(highest.value, current.value)
            time.sleep(0.005)
            with current.get_lock():
                current.value -= 1

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(one_round, range(rounds)))


@pytest.fixture(params=["file", "redis"])
def backend(request, tmp_path):
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        return "redis", url
    return "file", str(tmp_path / "locks")


def test_many_processes_and_threads_never_exceed_the_limit(backend):
    kind, where = backend
    key = f"test-{uuid.uuid4().hex}"
    context = multiprocessing.get_context("fork")
    current, highest = context.Value("i", 0), context.Value("i", 0)
    arguments = (kind, key, where, current, highest, 40)
    processes = [context.Process(target=hammer, args=arguments) for _ in range(4)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
        assert process.exitcode == 0
    assert highest.value == LIMIT  # reached, and never passed


def hold_forever(kind: str, key: str, where: str, ready) -> None:
    limiter = make_limiter(kind, key, where, lease=1.0)
    with limiter.slot():
        ready.set()
        time.sleep(600)


def test_a_killed_holder_gives_its_slot_back(backend):
    kind, where = backend
    key = f"test-{uuid.uuid4().hex}"
    context = multiprocessing.get_context("fork")
    events = [context.Event() for _ in range(LIMIT)]
    holders = [context.Process(target=hold_forever, args=(kind, key, where, event)) for event in events]
    for holder in holders:
        holder.start()
    for event in events:
        assert event.wait(30)
    limiter = make_limiter(kind, key, where)
    with pytest.raises(SlotTimeout, match=f"limit {LIMIT}"):
        with limiter.slot(timeout=0.2):
            pass
    os.kill(holders[0].pid, signal.SIGKILL)
    holders[0].join()
    with limiter.slot(timeout=10):  # file locks free at once; a Redis lease within its 1 s
        pass
    for holder in holders[1:]:
        holder.kill()
        holder.join()


def test_a_slot_is_held_only_inside_the_block(tmp_path):
    limiter = FileLimiter("k", 1, tmp_path)
    with limiter.slot():
        with pytest.raises(SlotTimeout):
            with limiter.slot(timeout=0.05):
                pass
    with limiter.slot(timeout=0.05):
        pass


def test_a_lease_held_longer_than_its_length_is_renewed(redis_url):
    key = f"test-{uuid.uuid4().hex}"
    limiter = RedisLimiter(key, 1, redis.Redis.from_url(redis_url), lease_seconds=0.6)
    with limiter.slot():
        time.sleep(1.5)  # two and a half leases: without renewal another holder would get in
        other = RedisLimiter(key, 1, redis.Redis.from_url(redis_url), lease_seconds=0.6)
        with pytest.raises(SlotTimeout):
            with other.slot(timeout=0.1):
                pass
