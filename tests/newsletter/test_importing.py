"""Import of the old website's Regional Updates, read from ../shared/seeds at test time."""

import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied

from regionhub.newsletter import services
from regionhub.newsletter.importing import parse
from regionhub.newsletter.models import Issue
from tests.factories import PersonFactory

SEEDS = Path(settings.BASE_DIR).parent / "shared" / "seeds"
# Two saved pages lost their title line; their months are given as the import page asks.
MONTHS = {"001": datetime.date(2025, 3, 1), "003": datetime.date(2023, 5, 1)}


@pytest.fixture
def seeds() -> dict[str, bytes]:
    if not SEEDS.is_dir():
        pytest.skip(f"the archived Regional Updates are not at {SEEDS}")
    files = {p.name[:3]: p.read_bytes() for p in sorted(SEEDS.glob("*.txt"))}
    if len(files) < 5:
        pytest.skip(f"expected five archived Regional Updates in {SEEDS}")
    return files


def _import_all(actor, seeds):
    return {
        key: services.issue_import(
            actor=actor, filename=f"{key}.txt", data=data, month=MONTHS.get(key)
        )
        for key, data in seeds.items()
    }


def test_all_five_seeds_import(admin_user, seeds):
    reports = _import_all(admin_user, seeds)
    assert all(r.ok and r.created for r in reports.values()), [r.error for r in reports.values()]
    assert Issue.objects.count() == 5
    months = {i.month: i for i in Issue.objects.all()}
    assert set(months) == {
        datetime.date(2022, 12, 1),
        datetime.date(2023, 5, 1),
        datetime.date(2023, 6, 1),
        datetime.date(2024, 7, 1),
        datetime.date(2025, 3, 1),
    }
    june = months[datetime.date(2023, 6, 1)]
    assert june.title == "Regional Update – June 2023"
    assert june.signature == "Jo Britton" and june.sign_off == "Best wishes"
    assert june.status == Issue.Status.PUBLISHED and june.source == Issue.Source.IMPORTED
    june_headings = [s.heading for s in june.sections.all()]
    assert june_headings[:4] == [
        "Jenny Turnross",
        "Media and Communications Network",
        "PSW Conference",
        "SEND Workshop",
    ]
    assert june_headings[-1] == "Key Events"

    july = months[datetime.date(2024, 7, 1)]
    assert july.author_line == "From Shropshire’s DCS"
    assert july.signature == "Tanya Miles" and july.sign_off == "Kind regards"
    dcs = july.sections.get(heading="DCS updates")
    assert "Bernie Brown" in dcs.body
    assert "Independent Scrutineer Vacancy" in [s.heading for s in july.sections.all()]

    march = months[datetime.date(2025, 3, 1)]
    assert march.title == "Regional Update – March 2025"
    assert march.author_line.startswith("From Telford and Wrekin’s DCS and our outgoing chair")
    assert march.signature == "Jo Britton"

    december = months[datetime.date(2022, 12, 1)]
    assert december.signature == "Emma Bennett"
    assert "Leadership Programmes" in [s.heading for s in december.sections.all()]

    may = months[datetime.date(2023, 5, 1)]
    assert may.signature == "Lisa Lyons"
    assert [s.heading for s in may.sections.all()][:2] == ["John Gregg", "Ofsted"]


def test_chrome_is_removed(admin_user, seeds):
    _import_all(admin_user, seeds)
    for issue in Issue.objects.prefetch_related("sections"):
        text = issue.foreword + "".join(s.heading + s.body for s in issue.sections.all())
        for chrome in ("top of page", "bottom of page", "Recent Posts", "See All", "views0"):
            assert chrome not in text, (issue.title, chrome)
        last = issue.sections.all()[len(issue.sections.all()) - 1].body
        assert not last.rstrip().endswith("Comments")


def test_reimport_updates_the_same_issue(admin_user, seeds):
    first = _import_all(admin_user, seeds)
    again = _import_all(admin_user, seeds)
    assert Issue.objects.count() == 5
    for key, report in again.items():
        assert report.updated and not report.created
        assert report.issue.pk == first[key].issue.pk
        assert report.sections == first[key].sections
        assert report.issue.sections.count() == report.sections


