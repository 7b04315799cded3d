"""ORM queries compiled to SQL once per connection and run again with other values.

Building a queryset and compiling it often costs more than the database takes to run it: several
times more on the booking path (where part of it would be paid while holding the lock everyone
booking the event waits for), and more than the query itself for the signed-in user read on
every request (`accounts.backends`). A `Prepared` query is written with the ORM as usual, by a
function whose arguments stand for the values that change from one run to the next. The first
run on a connection calls it with marker numbers no real argument takes, compiles the queryset
with Django's own compiler (for that connection's database), and notes where each marker landed
among the SQL parameters; the arguments are therefore integers, such as ids, or text compared
with a text column (which the marker reaches as its digits). Later runs only put
the real values in those places and execute. Values come back through the same converters a
queryset would apply.

On PostgreSQL with client-side binding (Django's default) the statements are also prepared on
the server: `PREPARE` once per database connection, then `EXECUTE name(values)`, so that the
server does not parse and plan them again on every run (which cost it more than running them).
The names prepared are remembered per psycopg connection object, so a connection closed and
opened again prepares them again. A prepared statement belongs to the database session, not to
a transaction: a rollback does not undo a `PREPARE`. Should something `DEALLOCATE` or `DISCARD`
them anyway, the one run that finds its statement gone fails and the connection prepares
everything again from the next run; a pooler in transaction mode would do that all the time, so
these connections must not go through one. Where psycopg prepares statements itself (a
`prepare_threshold` in the database OPTIONS), it deallocates everything after any rollback, so
nothing is prepared here. With server-side binding, and on other databases, the compiled SQL is
sent as it is.
"""

import functools
import hashlib
import re
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import DatabaseError, connections
from django.db.models import Field, Model, QuerySet, signals
from django.db.models.sql import InsertQuery, Query, UpdateQuery

# Distinct and within the range of a positive 32-bit integer field on every backend, so that the
# ORM passes them through as parameters instead of judging a lookup always true or false (which
# it does for a value outside the field's range: such an argument is reported as unused).
_MARKER_BASE = 2_147_000_000


def _on_server(connection) -> bool:
    """Whether statements run prepared on the server and several can go in one round trip:
    PostgreSQL with client-side binding, and psycopg's own preparing off (Django's default), as
    psycopg answers a rollback on a connection where it prepared something with DEALLOCATE ALL,
    which would drop these statements too."""
    if connection.vendor != "postgresql":
        return False
    options = connection.settings_dict.get("OPTIONS", {})
    return (
        options.get("server_side_binding") is not True and options.get("prepare_threshold") is None
    )


class _Fixed:
    """A value a prepared statement holds itself, written into it as a literal."""

    def __init__(self, value: Any):
        self.value = value


_PLACEHOLDER = re.compile(r"%[s%]")
# The PostgreSQL types of the integer wrappers Django gives a lookup on an integer field, so
# that a prepared statement's argument has the type of the column it is compared with.
_ARGUMENT_TYPES = {"Int2": "int2", "Int4": "int4", "Int8": "int8"}


