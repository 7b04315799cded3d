import datetime
import http.server
import json
import threading
from io import StringIO
from types import ModuleType

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings

from regionhub.accounts.models import User
from regionhub.core.management.commands.bench import (
    FLOOR,
    FLOOR_PATH,
    Measurement,
    build_results,
    collect_targets,
    discover_suites,
    drive,
    format_table,
    goal_for,
    percentile,
    probe_targets,
    suite_generate_commands,
    write_results,
)
from regionhub.directory import bench as directory_bench
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
    goals = {"organisation-list": {"p95_goal_ms": 50.0, "throughput_goal_ratio": 0.5}}
    assert goal_for(throughput, goals) == (">= 50% of floor", False)
    assert goal_for(by_name["floor p95"], goals)[1] is None
    assert "organisation-list p95" in format_table(written, goals)


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


def suite(name: str, **functions) -> ModuleType:
    module = ModuleType(name)
    module.__dict__.update(functions)
    return module


def test_goals_come_from_each_target():
    results = build_results(
        {
            FLOOR: measured([1.0] * 100, seconds=0.1),
            "page": measured([40.0] * 100),
            "page signed-in": measured([60.0] * 100),
        }
    )
    goals = {
        FLOOR: {"p95_goal_ms": None, "throughput_goal_ratio": None},
        "page": {"p95_goal_ms": 50.0, "throughput_goal_ratio": 0.05},
        "page signed-in": {"p95_goal_ms": 100.0, "throughput_goal_ratio": None},
    }
    by_name = {e["name"]: e for e in results["results"]}
    assert goal_for(by_name["page p95"], goals) == ("<= 50 ms", True)
    assert goal_for(by_name["page throughput"], goals) == (">= 5% of floor", True)
    assert goal_for(by_name["page signed-in p95"], goals) == ("<= 100 ms", True)
    assert goal_for(by_name["page signed-in throughput"], goals) == ("", None)
    assert goal_for(by_name["page p50"], goals) == ("", None)
    assert goal_for(by_name["floor p95"], goals) == ("", None)

    goals["page signed-in"]["p95_goal_ms"] = 50.0
    assert goal_for(by_name["page signed-in p95"], goals) == ("<= 50 ms", False)
    table = format_table(results, goals).splitlines()
    row = next(line for line in table if line.startswith("page signed-in p95"))
    assert row.split()[-2:] == ["ms", "NO"]
    # Without goals nothing is judged.
    assert "NO" not in format_table(results) and "yes" not in format_table(results)


def test_discovery_finds_the_directory_suite_in_installed_apps_order():
    suites = discover_suites()
    apps = [app for app, _ in suites]
    assert ("regionhub.directory", directory_bench) in suites
    assert all(app.startswith("regionhub.") for app in apps)
    assert "regionhub.core" not in apps and "regionhub.accounts" not in apps
    assert apps == sorted(apps, key=settings.INSTALLED_APPS.index)


def test_generate_commands_take_the_bench_scale_and_may_ignore_options():
    options = {"people": 2000, "appointments": 3000, "authorities": 20, "duration": 2.0}
    assert suite_generate_commands(directory_bench, options) == [
        ["generate_national", "--people", "2000", "--appointments", "3000", "--authorities", "20"],
        ["bench_users"],
    ]
    assert directory_bench.generate_commands() == [["generate_national"], ["bench_users"]]
    assert suite_generate_commands(suite("plain", generate_commands=lambda: [["x"]]), {}) == [["x"]]
    assert suite_generate_commands(suite("none"), options) == []
    with pytest.raises(CommandError):
        suite_generate_commands(suite("bad", generate_commands=lambda: [["x", 1]]), {})


@pytest.mark.django_db
def test_bench_users_are_made_once_with_their_roles():
    call_command("bench_users", stdout=StringIO())
    User.objects.filter(email=directory_bench.ADMIN_EMAIL).update(role=User.Role.MEMBER)
    call_command("bench_users", stdout=StringIO())
    call_command("bench_users", stdout=StringIO())
    roles = dict(User.objects.values_list("email", "role"))
    assert roles == {
        directory_bench.MEMBER_EMAIL: User.Role.MEMBER,
        directory_bench.ADMIN_EMAIL: User.Role.REGIONAL_ADMIN,
    }
    assert not User.objects.get(email=directory_bench.MEMBER_EMAIL).has_usable_password()


