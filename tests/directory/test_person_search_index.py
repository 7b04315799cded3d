"""On PostgreSQL a search for people by name or email (nominating, an action's owner) is served
by the trigram indexes of directory migration 0003, so one that matches nobody among 50,000
people does not read them all."""

import pytest
from django.db import connection

from regionhub.directory import people_search
from regionhub.directory.models import Person
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def plan_without_scanning(queryset) -> str:
    """The plan PostgreSQL makes when it may neither read the whole table nor walk an ordinary
    index: only an index that serves the search condition itself is left to it."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_indexes_exist_on_the_searched_expressions(require_postgres):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'directory_person'"
        )
        indexes = dict(cursor.fetchall())
    for name, column in (("person_name_upper_trgm", "name"), ("person_email_upper_trgm", "email")):
        assert "USING gin" in indexes[name] and "gin_trgm_ops" in indexes[name]
        assert f"upper(({column})::text)" in indexes[name]


@pytest.mark.parametrize("q", ["zzqx", "Nobody@Nowhere", "smith"])
def test_a_search_by_name_or_email_is_served_by_the_trigram_indexes(require_postgres, q):
    PersonFactory.create_batch(5)
    search = people_search.people_matching(Person.objects.order_by("name", "pk"), q)[:21]
    plan = plan_without_scanning(search)
    assert "Bitmap Index Scan on person_name_upper_trgm" in plan, plan
    assert "Bitmap Index Scan on person_email_upper_trgm" in plan, plan
    assert "Seq Scan on directory_person" not in plan, plan


def test_the_search_still_ignores_case_on_both_columns(db):
    PersonFactory(name="Ama Smith", email="a.smith@example.org")
    PersonFactory(name="Bo Jones", email="BO.SMITHERS@EXAMPLE.ORG")
    PersonFactory(name="Cy Other", email="cy@example.org")
    found = people_search.people_matching(Person.objects.order_by("name"), " SMITH ")
    assert [p.name for p in found] == ["Ama Smith", "Bo Jones"]