@dataclass
class _ServerStatement:
    """A statement to prepare on the server: `PREPARE <name><declared> AS <body>`, run with
    `arguments` values. `body` keeps Django's `%%` for %, as it is always sent with values."""

    base: str  # the name, unless that name is spoilt on a connection (see `_Session`)
    declared: str
    body: str
    arguments: int

    @classmethod
    def build(
        cls, sql: str, places: list[int | _Fixed], types: list[str | None], raw
    ) -> "_ServerStatement":
        """`sql` as Django writes it (`%s` placeholders, `%%` for %); `places` holds for each
        placeholder the number of the argument that goes there, or a fixed value; `types` the
        type of each argument (None: the server infers it from where it is used)."""
        from psycopg import sql as psql

        placeholders = iter(places)

        def replace(match: re.Match) -> str:
            if match.group() == "%%":
                return "%%"
            place = next(placeholders)
            if isinstance(place, _Fixed):
                return psql.Literal(place.value).as_string(raw).replace("%", "%%")
            return f"${place + 1}"

        body = _PLACEHOLDER.sub(replace, sql)
        if next(placeholders, None) is not None:
            raise ValueError(f"More values than placeholders in {sql!r}")
        declared = f" ({', '.join(t or 'unknown' for t in types)})" if any(types) else ""
        return cls._named(body, declared, len(types))

    @classmethod
    def numbered(cls, sql: str, types: list[str]) -> "_ServerStatement":
        """A statement written for the server itself: `$1`, `$2`... for its arguments, of
        `types`, each usable several times; a % is a %."""
        declared = f" ({', '.join(types)})"
        return cls._named(sql.replace("%", "%%"), declared, len(types))

    @classmethod
    def _named(cls, body: str, declared: str, arguments: int) -> "_ServerStatement":
        base = "rh_" + hashlib.sha1(f"{declared} {body}".encode()).hexdigest()[:24]
        return cls(base=base, declared=declared, body=body, arguments=arguments)

    def execute(self, name: str) -> str:
        if not self.arguments:
            return f"EXECUTE {name}"
        return f"EXECUTE {name}({', '.join(['%s'] * self.arguments)})"

    def prepare(self, name: str) -> str:
        return f"PREPARE {name}{self.declared} AS {self.body}"


class _Session:
    """The statements prepared on one database connection: for each, the SQL that runs it.

    A statement not yet prepared is prepared in the same round trip as its first run. Should
    that round trip fail, whether the `PREPARE` took effect is not known, so its name is not
    used again on this connection: the next attempt prepares under another."""

    def __init__(self):
        self.ready: dict[str, str] = {}
        self.tried: set[str] = set()

    def name(self, statement: _ServerStatement) -> str:
        name, n = statement.base, 0
        while name in self.tried:
            n += 1
            name = f"{statement.base}_{n}"
        return name


_sessions: "weakref.WeakKeyDictionary[Any, _Session]" = weakref.WeakKeyDictionary()


def _execute_prepared(
    cursor,
    statements: list[tuple[_ServerStatement, list[Any]]],
    read: Callable[[int], Any],
    commit: bool = False,
) -> list[Any]:
    """Run each statement with its values, prepared on the server, all in one round trip, and
    return what `read(n)` returns with the cursor on the `n`th statement's result; then the
    COMMIT if `commit`. `cursor` is a Django cursor on PostgreSQL with client-side binding.
    What is prepared is kept per psycopg connection, so a connection opened again prepares
    afresh."""
    raw = cursor.connection
    session = _sessions.get(raw)
    if session is None:
        session = _sessions[raw] = _Session()
    sql: list[str] = []
    values: list[Any] = []
    results: list[bool] = []  # for each result the round trip gives: is it a statement's?
    prepared: dict[str, str] = {}  # base name: how to run what this round trip prepares
    for statement, args in statements:
        run = session.ready.get(statement.base)
        if run is None:
            name = session.name(statement)
            session.tried.add(name)
            run = prepared[statement.base] = statement.execute(name)
            sql.append(statement.prepare(name))
            results.append(False)
        sql.append(run)
        results.append(True)
        values += args
    if commit:
        sql.append("COMMIT")
        results.append(False)
    try:
        cursor.execute(";\n".join(sql), values)
    except DatabaseError as error:
        if getattr(error.__cause__, "sqlstate", None) == "26000":
            # A statement this connection prepared is gone (something sent DEALLOCATE or
            # DISCARD): prepare everything again from the next run on.
            del _sessions[raw]
        raise
    session.ready.update(prepared)
    rows: list[Any] = []
    for n, is_statement in enumerate(results):
        if n:
            cursor.nextset()
        if is_statement:
            rows.append(read(len(rows)))
    return rows


# For statements written by hand (`ServerStatement.numbered`), run with `execute_together`
# where `on_server` says statements are prepared on the server (`events.services.decided`).
ServerStatement = _ServerStatement
execute_together = _execute_prepared
on_server = _on_server


