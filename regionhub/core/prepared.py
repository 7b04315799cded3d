"""ORM queries compiled to SQL once per connection and run again with other values.

Building a queryset and compiling it often costs more than the database takes to run it: several
times more on the booking path (where part of it would be paid while holding the lock everyone
booking the event waits for), and more than the query itself for the signed-in user read on
every request (`accounts.backends`). A `Prepared` query is written with the ORM as usual, by a
function whose arguments stand for the values that change from one run to the next. The first
run on a connection calls it with marker numbers no real argument takes, compiles the queryset
with Django's own compiler (for that connection's database), and notes where each marker landed
among the SQL parameters; the arguments are therefore integers, such as ids. Later runs only put
the real values in those places and execute. Values come back through the same converters a
queryset would apply.
"""

import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import Field, Model, QuerySet, signals
from django.db.models.sql import InsertQuery

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

    def compiled(self, using: str) -> "_Compiled":
        compiled_here = self._local.__dict__.setdefault("compiled", {})
        compiled = compiled_here.get(using)
        if compiled is None:
            compiled = compiled_here[using] = self._compile(using)
        return compiled

    def rows(self, using: str = "default", **values: Any) -> list[dict[str, Any]]:
        compiled = self.compiled(using)
        with connections[using].cursor() as cursor:
            cursor.execute(compiled.sql, compiled.args(values))
            return compiled.result(cursor.fetchall())