def test_file_without_a_title_or_date_asks_for_the_month(admin_user, seeds):
    report = services.issue_import(actor=admin_user, filename="001.txt", data=seeds["001"])
    assert not report.ok and report.needs_month
    assert "give the month" in report.error
    assert not Issue.objects.exists()


def test_guessed_month_never_overwrites_another_issue(admin_user, seeds):
    services.issue_import(actor=admin_user, filename="000.txt", data=seeds["000"])
    # Its first full date is 22 June 2023, which is the June issue's month.
    report = services.issue_import(actor=admin_user, filename="003.txt", data=seeds["003"])
    assert not report.ok and report.needs_month
    assert "Regional Update – June 2023 is already in the archive" in report.error
    june = Issue.objects.get()
    assert june.signature == "Jo Britton"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"   \n\n", "The file is empty."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary"),
        (b"top of page\nSome words with no month at all.\nbottom of page", "give the month"),
        (b"top of page\n43 views0 comments\nRecent Posts\nSee All\nbottom of page", "no text"),
    ],
)
def test_unreadable_files_are_reported_and_nothing_imported(admin_user, data, message):
    report = services.issue_import(actor=admin_user, filename="bad.txt", data=data)
    assert not report.ok
    assert message in report.error
    assert not Issue.objects.exists()


def test_html_input(admin_user):
    html = """<!DOCTYPE html><html><head><title>x</title><script>var a = 1;</script></head>
    <body><p>top of page</p><h1>Regional Update – July 2024</h1>
    <p>From Shropshire&rsquo;s DCS.</p><p>Our year &amp; more.</p><p>Kind regards</p>
    <p>Tanya Miles</p><h2>DCS updates:</h2><p>Bernie Brown has started.</p>
    <h2>Key Events:</h2><p>Upcoming conferences:</p><p>Big Thinking 24</p>
    <p>34 views0 comments</p><p>bottom of page</p></body></html>"""
    report = services.issue_import(actor=admin_user, filename="july.html", data=html.encode())
    assert report.ok, report.error
    issue = report.issue
    assert issue.month == datetime.date(2024, 7, 1)
    assert issue.author_line == "From Shropshire’s DCS"
    assert issue.foreword == "Our year & more."
    assert [s.heading for s in issue.sections.all()] == ["DCS updates", "Key Events"]
    key_events = issue.sections.get(heading="Key Events")
    assert "<h3>Upcoming conferences</h3>" in key_events.body_html
    assert "var a" not in issue.foreword + key_events.body


def test_imported_script_is_sanitised(admin_user):
    data = (
        "Regional Update – August 2024\nWords.\nKind regards\nA Person\nOfsted:\n"
        "<script>alert(1)</script> and <b onclick='x()'>bold</b>\n"
    ).encode()
    report = services.issue_import(actor=admin_user, filename="a.txt", data=data)
    assert report.ok
    html = report.issue.sections.get().body_html
    assert "<script" not in html and "onclick" not in html


def test_foreword_author_is_matched_in_the_directory(admin_user, seeds):
    jo = PersonFactory(name="Jo Britton")
    report = services.issue_import(actor=admin_user, filename="000.txt", data=seeds["000"])
    assert report.issue.foreword_author == jo


def test_no_sign_off_is_reported(admin_user):
    data = "Regional Update – August 2024\nOfsted:\nA judgement.\n".encode()
    report = services.issue_import(actor=admin_user, filename="a.txt", data=data)
    assert report.ok
    assert any("No sign-off" in note for note in report.notes)
    assert report.issue.foreword == ""


def test_only_admins_import(member, seeds):
    with pytest.raises(PermissionDenied):
        services.issue_import(actor=member, filename="000.txt", data=seeds["000"])


def test_parse_month_from_a_date(seeds):
    parsed = parse(seeds["003"])
    assert parsed.month == datetime.date(2023, 6, 1)
    assert "22nd June 2023" in parsed.month_from


def test_import_command(admin_user, seeds, tmp_path, capsys):
    from django.core.management import CommandError, call_command

    no_title = tmp_path / "no-title.txt"
    no_title.write_bytes(seeds["001"])
    with pytest.raises(CommandError):
        call_command("import_updates", str(no_title))
    call_command("import_updates", str(no_title), "--month", "no-title.txt=March 2025")
    assert "Regional Update – March 2025 created" in capsys.readouterr().out
    assert Issue.objects.get().month == datetime.date(2025, 3, 1)