def _marker_in(param: Any, markers: dict[int, str]) -> str | None:
    """The name whose marker `param` is, if it is one: an integer, or its digits as text."""
    if isinstance(param, int) and not isinstance(param, bool):
        return markers.get(int(param))
    if isinstance(param, str) and param.isdigit() and len(param) == len(str(_MARKER_BASE)):
        return markers.get(int(param))
    return None


class Prepared:
    """`Prepared(build, "event_id", ...)`; `.rows(event_id=...)` runs it: a dict per row, by the
    names the queryset gives its columns."""

    def __init__(self, build: Callable[..., QuerySet], *names: str):
        self.build = build
        self.names = names
        self._local = threading.local()

    def _query(self, built: Any) -> Query:
        return built.query

    def _compile(self, using: str) -> "_Compiled":
        markers = {_MARKER_BASE + i: name for i, name in enumerate(self.names)}
        query = self._query(self.build(**{name: marker for marker, name in markers.items()}))
        compiler = query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        slots = [_marker_in(p, markers) for p in params]
        missing = set(self.names) - set(slots)
        if missing:
            raise ValueError(f"The prepared query does not use {sorted(missing)}")
        select = [] if isinstance(query, UpdateQuery) else compiler.select[: compiler.col_count]
        return _Compiled(
            sql=sql,
            names=self.names,
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
        (rows,) = _run_together(using, [(self, values)])
        return rows


class PreparedUpdate(Prepared):
    """An UPDATE compiled once per connection, as `Prepared` compiles a query: `build` returns
    the queryset to update and the changes, as `QuerySet.update` takes them, as in
    `PreparedUpdate(lambda pk, n: (Event.objects.filter(pk=pk), {"capacity": n}), "pk", "n")`.
    `.run(pk=..., n=...)` runs it; `PreparedInsert.save_with` can run it with an insert."""

    def __init__(self, build: Callable[..., tuple[QuerySet, dict[str, Any]]], *names: str):
        super().__init__(build, *names)  # type: ignore[arg-type]

    def _query(self, built: Any) -> Query:
        queryset, changes = built
        query = queryset.query.chain(UpdateQuery)
        query.add_update_values(changes)
        return query

    def run(self, using: str = "default", **values: Any) -> None:
        _run_together(using, [(self, values)])


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
    rows, more = _run_together(using, [(first, values), (second, values)])
    return rows, more


def _run_together(
    using: str, queries: list[tuple[Prepared, dict[str, Any]]]
) -> list[list[dict[str, Any]]]:
    """The rows of each query run with its values, in order: in one round trip, prepared on
    the server, where `_on_server`; one after the other elsewhere."""
    connection = connections[using]
    compiled = [(query.compiled(using), values) for query, values in queries]
    with connection.cursor() as cursor:
        if not _on_server(connection):
            results = []
            for one, values in compiled:
                cursor.execute(one.sql, one.args(values))
                results.append(one.result(cursor.fetchall()) if one.columns else [])
            return results
        return _execute_prepared(
            cursor,
            [(one.on_server(cursor), one.arguments(values)) for one, values in compiled],
            lambda n: compiled[n][0].result(cursor.fetchall()) if compiled[n][0].columns else [],
        )


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
        pk = _insert(using, sql, self._params(compiler, instance))
        _saved(instance, pk, using)

    def in_one_statement(self, using: str = "default") -> bool:
        """Whether `save_with` writes its rows with one statement on this database."""
        return connections[using].vendor == "postgresql" and not self._plain(using)

    def save_with(
        self,
        instance: Model,
        *following: "Following",
        using: str = "default",
        first: tuple[PreparedUpdate, dict[str, Any]] | None = None,
        commit: bool = False,
    ) -> None:
        """Store `instance` and then each following row, which names the new row's key.

        On PostgreSQL (see `in_one_statement`) that is one statement, an INSERT for each row in
        data-modifying WITH clauses, sent in one round trip: no row is written unless all are.
        Following rows are inserted as given, without `pre_save` or `post_save` signals, so
        they must already hold every value their own save would fill in. Elsewhere each row is
        saved in turn, the following ones with `save()`.

        `first`, an update and its values, runs just before, in the same round trip where
        `_on_server`. `commit`: these are the last statements of a transaction whose outermost
        atomic block the caller leaves right after, without any other statement; where
        `_on_server` and no outer block encloses it, the COMMIT goes in the same round trip, so
        that the locks the transaction holds are released without waiting for this process to
        send it (Django's own commit then finds nothing to commit, and runs the on-commit
        callbacks as usual)."""
        if not self.in_one_statement(using):
            if first is not None:
                first[0].run(using, **first[1])
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
        pk = _insert(
            using, chain.sql, chain.params(instance, following), first=first, commit=commit
        )
        _saved(instance, pk, using)
        for row in following:
            row.fill(pk)
            row.instance._state.adding = False
            row.instance._state.db = using


def _insert(
    using: str,
    sql: str,
    params: list[Any],
    *,
    first: tuple[PreparedUpdate, dict[str, Any]] | None = None,
    commit: bool = False,
) -> Any:
    """Run an INSERT that returns the new row's key (prepared on the server where
    `_on_server`, each value an argument), after `first`; the key. See `save_with` for
    `commit`."""
    connection = connections[using]
    if not _on_server(connection):
        if first is not None:
            first[0].run(using, **first[1])
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()[0]
    statements = []
    if first is not None:
        update, values = first
        compiled = update.compiled(using)
    with connection.cursor() as cursor:
        if first is not None:
            statements.append((compiled.on_server(cursor), compiled.arguments(values)))
        statements.append((_insert_statement(sql, len(params)), params))
        last = len(statements) - 1
        *_, pk = _execute_prepared(
            cursor,
            statements,
            lambda n: cursor.fetchone()[0] if n == last else None,
            commit=commit and _outermost(connection),
        )
        return pk


def _outermost(connection) -> bool:
    """Whether the current atomic block is the outermost one, with nothing to roll back."""
    return (
        connection.in_atomic_block
        and len(connection.atomic_blocks) == 1
        and not connection.savepoint_ids
        and not connection.needs_rollback
    )


@functools.cache
def _insert_statement(sql: str, count: int) -> _ServerStatement:
    return _ServerStatement.build(sql, list(range(count)), [None] * count, raw=None)


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
    names: tuple[str, ...]
    params: list[tuple[str | None, Any]]  # (the argument that goes there, or the fixed value)
    columns: list[str]
    compiler: Any
    converters: dict
    server: _ServerStatement | None = None
    kinds: list[type] | None = None  # the type of each argument's marker

    def args(self, values: dict[str, Any]) -> list[Any]:
        # An argument keeps the type the backend gave its marker (psycopg's Int4 on PostgreSQL).
        return [
            type(param)(values[slot]) if slot is not None else param for slot, param in self.params
        ]

    def on_server(self, cursor) -> _ServerStatement:
        """The statement prepared on the server: an argument for each name, in order, and the
        fixed values written into it."""
        if self.server is None:
            kinds: dict[str, type] = {}
            places: list[int | _Fixed] = []
            for slot, param in self.params:
                if slot is None:
                    places.append(_Fixed(param))
                else:
                    kinds.setdefault(slot, type(param))
                    places.append(self.names.index(slot))
            self.kinds = [kinds[name] for name in self.names]
            types = [
                _ARGUMENT_TYPES.get(kind.__name__)
                if kind.__module__.startswith("psycopg")
                else None
                for kind in self.kinds
            ]
            self.server = _ServerStatement.build(self.sql, places, types, cursor.connection)
        return self.server

    def arguments(self, values: dict[str, Any]) -> list[Any]:
        """The arguments of `on_server`'s statement."""
        assert self.kinds is not None
        return [kind(values[name]) for kind, name in zip(self.kinds, self.names, strict=True)]

    def result(self, rows) -> list[dict[str, Any]]:
        if self.converters:
            rows = self.compiler.apply_converters(rows, self.converters)
        return [dict(zip(self.columns, row, strict=True)) for row in rows]
