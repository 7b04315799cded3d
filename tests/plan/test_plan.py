import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from regionhub.core.models import AuditEntry
from regionhub.plan import services
from regionhub.plan.models import Milestone, StatusUpdate
from regionhub.plan.selectors import initiative_timeline, plan_as_at, plan_updates_between
from regionhub.plan.services import PlanError

D = datetime.date


@pytest.fixture
def initiative(admin_user):
    return services.initiative_create(
        actor=admin_user,
        data={"title": "Safe Centre", "start": D(2023, 1, 1), "planned_end": D(2025, 12, 31)},
    )


def _update(actor, initiative, date, rag, narrative=""):
    return services.status_update_add(
        actor=actor, initiative=initiative, date=date, rag=rag, narrative=narrative
    )


def test_only_admins_change_the_plan(coordinator, member, initiative):
    for user in (coordinator, member):
        with pytest.raises(PermissionDenied):
            services.initiative_create(
                actor=user,
                data={"title": "X", "start": D(2024, 1, 1), "planned_end": D(2025, 1, 1)},
            )
        with pytest.raises(PermissionDenied):
            _update(user, initiative, D(2024, 1, 1), "green")


def test_initiative_end_before_start(admin_user):
    with pytest.raises(PlanError) as error:
        services.initiative_create(
            actor=admin_user,
            data={"title": "AI", "start": D(2024, 6, 1), "planned_end": D(2024, 1, 1)},
        )
    assert error.value.field == "planned_end"


def test_status_update_needs_a_rag(admin_user, initiative):
    with pytest.raises(PlanError, match="Choose a RAG rating") as error:
        _update(admin_user, initiative, D(2024, 1, 1), "")
    assert error.value.field == "rag"
    with pytest.raises(PlanError, match="not a RAG rating"):
        _update(admin_user, initiative, D(2024, 1, 1), "blue")
    assert not StatusUpdate.objects.exists()


def test_milestone_after_planned_end_needs_confirmation(admin_user, initiative):
    with pytest.raises(PlanError) as error:
        services.milestone_add(
            actor=admin_user, initiative=initiative, title="Building opens", due=D(2026, 3, 1)
        )
    assert error.value.field == "due" and "after Safe Centre's planned end" in error.value.message
    milestone = services.milestone_add(
        actor=admin_user,
        initiative=initiative,
        title="Building opens",
        due=D(2026, 3, 1),
        confirm_after_end=True,
    )
    # Marking it reached later does not ask again.
    services.milestone_update(actor=admin_user, milestone=milestone, data={"done": D(2026, 3, 2)})
    assert Milestone.objects.get().done == D(2026, 3, 2)
    assert AuditEntry.objects.filter(action="plan.milestone.updated").count() == 1


def test_rag_as_at_any_date_is_latest_update_on_or_before(admin_user, initiative):
    _update(admin_user, initiative, D(2024, 1, 10), "red", "No site")
    _update(admin_user, initiative, D(2024, 6, 1), "amber", "Site found")
    _update(admin_user, initiative, D(2025, 3, 1), "green", "Site secured")
    other = services.initiative_create(
        actor=admin_user,
        data={"title": "Agency MoU", "start": D(2023, 1, 1), "planned_end": D(2026, 1, 1)},
    )

    def rag_on(date):
        return {i.title: (i.rag, i.rag_date) for i in plan_as_at(date)}

    assert rag_on(D(2024, 1, 9)) == {"Agency MoU": (None, None), "Safe Centre": (None, None)}
    assert rag_on(D(2024, 1, 10))["Safe Centre"] == ("red", D(2024, 1, 10))
    assert rag_on(D(2024, 5, 31))["Safe Centre"] == ("red", D(2024, 1, 10))
    assert rag_on(D(2024, 6, 1))["Safe Centre"] == ("amber", D(2024, 6, 1))
    assert rag_on(D(2030, 1, 1))["Safe Centre"] == ("green", D(2025, 3, 1))
    assert other.title in rag_on(D(2030, 1, 1))


def test_plan_updates_between(admin_user, initiative):
    _update(admin_user, initiative, D(2024, 1, 31), "red")
    inside = _update(admin_user, initiative, D(2024, 2, 1), "amber")
    last = _update(admin_user, initiative, D(2024, 2, 29), "green")
    _update(admin_user, initiative, D(2024, 3, 1), "green")
    assert plan_updates_between(D(2024, 2, 1), D(2024, 2, 29)) == [inside, last]


def test_timeline_orders_everything(admin_user, initiative):
    _update(admin_user, initiative, D(2024, 6, 1), "amber", "Progress")
    services.milestone_add(
        actor=admin_user,
        initiative=initiative,
        title="Site secured",
        due=D(2025, 3, 1),
        done=D(2025, 2, 1),
    )
    kinds = [(e.date, e.kind) for e in initiative_timeline(initiative)]
    assert kinds == [
        (D(2023, 1, 1), "start"),
        (D(2024, 6, 1), "update"),
        (D(2025, 2, 1), "milestone_done"),
        (D(2025, 12, 31), "planned_end"),
    ]


def test_pages(client, admin_user, member, initiative):
    _update(admin_user, initiative, D(2024, 1, 10), "red", "No site yet")
    _update(admin_user, initiative, D(2025, 3, 1), "green", "Site secured")
    client.force_login(member)
    page = client.get(reverse("plan:overview") + "?date=2024-02-01").content.decode()
    assert "As at 1 February 2024" in page and "No site yet" in page and "Site secured" not in page
    assert client.get(initiative.get_absolute_url()).status_code == 200
    assert client.get(reverse("plan:update-add", args=[initiative.pk])).status_code == 404
    assert client.get(reverse("plan:initiative-create")).status_code == 404


def test_forms_show_errors_and_keep_input(client, admin_user, initiative):
    client.force_login(admin_user)
    url = reverse("plan:update-add", args=[initiative.pk])
    response = client.post(url, {"date": "1/4/2024", "rag": "", "narrative": "Kept text"})
    page = response.content.decode()
    assert "Choose a RAG rating: red, amber or green" in page and "Kept text" in page
    assert 'id="id_rag-error"' in page
    assert client.post(url, {"date": "1/4/2024", "rag": "amber"}).status_code == 302
    url = reverse("plan:milestone-add", args=[initiative.pk])
    response = client.post(url, {"title": "Building opens", "due": "1/3/2026"})
    page = response.content.decode()
    assert "planned end (31 December 2025)" in page
    assert 'value="Building opens"' in page
    response = client.post(
        url, {"title": "Building opens", "due": "1/3/2026", "confirm_after_end": "on"}
    )
    assert response.status_code == 302 and Milestone.objects.count() == 1