@pytest.mark.django_db
def test_directory_targets_are_read_anonymously_and_signed_in():
    generate(**SMALL)
    targets = directory_bench.targets()
    anonymous = [t for t in targets if t["user"] is None]
    signed_in = [t for t in targets if t["user"]]
    names = ["organisation-list", "organisation-page", "person-page", "post-page", "as-at"]
    assert [t["name"] for t in anonymous] == names
    assert [t["name"] for t in signed_in] == [f"{n} signed-in" for n in names]
    assert [t["path"] for t in signed_in] == [t["path"] for t in anonymous]
    assert {(t["p95_goal_ms"], t["throughput_goal_ratio"]) for t in anonymous} == {(50.0, 0.5)}
    assert {(t["user"], t["p95_goal_ms"], t["throughput_goal_ratio"]) for t in signed_in} == {
        (directory_bench.MEMBER_EMAIL, 50.0, None)
    }

    collected = collect_targets([("regionhub.directory", directory_bench)])
    assert collected[0] == {
        "name": FLOOR,
        "path": FLOOR_PATH,
        "user": None,
        "p95_goal_ms": None,
        "throughput_goal_ratio": None,
    }
    assert collected[1:] == targets
    twice = [("a", directory_bench), ("b", directory_bench)]
    with pytest.raises(CommandError, match="repeated"):
        collect_targets(twice)


@pytest.mark.django_db
@override_settings(ROOT_URLCONF="regionhub.bench_urls")
def test_signed_in_targets_are_probed_signed_in_and_hand_back_the_session_cookie():
    generate(**SMALL)
    call_command("bench_users", stdout=StringIO())
    probes = probe_targets(collect_targets([("regionhub.directory", directory_bench)]))
    assert all(p["status"] == 200 for p in probes), [(p["name"], p["status"]) for p in probes]
    assert all(p["queries"] >= 1 for p in probes if p["name"] != FLOOR)
    assert all(p["cookie"] is None for p in probes if p["user"] is None)
    cookies = {p["cookie"] for p in probes if p["user"]}
    assert len(cookies) == 1
    cookie = cookies.pop()
    assert cookie.startswith(f"{settings.SESSION_COOKIE_NAME}=")

    # The cookie alone signs a request in, which is all the load driver sends.
    response = Client(HTTP_COOKIE=cookie).get("/directory/")
    assert response.wsgi_request.user.email == directory_bench.MEMBER_EMAIL


@pytest.mark.django_db
def test_probing_as_a_missing_user_fails_clearly():
    target = {"name": "x", "path": "/directory/", "user": "nobody@example.com"}
    with pytest.raises(CommandError, match="without --skip-generate"):
        probe_targets([target])


def test_the_load_driver_sends_the_cookie_on_every_request():
    seen: list[str | None] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            if self.path != FLOOR_PATH:
                seen.append(self.headers.get("Cookie"))
            body = b"ok 1"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        m, _ = drive(port, "/page/", seconds=0.2, concurrency=2, cookie="sessionid=abc")
        plain, _ = drive(port, "/page/", seconds=0.1, concurrency=1)
    finally:
        server.shutdown()
        server.server_close()
    assert m.requests > 0 and not m.errors and plain.requests > 0
    assert seen[: m.requests] == ["sessionid=abc"] * m.requests
    assert set(seen[m.requests :]) == {None}


def test_write_benchmarks_add_their_figures_to_the_results_file(tmp_path):
    from regionhub.core.management.commands.bench import add_results

    path = tmp_path / "bench" / "results.json"
    add_results(path, [{"name": "a", "value": 1}])  # made when missing
    add_results(path, [{"name": "b", "value": 2}, {"name": "a", "value": 3}])
    saved = json.loads(path.read_text())
    assert sorted((e["name"], e["value"]) for e in saved["results"]) == [("a", 3), ("b", 2)]
