import datetime
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings

from regionhub.core.management.commands.bench import (
    Measurement,
    build_results,
    format_table,
    goal_for,
    percentile,
    write_results,
)
from regionhub.directory.management.commands.generate_national import MARKER
from regionhub.directory.models import Appointment, Organisation, Person, Post


def generate(**scale) -> str:
    out = StringIO()
    call_command("generate_national", stdout=out, stderr=StringIO(), **scale)
    return out.getvalue()


SMALL = {"people": 40, "appointments": 90, "authorities": 4, "regions": 2, "seed": 3}


@pytest.mark.django_db
def test_generator_builds_marked_non_overlapping_histories_once():
    generate(**SMALL)
    assert Organisation.objects.filter(notes=MARKER, is_member=True).count() == 4
    assert Organisation.objects.filter(notes=MARKER, kind=Organisation.Kind.NETWORK).count() == 2
    assert Person.objects.filter(notes=MARKER).count() == 40
    assert Appointment.objects.count() == 90

    for post in Post.objects.prefetch_related("appointments"):
        held = sorted(post.appointments.all(), key=lambda a: a.start)
        for day in {a.start for a in held}:
            holders = [a for a in held if a.is_current(day)]
            assert len(holders) <= post.max_holders, post
    assert Appointment.objects.filter(end__isnull=True).exists()
    assert Appointment.objects.filter(end__lt=datetime.date.today()).exists()

    assert "skipping" in generate(**SMALL)
    assert Appointment.objects.count() == 90


@pytest.mark.django_db
def test_generator_replaces_data_at_another_scale_and_removes_it():
    generate(**SMALL)
    generate(**{**SMALL, "people": 20, "appointments": 30})
    assert Person.objects.filter(notes=MARKER).count() == 20
    assert Appointment.objects.count() == 30
    call_command("generate_national", remove=True, stdout=StringIO())
    assert not Organisation.objects.filter(notes=MARKER).exists()
    assert not Person.objects.exists()


def measured(latencies, seconds=1.0):
    return Measurement(latencies_ms=list(latencies), elapsed_s=seconds)


def test_results_have_the_documented_shape(tmp_path):
    results = build_results(
        {
            "floor": measured([1.0] * 100, seconds=0.1),
            "organisation-list": measured([10.0] * 95 + [80.0] * 5),
        }
    )
    path = tmp_path / "bench" / "results.json"
    write_results(path, results)
    written = json.loads(path.read_text())

    assert list(written) == ["results"]
    for entry in written["results"]:
        assert set(entry) == {"name", "value", "unit", "floor", "ratio"}
        assert isinstance(entry["name"], str) and entry["unit"] in {"ms", "req/s"}
        assert all(isinstance(entry[k], int | float) for k in ("value", "floor", "ratio"))
    by_name = {e["name"]: e for e in written["results"]}
    p95 = by_name["organisation-list p95"]
    assert p95["unit"] == "ms" and p95["floor"] == 1.0
    assert p95["ratio"] == pytest.approx(p95["floor"] / p95["value"], rel=1e-3)
    throughput = by_name["organisation-list throughput"]
    assert throughput == {
        "name": "organisation-list throughput",
        "value": 100.0,
        "unit": "req/s",
        "floor": 1000.0,
        "ratio": 0.1,
    }
    assert goal_for(throughput) == (">= 50% of floor", False)
    assert goal_for(by_name["floor p95"])[1] is None
    assert "organisation-list p95" in format_table(written)


def test_percentile_interpolates():
    assert percentile([], 95) == 0.0
    assert percentile([5.0], 95) == 5.0
    assert percentile(list(range(1, 101)), 50) == pytest.approx(50.5)
    assert percentile([0.0, 10.0], 95) == pytest.approx(9.5)


@pytest.mark.django_db
def test_floor_view_exists_only_in_the_bench_urls(client):
    assert client.get("/bench/floor/").status_code == 404
    with override_settings(ROOT_URLCONF="regionhub.bench_urls"):
        response = client.get("/bench/floor/")
    assert response.status_code == 200
    assert response.content.startswith(b"ok")
