"""Trigram indexes for searching people by name or email (`directory.people_search`: nominating
on a cohort, choosing an action's owner), so that a search matching nobody among 50,000 people
reads a few index pages instead of every row.

`icontains` on PostgreSQL compares UPPER(column::text) LIKE UPPER(pattern): the indexes are on
exactly those expressions, which a trigram index on the plain column would not serve. They are
made on PostgreSQL only (SQLite has no trigram indexes), followed by ANALYZE: the planner uses them only once it has statistics on the
expressions, and a directory that rarely changes may not be analysed again for a long time.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEXES = {
    "person_name_upper_trgm": "name",
    "person_email_upper_trgm": "email",
}


class PostgreSQLOnly:
    """An operation that does nothing, either way, on any database but PostgreSQL (Django's
    CreateExtension skips other databases going forwards but not backwards)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class PostgreSQLTrigramExtension(PostgreSQLOnly, TrigramExtension):
    pass


class PostgreSQLRunSQL(PostgreSQLOnly, migrations.RunSQL):
    pass


class Migration(migrations.Migration):
    dependencies = [("directory", "0002_person_and_appointment_indexes")]

    operations = [
        PostgreSQLTrigramExtension(),
        *(
            PostgreSQLRunSQL(
                sql=f"CREATE INDEX IF NOT EXISTS {name} ON directory_person "
                f"USING gin (UPPER({column}::text) gin_trgm_ops)",
                reverse_sql=f"DROP INDEX IF EXISTS {name}",
            )
            for name, column in INDEXES.items()
        ),
        PostgreSQLRunSQL(sql="ANALYZE directory_person", reverse_sql=migrations.RunSQL.noop),
    ]
