"""Small read-mostly results kept between requests, under the same version tokens as cached
pages and fragments (regionhub.core.pagecache): any change to the namespaces' data makes a new
key, so a stale result is never read again."""

import pickle
from collections.abc import Callable, Iterable
from typing import TypeVar

from django.conf import settings
from django.utils import timezone

from regionhub.core.pagecache import local_pages

T = TypeVar("T")


def remember(versions: Iterable[str], name: str, compute: Callable[[], T], *parts) -> T:
    """`compute()`, or what it returned for the same `parts` under the same data version tokens
    (`data_version(namespace)` of every namespace it reads) and on the same date. Computed
    afresh whenever the page cache is off."""
    if not getattr(settings, "PAGE_CACHE", False):
        return compute()
    key = "|".join(["remember", name, *versions, str(timezone.localdate()), *map(str, parts)])
    body = local_pages.get(key)
    if body is not None:
        return pickle.loads(body)
    value = compute()
    local_pages.put(key, pickle.dumps(value))
    return value
