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


def _other_client():
    return RedisCache(REDIS_URL, {"KEY_PREFIX": "test-cache"})


def test_a_write_not_waited_for_is_read_by_everyone(cache):
    cache.set_unacknowledged("version", "a", None)
    cache.set_unacknowledged("version", "b", None)
    assert _other_client().get("version") == "b"
    assert cache.get("version") == "b"
    # Sent on the thread's own connection, not one of the pool's.
    mine = cache._cache._unacknowledged.connection
    pool = cache._cache._get_connection_pool(True)
    assert mine not in pool._available_connections and mine not in pool._in_use_connections


def test_a_timeout_is_kept(cache):
    cache.set_unacknowledged("brief", 1, 30)
    key = cache.make_and_validate_key("brief")
    assert 0 < cache._cache.get_client(write=True).ttl(key) <= 30
    cache.set_unacknowledged("gone", 1, 0)  # as set(): kept for no time
    assert cache.get("gone") is None


def test_each_thread_has_its_own_connection(cache):
    import threading

    cache.set_unacknowledged("here", 1, None)
    theirs = []

    def elsewhere():
        cache.set_unacknowledged("there", 2, None)
        theirs.append(cache._cache._unacknowledged.connection)

    thread = threading.Thread(target=elsewhere)
    thread.start()
    thread.join()
    assert theirs[0] is not cache._cache._unacknowledged.connection
    assert cache.get_many(["here", "there"]) == {"here": 1, "there": 2}


def test_a_failed_answer_makes_the_earlier_write_again(cache, monkeypatch, caplog):
    cache.set_unacknowledged("first", "sent", None)
    connection = cache._cache._unacknowledged.connection
    # As if the connection were lost before Redis answered, and the write with it.
    connection.read_response()
    cache._cache.get_client(write=True).delete(cache.make_and_validate_key("first"))

    def lost():
        raise redis.exceptions.ConnectionError("lost")

    monkeypatch.setattr(connection, "read_response", lost)
    cache.set_unacknowledged("second", "sent", None)
    assert cache.get_many(["first", "second"]) == {"first": "sent", "second": "sent"}
    assert "making it again" in caplog.text


def test_a_write_that_cannot_be_sent_waits_for_its_answer(cache, monkeypatch):
    cache.set_unacknowledged("warm", 1, None)
    connection = cache._cache._unacknowledged.connection

    def refused(*args, **kwargs):
        raise redis.exceptions.ConnectionError("refused")

    monkeypatch.setattr(connection, "send_command", refused)
    cache.set_unacknowledged("waited", "yes", None)
    assert cache.get("waited") == "yes"
    assert cache._cache._unacknowledged.pending is None


def test_a_write_when_redis_is_down_raises_as_set_does():
    down = RedisCache("redis://127.0.0.1:1/0", {})
    with pytest.raises(redis.exceptions.ConnectionError):
        down.set_unacknowledged("key", 1, None)


def test_a_data_change_sends_its_new_version_without_waiting(
    cache, db, monkeypatch, django_capture_on_commit_callbacks
):
    from regionhub.core import pagecache

    monkeypatch.setattr(pagecache, "cache", cache)
    before = pagecache.data_version("events")
    waited = []
    monkeypatch.setattr(cache, "set", lambda *args, **kwargs: waited.append(args))
    with django_capture_on_commit_callbacks(execute=True):
        pagecache.data_changed("events")
    assert not waited
    assert cache._cache._unacknowledged.pending is not None
    assert pagecache.data_version("events") != before