def lock_then_read(
    lock: Prepared, read: Prepared, using: str = "default", **values: Any
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Run `lock` (a SELECT ... FOR UPDATE) and then `read` as two statements, so that `read`
    sees everything committed while `lock` waited for the row (a single statement would read
    from before the wait); each takes the values it names.

    On PostgreSQL with client-side binding (Django's default) both go to the server in one
    round trip, and the read runs the moment the lock is granted, without the lock holder first
    waiting to be woken up, scheduled and handed the interpreter: that is time everyone queueing
    for the same lock waits too. Elsewhere they run one after the other."""
    return rows_together(lock, read, using=using, **values)


def rows_together(
    first: Prepared, second: Prepared, using: str = "default", **values: Any
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows of `first` and of `second`, each run with the values it names, in this order;
    in one round trip on PostgreSQL with client-side binding (Django's default)."""
    connection = connections[using]
    one, two = first.compiled(using), second.compiled(using)
    one_trip = (
        connection.vendor == "postgresql"
        and connection.settings_dict.get("OPTIONS", {}).get("server_side_binding") is not True
    )
    with connection.cursor() as cursor:
        if not one_trip:
            cursor.execute(one.sql, one.args(values))
            rows = one.result(cursor.fetchall())
            cursor.execute(two.sql, two.args(values))
            return rows, two.result(cursor.fetchall())
        cursor.execute(f"{one.sql};\n{two.sql}", one.args(values) + two.args(values))
        rows = one.result(cursor.fetchall())
        cursor.nextset()
        return rows, two.result(cursor.fetchall())


class PreparedInsert:
    """`PreparedInsert(Model).save(instance)` stores a new instance as `instance.save()` would,
    with an INSERT compiled once per connection: the values go through the same field
    preparation, only the SQL is not built again. Models whose saves something listens to
    (`pre_save`, `post_save`), and databases that cannot return the new key from the INSERT,
    get a plain `save()`."""

    def __init__(self, model: type[Model]):
        self.model = model
        meta = model._meta
        self.fields = [
            f for f in meta.local_concrete_fields if f is not meta.auto_field and not f.generated
        ]
        self._local = threading.local()

    def _compile(self, using: str, instance: Model, returning: bool = True) -> tuple[str, Any]:
        query = InsertQuery(self.model)
        query.insert_values(self.fields, [instance])
        compiler = query.get_compiler(using=using)
        if returning:
            compiler.returning_fields = [self.model._meta.pk]
        ((sql, _),) = compiler.as_sql()
        return sql, compiler

    def _compiled(self, using: str, instance: Model, returning: bool = True) -> tuple[str, Any]:
        compiled_here = self._local.__dict__.setdefault("compiled", {})
        compiled = compiled_here.get((using, returning))
        if compiled is None:
            compiled = compiled_here[using, returning] = self._compile(using, instance, returning)
        return compiled

    def _params(self, compiler, instance: Model) -> list[Any]:
        return [
            compiler.prepare_value(field, compiler.pre_save_val(field, instance))
            for field in self.fields
        ]

    def _plain(self, using: str) -> bool:
        return (
            not connections[using].features.can_return_columns_from_insert
            or signals.pre_save.has_listeners(self.model)
            or signals.post_save.has_listeners(self.model)
        )

    def save(self, instance: Model, using: str = "default") -> None:
        if self._plain(using):
            instance.save(using=using, force_insert=True)
            return
        sql, compiler = self._compiled(using, instance)
        with connections[using].cursor() as cursor:
            cursor.execute(sql, self._params(compiler, instance))
            (pk,) = cursor.fetchone()
        _saved(instance, pk, using)

    def in_one_statement(self, using: str = "default") -> bool:
        """Whether `save_with` writes its rows with one statement on this database."""
        return connections[using].vendor == "postgresql" and not self._plain(using)

    def save_with(self, instance: Model, *following: "Following", using: str = "default") -> None:
        """Store `instance` and then each following row, which names the new row's key.

        On PostgreSQL (see `in_one_statement`) that is one statement, an INSERT for each row in
        data-modifying WITH clauses, sent in one round trip: no row is written unless all are.
        Following rows are inserted as given, without `pre_save` or `post_save` signals, so
        they must already hold every value their own save would fill in. Elsewhere each row is
        saved in turn, the following ones with `save()`."""
        if not self.in_one_statement(using):
            self.save(instance, using=using)
            for row in following:
                row.fill(instance.pk)
                _inserts(type(row.instance)).save(row.instance, using=using)
            return
        shape = tuple((type(row.instance), row.field, row.sql) for row in following)
        compiled_here = self._local.__dict__.setdefault("chains", {})
        chain = compiled_here.get((using, shape))
        if chain is None:
            chain = compiled_here[using, shape] = _Chain.compile(self, instance, following, using)
        with connections[using].cursor() as cursor:
            cursor.execute(chain.sql, chain.params(instance, following))
            (pk,) = cursor.fetchone()
        _saved(instance, pk, using)
        for row in following:
            row.fill(pk)
            row.instance._state.adding = False
            row.instance._state.db = using


@functools.cache
def _inserts(model: type[Model]) -> PreparedInsert:
    return PreparedInsert(model)


def _saved(instance: Model, pk: Any, using: str) -> None:
    instance.pk = pk
    instance._state.adding = False
    instance._state.db = using


@dataclass
class Following:
    """A row `PreparedInsert.save_with` inserts after a new one, whose `field` it computes from
    the new row's key: in the database by `sql`, where `{key}` stands for the key and `{value}`
    for the value the row holds in `field`; in Python by `value(key)`, which is also what the
    instance holds afterwards. A following row's own key is not read back."""

    instance: Model
    field: str
    sql: str
    value: Callable[[Any], Any]

    def fill(self, key: Any) -> None:
        field = self.instance._meta.get_field(self.field)
        assert isinstance(field, Field), f"{self.field} is not a concrete field"
        setattr(self.instance, field.attname, self.value(key))


@dataclass
class _Chain:
    sql: str
    inserts: list[tuple["PreparedInsert", Any, int | None]]  # (insert, compiler, param dropped)

    @classmethod
    def compile(
        cls, first: PreparedInsert, instance: Model, following: tuple[Following, ...], using: str
    ) -> "_Chain":
        connection = connections[using]
        quote = connection.ops.quote_name
        head, compiler = first._compiled(using, instance)
        pk = first.model._meta.pk
        assert pk is not None and pk.column is not None
        key = f"(SELECT {quote(pk.column)} FROM {quote('new')})"
        clauses = [f"{quote('new')} AS ({head})"]
        inserts: list[tuple[PreparedInsert, Any, int | None]] = [(first, compiler, None)]
        for n, row in enumerate(following):
            insert = _inserts(type(row.instance))
            sql, compiler = insert._compile(using, row.instance, returning=False)
            # The INSERT ends with one plain placeholder per field; the linked one is replaced.
            into, _, values = sql.rpartition(" VALUES (")
            placeholders = ["%s"] * len(insert.fields)
            if values != ", ".join(placeholders) + ")":
                raise ValueError(f"Cannot chain the insert {sql!r}")
            index = [f.name for f in insert.fields].index(row.field)
            linked = row.sql.replace("{key}", key)
            if "{value}" in row.sql:
                linked, dropped = linked.replace("{value}", "%s"), None
            else:
                dropped = index
            placeholders[index] = linked
            clauses.append(f"{quote(f'f{n}')} AS ({into} VALUES ({', '.join(placeholders)}))")
            inserts.append((insert, compiler, dropped))
        return cls(f"WITH {', '.join(clauses)} SELECT * FROM {quote('new')}", inserts)

    def params(self, instance: Model, following: tuple[Following, ...]) -> list[Any]:
        params: list[Any] = []
        for (insert, compiler, dropped), row in zip(
            self.inserts, (instance, *(f.instance for f in following)), strict=True
        ):
            values = insert._params(compiler, row)
            if dropped is not None:
                del values[dropped]
            params += values
        return params


@dataclass
class _Compiled:
    sql: str
    params: list[tuple[str | None, Any]]  # (the argument that goes there, or the fixed value)
    columns: list[str]
    compiler: Any
    converters: dict

    def args(self, values: dict[str, Any]) -> list[Any]:
        # An argument keeps the type the backend gave its marker (psycopg's Int4 on PostgreSQL).
        return [
            type(param)(values[slot]) if slot is not None else param for slot, param in self.params
        ]

    def result(self, rows) -> list[dict[str, Any]]:
        if self.converters:
            rows = self.compiler.apply_converters(rows, self.converters)
        return [dict(zip(self.columns, row, strict=True)) for row in rows]
