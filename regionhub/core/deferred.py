"""Results a template may never need: computed on first use, then remembered."""

from collections.abc import Callable, Iterator, Sequence
from typing import Any


class Deferred(Sequence):
    """A list computed by `compute()` the first time it is read.

    Views hand these to templates whose tables may come from the fragment cache
    (`{% datacache %}`), so a cached table costs no queries at all.
    """

    def __init__(self, compute: Callable[[], Any]):
        self._compute = compute
        self._value: Any = None
        self._done = False

    def resolve(self):
        """The computed value itself (computing it now if need be)."""
        return self._get()

    def _get(self):
        if not self._done:
            self._value = self._compute()
            self._done = True
        return self._value

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._get(), name)

    def __iter__(self) -> Iterator:
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())

    def __getitem__(self, index):
        return self._get()[index]

    def __bool__(self) -> bool:
        return bool(self._get())
