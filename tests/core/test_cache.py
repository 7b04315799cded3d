"""The shared cache keeps one Redis client per connection pool instead of making one per
operation, and still works as Django's Redis cache does."""

import os

import pytest
import redis

from regionhub.core.cache import RedisCache

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def cache():
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("REQUIRE_REDIS"):
            raise
        pytest.skip(f"needs Redis at {REDIS_URL}")
    backend = RedisCache(REDIS_URL, {"KEY_PREFIX": "test-cache"})
    yield backend
    backend.clear()


def test_one_client_per_pool(cache):
    client = cache._cache.get_client(write=True)
    assert cache._cache.get_client("any key") is client
    assert cache._cache.get_client(write=True) is client


def test_reads_and_writes_as_django_does(cache):
    cache.set("answer", {"n": 42}, 30)
    assert cache.get("answer") == {"n": 42}
    assert cache.get_many(["answer", "missing"]) == {"answer": {"n": 42}}
    assert cache.add("counter", 1)
    assert cache.incr("counter") == 2
    cache.delete("answer")
    assert cache.get("answer") is None


def test_each_server_has_its_own_client(cache):
    two = RedisCache([REDIS_URL, REDIS_URL], {})
    writer = two._cache.get_client(write=True)
    reader = two._cache.get_client()  # with two servers, reads go to the second
    assert writer is not reader
    assert two._cache.get_client() is reader
    assert writer.connection_pool is not reader.connection_pool
