"""The production stack: in CI these run against real PostgreSQL and Redis, and fail without them."""

import uuid

import redis
from django.core.cache import cache
from django.db import connection


def test_the_app_database_is_postgresql_with_psycopg3(postgres_database, db):
    assert connection.vendor == "postgresql"
    assert connection.Database.__name__ == "psycopg"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        assert int(cursor.fetchone()[0].split(".")[0]) >= 13


def test_the_cache_is_shared_through_redis(redis_url):
    key = f"probe-{uuid.uuid4()}"
    cache.set(key, {"seen": True}, timeout=30)
    assert cache.get(key) == {"seen": True}
    # Another process reading Redis directly sees the value: the cache is not process-local.
    raw = redis.Redis.from_url(redis_url)
    assert any(key in name.decode() for name in raw.scan_iter(match=f"*{key}*"))
    cache.delete(key)
