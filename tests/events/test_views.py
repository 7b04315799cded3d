import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from regionhub.events import services
from regionhub.events.models import Booking, Event
from tests.events.conftest import make_event, member_of
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
LINK = "https://meet.example/secret-room"


@pytest.fixture
def online(admin_user, authority):
    event = make_event(admin_user, venue="", online_url=LINK, capacity=3)
    services.allocations_set(actor=admin_user, event=event, per_authority={authority.pk: 2})
    return event


def test_anonymous_sees_published_events_without_links(client, admin_user, online):
    draft = make_event(admin_user, title="Secret draft", publish=False)
    listing = client.get(reverse("events:event-list")).content.decode()
    assert online.title in listing and draft.title not in listing
    page = client.get(online.get_absolute_url()).content.decode()
    assert LINK not in page and "Sign in to book" in page
    assert LINK not in client.get(reverse("events:event-ics", args=[online.pk])).content.decode()
    assert client.get(draft.get_absolute_url()).status_code == 404


def test_anonymous_booking_goes_to_sign_in(client, online):
    response = client.post(reverse("events:booking-create", args=[online.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert not online.bookings.exists()


def test_member_sees_places_left_books_and_then_sees_the_link(client, online):
    user = member_of(online.allocations.get().authority)
    client.force_login(user)
    page = client.get(online.get_absolute_url()).content.decode()
    assert "has 2 of its 2 places left" in page and LINK not in page
    client.post(reverse("events:booking-create", args=[online.pk]))
    page = client.get(online.get_absolute_url()).content.decode()
    assert "has 1 of its 2 places left" in page
    assert LINK in page
    assert "Cancel my place" in page
    # A double-submitted form makes one booking and says why.
    response = client.post(reverse("events:booking-create", args=[online.pk]), follow=True)
    assert "already has a place" in response.content.decode()
    assert online.bookings.count() == 1


def test_full_event_offers_the_waiting_list(client, admin_user, authority):
    event = make_event(admin_user, capacity=0)
    client.force_login(member_of(authority))
    assert "Join the waiting list" in client.get(event.get_absolute_url()).content.decode()
    client.post(reverse("events:booking-create", args=[event.pk]))
    assert event.bookings.get().status == Booking.Status.WAITLISTED


def test_coordinator_of_another_authority_gets_404(client, admin_user, online, other_authority):
    coordinator = member_of(other_authority)
    coordinator.role = "coordinator"
    coordinator.save()
    coordinator.coordinated_authorities.add(other_authority)
    mine = online.allocations.get().authority
    booking = services.booking_create(
        actor=admin_user, event=online, person=PersonFactory(organisation=mine)
    )
    client.force_login(coordinator)
    urls = [
        reverse("events:authority-places", args=[online.pk, mine.pk]),
        reverse("events:reservation-name", args=[booking.pk]),
        reverse("events:booking-swap", args=[booking.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"action": "reserve", "reserve-count": 1}).status_code == 404
    assert client.post(reverse("events:booking-cancel", args=[booking.pk])).status_code == 404
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    assert online.bookings.count() == 1


def test_coordinator_manages_their_places(client, online, coordinator, authority):
    colleague = PersonFactory(organisation=authority, name="Adam Johnston")
    url = reverse("events:authority-places", args=[online.pk, authority.pk])
    client.force_login(coordinator)
    client.post(url, {"action": "book", "book-person": colleague.pk})
    client.post(url, {"action": "reserve", "reserve-count": "1"})
    page = client.get(url).content.decode()
    assert "Adam Johnston" in page and "Unnamed place" in page
    reserved = online.bookings.get(status=Booking.Status.RESERVED)
    other = PersonFactory(organisation=authority, name="Tina Russell")
    response = client.post(
        reverse("events:reservation-name", args=[reserved.pk]), {"person": other.pk}
    )
    assert response.status_code == 302
    reserved.refresh_from_db()
    assert reserved.person == other


def test_reserving_too_many_keeps_what_was_typed(client, online, coordinator, authority):
    client.force_login(coordinator)
    url = reverse("events:authority-places", args=[online.pk, authority.pk])
    response = client.post(url, {"action": "reserve", "reserve-count": "7"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in body and "Only 3 places left" in body
    assert 'value="7"' in body


def test_attendee_lists_are_not_shown_to_members(client, online, authority):
    PersonFactory(organisation=authority, name="Hidden Attendee")
    user = member_of(authority)
    client.force_login(user)
    url = reverse("events:authority-places", args=[online.pk, authority.pk])
    assert client.get(url).status_code == 404
    assert client.get(reverse("events:event-overview")).status_code == 404


class TestAdminForms:
    def post_event(self, client, **changes):
        data = {
            "title": "Participation Leads Conference",
            "kind": "conference",
            "venue": "New Road, Worcester",
            "capacity": "120",
            "price": "0",
            "offer_hours": "0",
            "date": "24/9/2030",
            "start_time": "09:30",
            "end_time": "16:00",
        }
        data.update(changes)
        return client.post(reverse("events:event-create"), data)

    def test_create(self, client, admin_user):
        client.force_login(admin_user)
        response = self.post_event(client, more_sessions="1/10/2030 10:00-10:15 Part two")
        assert response.status_code == 302
        event = Event.objects.get()
        assert event.sessions.count() == 2
        assert event.starts_at.hour == 8  # 09:30 BST is 08:30 UTC

    def test_end_before_start_keeps_what_was_typed(self, client, admin_user):
        client.force_login(admin_user)
        body = self.post_event(client, end_time="08:00").content.decode()
        assert "There is a problem" in body and "The end must be after the start" in body
        assert 'value="Participation Leads Conference"' in body
        assert not Event.objects.exists()

    def test_capacity_below_allocations(self, client, admin_user, authority):
        event = make_event(admin_user, capacity=10)
        services.allocations_set(actor=admin_user, event=event, same_for_all=5)
        client.force_login(admin_user)
        body = client.post(
            reverse("events:allocations-edit", args=[event.pk]), {"same_for_all": "11"}
        ).content.decode()
        assert "more than the 10 the event can give" in body
        assert 'value="11"' in body

    def test_overview_shows_fill_by_authority_in_bounded_queries(
        self, client, admin_user, authority, django_assert_max_num_queries
    ):
        for _ in range(3):
            event = make_event(admin_user, capacity=5)
            services.allocations_set(actor=admin_user, event=event, same_for_all=2)
            services.booking_create(
                actor=admin_user, event=event, person=PersonFactory(organisation=authority)
            )
        client.force_login(admin_user)
        with django_assert_max_num_queries(10):
            body = client.get(reverse("events:event-overview")).content.decode()
        assert body.count(authority.name) == 3

    def test_members_cannot_reach_admin_pages(self, client, member, online):
        client.force_login(member)
        for name in ("event-edit", "allocations-edit"):
            assert client.get(reverse(f"events:{name}", args=[online.pk])).status_code == 404
        assert client.get(reverse("events:event-create")).status_code == 404
        assert client.post(reverse("events:event-cancel", args=[online.pk])).status_code == 404


def test_event_list_queries_do_not_grow(
    client, admin_user, authority, django_assert_max_num_queries
):
    for _ in range(8):
        make_event(admin_user)
    client.force_login(member_of(authority))
    with django_assert_max_num_queries(12):
        client.get(reverse("events:event-list"))


def test_event_list_pages_through_upcoming_events(client, admin_user):
    for n in range(27):
        make_event(admin_user, title=f"Event {n:02d}", days=n + 1)
    page = client.get(reverse("events:event-list")).content.decode()
    assert "Event 24" in page and "Event 25" not in page and "Later events" in page
    page = client.get(reverse("events:event-list") + "?page=2").content.decode()
    assert "Event 25" in page and "Event 26" in page and "Event 24" not in page
    assert "Sooner events" in page and "Later events" not in page
    assert "Event 00" in client.get(reverse("events:event-list") + "?page=x").content.decode()


def test_cached_event_list_follows_every_booking(
    client, settings, admin_user, authority, django_capture_on_commit_callbacks
):
    settings.PAGE_CACHE = True
    event = make_event(admin_user, capacity=3)
    client.force_login(member_of(authority))
    url = reverse("events:event-list")
    assert "3 left" in client.get(url).content.decode()
    with CaptureQueriesContext(connection) as served_from_cache:
        assert "3 left" in client.get(url).content.decode()
    assert not any("events_event" in q["sql"] for q in served_from_cache.captured_queries)
    with django_capture_on_commit_callbacks(execute=True):
        services.booking_create(actor=admin_user, event=event, person=PersonFactory())
    assert "2 left" in client.get(url).content.decode()
