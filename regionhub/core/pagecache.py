"""Whole-page cache for anonymous readers of pages that change only when their data does.

Each cached page is keyed by a *version token* for its data, kept in the shared cache (Redis in
production) so that every server process sees a change at once; the pages themselves are kept in
each process's memory, so a hit costs one small cache read. Any change to that data (through a
service, the back office or an import) replaces the token, so every page cached under the old
token is simply never read again. A token rather than a counter: if the cache evicts it, a new
random one is made, and no stale page can match it.

Signed-in users always get a freshly rendered page: theirs show contact details, edit links and
the audit history, which differ by person.
"""

import hashlib
import threading
import uuid
from collections import OrderedDict
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone


class _LocalPages:
    """A byte-bounded least-recently-used store of page bodies, private to this process."""

    def __init__(self, limit_bytes: int):
        self.limit_bytes = limit_bytes
        self._pages: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            body = self._pages.get(key)
            if body is not None:
                self._pages.move_to_end(key)
            return body

    def put(self, key: str, body: bytes) -> None:
        with self._lock:
            if key in self._pages:
                return
            self._pages[key] = body
            self._size += len(body)
            while self._size > self.limit_bytes and self._pages:
                _, old = self._pages.popitem(last=False)
                self._size -= len(old)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()
            self._size = 0


local_pages = _LocalPages(limit_bytes=64 * 1024 * 1024)


def _version_key(namespace: str) -> str:
    return f"pagecache:version:{namespace}"


def data_version(namespace: str) -> str:
    key = _version_key(namespace)
    version = cache.get(key)
    if version is None:
        version = uuid.uuid4().hex
        # add() so that two first readers agree on one token.
        if not cache.add(key, version, timeout=None):
            version = cache.get(key) or version
    return version


def data_changed(namespace: str) -> None:
    """Invalidate the namespace's pages once the current transaction commits. Where the cache
    can, the new token is sent without waiting for the answer (`cache.set_unacknowledged`):
    it is sent after the commit, so a reader that sees it reads the change, and one that still
    sees the old token may only cache the changed page under it."""
    transaction.on_commit(lambda: _new_version(_version_key(namespace)))


def _new_version(key: str) -> None:
    send = getattr(cache, "set_unacknowledged", cache.set)
    send(key, uuid.uuid4().hex, timeout=None)


def cache_for_anonymous(namespace: str):
    """Serve anonymous GETs of the decorated view from the cache while `namespace` is unchanged.

    The key includes today's date because "current" holders are derived from it.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if (
                not getattr(settings, "PAGE_CACHE", False)
                or request.method != "GET"
                or request.user.is_authenticated
            ):
                return view(request, *args, **kwargs)
            raw = f"{data_version(namespace)}|{timezone.localdate()}|{request.get_full_path()}"
            key = "pagecache:page:" + hashlib.sha256(raw.encode()).hexdigest()
            body = local_pages.get(key)
            if body is not None:
                return HttpResponse(body, content_type="text/html; charset=utf-8")
            response = view(request, *args, **kwargs)
            if response.status_code == 200 and not response.streaming:
                local_pages.put(key, response.content)
            return response

        return wrapper

    return decorator
