"""Events in a real browser on the demo data: booking, the waiting list moving after a
cancellation, and a coordinator reserving a place and naming it; axe on every page."""

import re

import pytest
from playwright.sync_api import expect

from regionhub.events.models import Booking, Event

from .conftest import ADMIN, MEMBER, sign_in, submit, visit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

COORDINATOR_DUDLEY = "coordinator.dudley@regionhub.example"
WORKSHOP = "Care leavers' offer workshop"
MASTERCLASS = "Leadership masterclass series"
DUDLEY_PLACES = re.compile(r"^Manage Dudley.*'s places$")


def event_url(title: str) -> str:
    return Event.objects.get(title=title).get_absolute_url()


def switch_user(page, email: str) -> None:
    page.context.clear_cookies()
    sign_in(page, email)


def test_book_a_place(page, demo):
    sign_in(page, MEMBER)
    visit(page, "/events/")
    page.get_by_role("link", name=MASTERCLASS).click()
    page.wait_for_url(re.compile(r"/events/\d+/$"))
    places = page.locator("#places-left")
    expect(places).to_contain_text("Dudley has 3 of its 3 places left")
    submit(page, "Book a place")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Your place is booked")
    expect(places).to_contain_text("Dudley has 2 of its 3 places left")
    expect(page.locator("#my-booking")).to_contain_text("You have a place")
    booking = Booking.objects.get(event__title=MASTERCLASS, person__name="Karen Graham")
    assert booking.status == Booking.Status.CONFIRMED


def test_wait_then_get_the_place_someone_cancels(page, demo):
    url = event_url(WORKSHOP)
    sign_in(page, MEMBER)
    visit(page, url)
    expect(page.locator("#places-left")).to_contain_text("Dudley has 0 of its 1 place left")
    submit(page, "Join the waiting list")
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "You are on the waiting list"
    )
    expect(page.locator("#my-booking")).to_contain_text("number 1")

    # Dudley's coordinator cancels the colleague holding Dudley's place.
    switch_user(page, COORDINATOR_DUDLEY)
    visit(page, url)
    page.get_by_role("link", name=DUDLEY_PLACES).click()
    page.wait_for_url(re.compile(r"/places/\d+/$"))
    holder = Booking.objects.get(
        event__title=WORKSHOP, authority__short_name="Dudley", status=Booking.Status.CONFIRMED
    ).person.name
    submit(page, f"Cancel {holder}'s booking")
    table = page.get_by_role("table", name="Bookings")
    expect(table.get_by_role("row", name=re.compile("Karen Graham"))).to_contain_text("Confirmed")

    switch_user(page, MEMBER)
    visit(page, url)
    expect(page.locator("#my-booking")).to_contain_text("You have a place")
    expect(page.get_by_role("button", name="Cancel my place")).to_be_visible()


def test_coordinator_reserves_an_unnamed_place_and_names_it(page, demo):
    event = Event.objects.get(title=MASTERCLASS)
    sign_in(page, COORDINATOR_DUDLEY)
    visit(page, event.get_absolute_url())
    page.get_by_role("link", name=DUDLEY_PLACES).click()
    page.wait_for_url(re.compile(r"/places/\d+/$"))
    expect(page.locator("#places-left")).to_contain_text("3 of 3 allocated places left")
    page.get_by_label("How many places to reserve").fill("2")
    submit(page, "Reserve")
    expect(page.locator("#places-left")).to_contain_text("1 of 3 allocated places left")
    table = page.get_by_role("table", name="Bookings")
    expect(table.get_by_role("row", name=re.compile("Unnamed place"))).to_have_count(2)

    page.get_by_role("link", name="Name this reserved place").first.click()
    page.wait_for_url(re.compile(r"/bookings/\d+/name/$"))
    visit(page, page.url)
    submit(page, "Name")
    # Nobody chosen: the error summary, and nothing changes.
    expect(page.locator(".govuk-error-summary")).to_contain_text("Choose who the place is for")
    page.get_by_label("Colleague").select_option(label="Karen Graham")
    submit(page, "Name")
    expect(table.get_by_role("row", name=re.compile("Karen Graham"))).to_contain_text("Confirmed")
    expect(table.get_by_role("row", name=re.compile("Unnamed place"))).to_have_count(1)
    expect(page.locator("#places-left")).to_contain_text("1 of 3 allocated places left")
    assert event.bookings.filter(status=Booking.Status.RESERVED).count() == 1


def test_after_the_event_attendance_and_feedback(page, demo):
    event = Event.objects.get(title="Big Thinking 24")
    booking = event.bookings.filter(status=Booking.Status.ATTENDED).first()
    sign_in(page, ADMIN)
    visit(page, event.get_absolute_url())
    page.get_by_role("link", name="Attendance", exact=True).click()
    page.wait_for_url(re.compile(r"/attendance/$"))
    visit(page, page.url)
    # Demo names repeat across authorities, so the row is found by its booking.
    expect(page.locator(f"#id_b{booking.pk}_0")).to_be_checked()
    page.locator(f"#id_b{booking.pk}_1").check()
    submit(page, "Save attendance")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("1 changed")
    booking.refresh_from_db()
    assert booking.status == Booking.Status.NO_SHOW

    visit(page, f"/events/{event.pk}/feedback/results/")
    expect(page.locator("#highlights")).to_contain_text("gave feedback")
    expect(page.locator("#highlights")).to_contain_text("out of 5 on average")

    # Questions for an event nobody has answered yet.
    upcoming = Event.objects.get(title=MASTERCLASS)
    visit(page, f"/events/{upcoming.pk}/feedback/questions/")
    page.get_by_label("Question").fill("Which part helped most?")
    page.get_by_label("Kind of answer").select_option(label="Multiple choice")
    submit(page, "Add the question")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Give at least two options")
    page.get_by_label("Choices").fill("Keynote\nWorkshops")
    submit(page, "Add the question")
    expect(page.locator("#questions")).to_contain_text("Which part helped most?")

    # A question asked by mistake goes, after a confirmation that says what goes with it.
    page.get_by_role("link", name="Delete the question “Which part helped most?”").click()
    page.wait_for_url(re.compile(r"/delete/$"))
    visit(page, page.url)
    expect(page.locator("#answers-warning")).to_contain_text("Nobody has answered it yet")
    submit(page, "Delete the question")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Question deleted")
    expect(page.locator("main")).not_to_contain_text("Which part helped most?")
    expect(page.locator("main")).to_contain_text("No questions yet.")

    # On an event people have answered, the confirmation counts the answers that would go.
    visit(page, f"/events/{event.pk}/feedback/questions/")
    question = event.questions.first()
    answered = question.answers.count()
    assert answered
    page.get_by_role("link", name=f"Delete the question “{question.text}”").click()
    page.wait_for_url(re.compile(r"/delete/$"))
    visit(page, page.url)
    expect(page.locator("#answers-warning")).to_contain_text(
        f"{answered} answer{'s' if answered != 1 else ''} to this question will be deleted"
    )
    page.get_by_role("link", name="Cancel").click()
    page.wait_for_url(re.compile(r"/feedback/questions/$"))
    assert event.questions.filter(pk=question.pk).exists()
