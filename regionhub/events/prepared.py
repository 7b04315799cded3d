"""ORM queries compiled to SQL once per connection and run again with other values.

Building a queryset with subqueries and compiling it costs the booking path several times more
than the database takes to run it, and part of that cost would be paid while holding the lock
everyone booking the event waits for. A `Prepared` query is written with the ORM as usual, by a
function whose arguments stand for the values that change from one run to the next. The first
run on a connection calls it with marker numbers no real argument takes, compiles the queryset
with Django's own compiler (for that connection's database), and notes where each marker landed
among the SQL parameters; the arguments are therefore integers, such as ids. Later runs only put
the real values in those places and execute. Values come back through the same converters a
queryset would apply.
"""

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import QuerySet

# Distinct and within the range of a positive 32-bit integer field on every backend, so that the
# ORM passes them through as parameters instead of judging a lookup always true or false (which
# it does for a value outside the field's range: such an argument is reported as unused).
_MARKER_BASE = 2_147_000_000


class Prepared:
    """`Prepared(build, "event_id", ...)`; `.rows(event_id=...)` runs it: a dict per row, by the
    names the queryset gives its columns."""

    def __init__(self, build: Callable[..., QuerySet], *names: str):
        self.build = build
        self.names = names
        self._local = threading.local()

    def _compile(self, using: str) -> "_Compiled":
        markers = {_MARKER_BASE + i: name for i, name in enumerate(self.names)}
        queryset = self.build(**{name: marker for marker, name in markers.items()})
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        slots = [
            markers.get(int(p)) if isinstance(p, int) and not isinstance(p, bool) else None
            for p in params
        ]
        missing = set(self.names) - set(slots)
        if missing:
            raise ValueError(f"The prepared query does not use {sorted(missing)}")
        select = compiler.select[: compiler.col_count]
        return _Compiled(
            sql=sql,
            params=list(zip(slots, params, strict=True)),
            columns=[alias for _, _, alias in select],
            compiler=compiler,
            converters=compiler.get_converters([expression for expression, _, _ in select]),
        )

    def rows(self, using: str = "default", **values: Any) -> list[dict[str, Any]]:
        compiled_here = self._local.__dict__.setdefault("compiled", {})
        compiled = compiled_here.get(using)
        if compiled is None:
            compiled = compiled_here[using] = self._compile(using)
        # An argument keeps the type the backend gave its marker (psycopg's Int4 on PostgreSQL).
        args = [
            type(param)(values[slot]) if slot is not None else param
            for slot, param in compiled.params
        ]
        with connections[using].cursor() as cursor:
            cursor.execute(compiled.sql, args)
            rows = cursor.fetchall()
        if compiled.converters:
            rows = compiled.compiler.apply_converters(rows, compiled.converters)
        return [dict(zip(compiled.columns, row, strict=True)) for row in rows]


@dataclass
class _Compiled:
    sql: str
    params: list[tuple[str | None, Any]]  # (the argument that goes there, or the fixed value)
    columns: list[str]
    compiler: Any
    converters: dict
