"""Choosing an action's owner: a search by name or email with a bounded list of radios, usable
with 50,000 people in the directory; a search keeps what was typed, errors keep the choice."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from regionhub.directory import people_search
from regionhub.networks.models import Action
from tests.factories import PersonFactory

D = datetime.date
pytestmark = pytest.mark.django_db


def add_url(meeting) -> str:
    return reverse("networks:action-add", args=[meeting.pk])


def edit_url(action) -> str:
    return reverse("networks:action-edit", args=[action.pk])


def owner_radios(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'name="owner" type="radio" value="(\d+)"', html)]


def checked(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'name="owner" type="radio" value="(\d+)" checked', html)]


def results(html: str) -> str:
    return html.split('id="owner-results"')[1].split("</fieldset>")[0]


def test_the_add_page_lists_nobody_until_a_search(client, admin_user, meeting):
    PersonFactory(name="Ada Owner")
    client.force_login(admin_user)
    page = client.get(add_url(meeting)).content.decode()
    assert owner_radios(page) == [] and "Ada Owner" not in page
    assert "Nobody is listed until you search" in page
    assert "<select" not in page


def test_a_search_keeps_what_was_typed_and_shows_no_errors(client, admin_user, meeting):
    for n in range(people_search.PEOPLE_SHOWN + 5):
        PersonFactory(name=f"Morgan {n:02d}")
    client.force_login(admin_user)
    response = client.post(
        add_url(meeting),
        {
            "description": "Circulate the offer",
            "due": "1/6/2024",
            "owner_q": "morgan",
            "find": "owner",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert len(owner_radios(page)) == people_search.PEOPLE_SHOWN
    assert "Morgan 00" in page and f"Morgan {people_search.PEOPLE_SHOWN:02d}" not in page
    assert "refine your search" in page
    assert "Circulate the offer" in page and 'value="1/6/2024"' in page
    assert 'value="morgan"' in page
    assert "There is a problem" not in page
    assert not Action.objects.exists()


def test_a_search_by_email_whatever_the_case(client, admin_user, meeting):
    found = PersonFactory(name="Sam Field", email="s.field@dudley.gov.uk")
    PersonFactory(name="Sam Other", email="other@example.org")
    client.force_login(admin_user)
    page = client.post(add_url(meeting), {"owner_q": "S.FIELD@", "find": "owner"}).content.decode()
    assert owner_radios(page) == [found.pk]
    nobody = client.post(add_url(meeting), {"owner_q": "zzz", "find": "owner"}).content.decode()
    assert owner_radios(nobody) == [] and "Nobody matches ‘zzz’" in nobody


def test_a_chosen_owner_stays_chosen_through_a_search_and_an_error(client, admin_user, meeting):
    chosen = PersonFactory(name="Chris Chosen")
    PersonFactory(name="Dee Other")
    client.force_login(admin_user)
    # A new search that does not match the chosen person keeps them, chosen, above the matches.
    searched = client.post(
        add_url(meeting),
        {"description": "Draft", "owner": chosen.pk, "owner_q": "dee", "find": "owner"},
    ).content.decode()
    assert "Dee Other" in searched and checked(searched) == [chosen.pk]
    assert owner_radios(searched)[0] == chosen.pk
    # Saving with a due date before the meeting: the message is beside the date, the owner is
    # still chosen, the text and the search are kept.
    response = client.post(
        add_url(meeting),
        {"description": "Draft", "owner": chosen.pk, "owner_q": "dee", "due": "1/5/2024"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "before its meeting (14 May 2024)" in page and 'id="id_due-error"' in page
    assert checked(page) == [chosen.pk] and "Draft" in page and 'value="dee"' in page
    assert not Action.objects.exists()
    response = client.post(
        add_url(meeting), {"description": "Draft", "owner": chosen.pk, "due": "1/6/2024"}
    )
    assert response.status_code == 302
    assert Action.objects.get().owner == chosen


def test_no_owner_chosen_gets_a_message_beside_the_search(client, admin_user, meeting):
    PersonFactory(name="Sue Someone")
    client.force_login(admin_user)
    page = client.post(
        add_url(meeting), {"description": "Draft", "due": "1/6/2024", "owner_q": "sue"}
    ).content.decode()
    assert '<p id="owner-error" class="govuk-error-message">' in page
    assert "Choose who owns the action" in page
    # The error summary's link lands in the search box.
    assert 'href="#id_owner"' in page and 'id="id_owner" name="owner_q"' in page
    assert "Sue Someone" in results(page) and "Draft" in page


def test_an_owner_not_in_the_directory_is_refused(client, admin_user, meeting):
    client.force_login(admin_user)
    page = client.post(
        add_url(meeting), {"description": "Draft", "due": "1/6/2024", "owner": "999999"}
    ).content.decode()
    assert "Choose the owner from the list" in page
    assert not Action.objects.exists()


def test_changing_an_action_shows_the_current_owner_and_keeps_them(client, admin_user, meeting):
    current = PersonFactory(name="Cal Current")
    other = PersonFactory(name="Nia New")
    action = Action.objects.create(
        meeting=meeting, description="Old", owner=current, due=D(2024, 6, 1)
    )
    client.force_login(admin_user)
    page = client.get(edit_url(action)).content.decode()
    assert owner_radios(page) == [current.pk] and checked(page) == [current.pk]
    assert "the current owner" in page and "Search to choose someone else" in page
    # Saved without touching the owner: the owner stays.
    data = {"description": "Changed", "due": "1/7/2024", "status": "open"}
    response = client.post(edit_url(action), {**data, "owner": current.pk})
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.owner == current and action.description == "Changed"
    # A search for someone else lists them beside the current owner, still chosen.
    searched = client.post(
        edit_url(action), {**data, "owner": current.pk, "owner_q": "nia", "find": "owner"}
    ).content.decode()
    assert owner_radios(searched) == [current.pk, other.pk] and checked(searched) == [current.pk]
    assert 'value="1/7/2024"' in searched and "Changed" in searched
    response = client.post(edit_url(action), {**data, "owner": other.pk})
    action.refresh_from_db()
    assert response.status_code == 302 and action.owner == other


def test_the_live_search_swaps_only_the_results(client, admin_user, meeting):
    """htmx posts the whole form with `find` and swaps #owner-results; without JavaScript the
    Search button posts the same and the whole page comes back."""
    PersonFactory(name="Hana Live")
    client.force_login(admin_user)
    page = client.get(add_url(meeting)).content.decode()
    assert 'hx-post="' in page and 'hx-select="#owner-results"' in page
    assert '<button type="submit" name="find" value="owner"' in page
    found = client.post(
        add_url(meeting),
        {"owner_q": "hana", "find": "owner", "description": "x"},
        headers={"HX-Request": "true"},
    ).content.decode()
    assert "Hana Live" in results(found)


def test_page_weight_and_query_counts_do_not_grow_with_the_directory(
    client, admin_user, meeting, django_assert_max_num_queries
):
    owner = PersonFactory(name="Kit Owner")
    action = Action.objects.create(meeting=meeting, description="x", owner=owner, due=D(2024, 6, 1))
    client.force_login(admin_user)

    def requests():
        typed = {"owner_q": "person", "description": "x", "owner": owner.pk}
        return [
            ("add", lambda: client.get(add_url(meeting))),
            ("edit", lambda: client.get(edit_url(action))),
            ("search", lambda: client.post(add_url(meeting), {**typed, "find": "owner"})),
            # No due date: the form comes back with its error.
            ("error", lambda: client.post(edit_url(action), typed)),
        ]

    PersonFactory.create_batch(3)
    budgets = {}
    for name, request in requests():
        with CaptureQueriesContext(connection) as ctx:
            assert request().status_code == 200
        budgets[name] = len(ctx.captured_queries)

    PersonFactory.create_batch(150)
    for name, request in requests():
        with django_assert_max_num_queries(budgets[name], info=name):
            page = request().content.decode()
        assert len(owner_radios(page)) <= people_search.PEOPLE_SHOWN + 1, name
        # No list of everyone: the status is the only select on the page.
        assert page.count("<option") <= len(Action.Status.choices), name


def test_only_regional_admins_record_or_change_actions(
    client, admin_user, member, coordinator, meeting
):
    owner = PersonFactory()
    action = Action.objects.create(meeting=meeting, description="x", owner=owner, due=D(2024, 6, 1))
    search = {"owner_q": "person", "find": "owner"}
    for url in (add_url(meeting), edit_url(action)):
        client.logout()
        response = client.get(url)
        assert response.status_code == 302 and "sign-in" in response.url
        for user in (member, coordinator):
            client.force_login(user)
            assert client.get(url).status_code == 404
            assert client.post(url, search).status_code == 404
    client.force_login(admin_user)
    assert client.get(reverse("networks:action-add", args=[meeting.pk + 1000])).status_code == 404
    assert client.get(reverse("networks:action-edit", args=[action.pk + 1000])).status_code == 404
