from io import StringIO

from django.core.management import call_command

from regionhub.newsletter import demo
from regionhub.newsletter.models import Comment, Issue


def test_demo_issues_are_composed_from_the_records(db):
    call_command("load_demo", stdout=StringIO())
    issues = {i.month.isoformat(): i for i in Issue.objects.published()}
    assert set(issues) == {"2024-07-01", "2025-03-01"}
    july = issues["2024-07-01"]
    assert july.source == Issue.Source.COMPOSED
    assert july.approved_by is not None and july.approved_by != july.drafted_by
    dcs = july.sections.get(heading="DCS updates").body
    assert "Karen Graham became Director of Children's Services at Dudley in July 2024." in dcs
    assert "Bernie Brown" in dcs
    assert Comment.objects.filter(status=Comment.Status.APPROVED).exists()
    again = demo.load_demo_data()
    assert "already loaded" in again
    assert Issue.objects.count() == 2
