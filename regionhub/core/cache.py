"""The shared cache (Redis) with one client per connection pool.

Django's Redis backend makes a new `redis.Redis` client for every cache operation, and a client
builds its table of response callbacks when it is made: about a tenth of a millisecond each
time, paid by every signed-in request (its session and user are read from the cache) and every
write that bumps a data version. A client is safe to share between threads (each command takes
a connection from the pool), so one per pool is made and kept.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)  # made once per server, then kept
        client = self._clients.get(pool)
        if client is None:
            # Two threads may both get here; either client works, and one is kept.
            client = self._clients[pool] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
