"""The shared cache (Redis) with one client per connection pool, and writes that need not wait.

Django's Redis backend makes a new `redis.Redis` client for every cache operation, and a client
builds its table of response callbacks when it is made: about a tenth of a millisecond each
time, paid by every write that bumps a data version. A client is safe to share between threads
(each command takes a connection from the pool), so one per pool is made and kept.

`set_unacknowledged` is for writes whose answer nobody needs at once: the data versions bumped
after every booking (`pagecache.data_changed`). It sends the command on a connection of the
thread's own and returns; the answer is read when the thread next sends one, by which time it
has long arrived. Waiting for it instead costs a booking about a tenth of its CPU (taking a
connection from the pool, checking it, and a wait on the socket).
"""

import logging
import os
import threading

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient

logger = logging.getLogger(__name__)


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}
        self._unacknowledged = threading.local()

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)  # made once per server, then kept
        client = self._clients.get(pool)
        if client is None:
            # Two threads may both get here; either client works, and one is kept.
            client = self._clients[pool] = self._client(connection_pool=pool)
        return client

    def set_unacknowledged(self, key, value, timeout) -> None:
        """`set(key, value, timeout)`, returning once the command is sent. The answer to the
        thread's previous one is read first: if it is an error, or the connection was lost
        before it came, that earlier set is made again, waiting for its answer; so is this one
        if it cannot be sent. An error then is raised, as from `set`."""
        if timeout == 0:  # as `set`: stored for no time at all
            self.delete(key)
            return
        mine = self._unacknowledged
        if getattr(mine, "pid", None) != os.getpid():  # new thread, or a forked process
            mine.pid = os.getpid()
            mine.connection = self._get_connection_pool(True).make_connection()
            mine.pending = None
        connection = mine.connection
        if mine.pending is not None:
            earlier, mine.pending = mine.pending, None
            try:
                connection.read_response()
            except Exception:
                logger.warning("An unacknowledged cache write failed; making it again.")
                connection.disconnect()
                self.set(*earlier)
        args = ["SET", key, self._serializer.dumps(value)]
        if timeout is not None:
            args += ["EX", int(timeout)]
        try:
            connection.send_command(*args)
        except Exception:
            connection.disconnect()
            self.set(key, value, timeout)
        else:
            mine.pending = (key, value, timeout)


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient

    def set_unacknowledged(self, key, value, timeout=DEFAULT_TIMEOUT, version=None) -> None:
        """`set`, without waiting for Redis's answer (see `RedisCacheClient`)."""
        key = self.make_and_validate_key(key, version=version)
        self._cache.set_unacknowledged(key, value, self.get_backend_timeout(timeout))
