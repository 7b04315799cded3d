"""Feedback: questions, answering once, who may answer and who may see the results."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from regionhub.core.models import AuditEntry
from regionhub.events import selectors, services
from regionhub.events.models import Booking, Event, FeedbackAnswer, FeedbackQuestion
from regionhub.events.services import FeedbackError
from tests.events.conftest import make_event, member_of
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
K = FeedbackQuestion.Kind


@pytest.fixture
def past(admin_user, authority):
    """A held event hosted by `authority`, with a rating, a choice and a text question."""
    event = make_event(admin_user, host=authority)
    for kind, text, choices in (
        (K.RATING, "How useful was the day?", ""),
        (K.CHOICE, "Best session", "Morning keynote\nWorkshops\nPanel"),
        (K.TEXT, "One thing you will do differently", ""),
    ):
        services.question_add(actor=admin_user, event=event, kind=kind, text=text, choices=choices)
    Event.objects.filter(pk=event.pk).update(starts_at=timezone.now() - datetime.timedelta(days=1))
    event.refresh_from_db()
    return event


def attendee(event, authority, status=Booking.Status.ATTENDED, **kwargs):
    user = member_of(authority, **kwargs)
    Booking.objects.create(event=event, person=user.person, authority=authority, status=status)
    return user


def answers(event, rating=4, choice="Workshops", text=""):
    rating_q, choice_q, text_q = event.questions.all()
    return {rating_q.pk: rating, choice_q.pk: choice, text_q.pk: text}


def form_data(event, rating="4", choice="Workshops", text=""):
    return {f"q{pk}": value for pk, value in answers(event, rating, choice, text).items()}


class TestQuestions:
    def test_only_admins_add_questions(self, past, coordinator):
        with pytest.raises(Exception, match="regional admins"):
            services.question_add(actor=coordinator, event=past, kind=K.TEXT, text="Anything?")

    def test_a_choice_needs_two_options(self, admin_user, past):
        with pytest.raises(FeedbackError, match="at least two options"):
            services.question_add(
                actor=admin_user, event=past, kind=K.CHOICE, text="Which?", choices="Only one"
            )

    def test_questions_and_anonymity_are_fixed_once_people_answer(
        self, admin_user, past, authority
    ):
        user = attendee(past, authority)
        services.feedback_submit(actor=user, event=past, answers=answers(past))
        with pytest.raises(FeedbackError, match="already answered"):
            services.question_add(actor=admin_user, event=past, kind=K.TEXT, text="More?")
        with pytest.raises(FeedbackError, match="already answered"):
            services.feedback_anonymity_set(actor=admin_user, event=past, anonymous=False)

    def test_admin_page_adds_a_question_and_keeps_bad_input(self, client, admin_user, past):
        client.force_login(admin_user)
        url = reverse("events:feedback-questions", args=[past.pk])
        page = client.post(
            url,
            {
                "action": "question",
                "question-text": "Which?",
                "question-kind": "choice",
                "question-choices": "Only one",
            },
        ).content.decode()
        assert "Give at least two options" in page and 'value="Which?"' in page
        client.post(
            url,
            {
                "action": "question",
                "question-text": "Venue?",
                "question-kind": "rating",
                "question-choices": "",
            },
        )
        assert past.questions.last().text == "Venue?"

    def test_questions_page_is_404_for_coordinators(self, client, coordinator, past):
        client.force_login(coordinator)
        url = reverse("events:feedback-questions", args=[past.pk])
        assert client.get(url).status_code == 404


class TestDeletingAQuestion:
    def url(self, question):
        return reverse("events:feedback-question-delete", args=[question.event_id, question.pk])

    def test_asks_first_then_deletes_with_an_audit_row(self, client, admin_user, past):
        question = past.questions.get(kind=K.TEXT)
        client.force_login(admin_user)
        page = client.get(self.url(question)).content.decode()
        assert "Delete this question?" in page and question.text in page
        assert "Nobody has answered it yet" in page
        assert past.questions.filter(pk=question.pk).exists()  # asking deletes nothing
        response = client.post(self.url(question), follow=True)
        assert "Question deleted." in response.content.decode()
        assert response.redirect_chain[-1][0] == reverse(
            "events:feedback-questions", args=[past.pk]
        )
        assert not past.questions.filter(pk=question.pk).exists()
        entry = AuditEntry.objects.get(action="events.feedback.question_deleted")
        assert entry.actor == admin_user and entry.object_id == str(past.pk)
        assert entry.before["text"] == question.text
        assert entry.after == {"answers_deleted": 0}

    def test_says_how_many_answers_go_with_it_and_keeps_the_others(
        self, client, admin_user, past, authority
    ):
        for rating in (5, 3, 4):
            services.feedback_submit(
                actor=attendee(past, authority), event=past, answers=answers(past, rating=rating)
            )
        rating_q = past.questions.get(kind=K.RATING)
        client.force_login(admin_user)
        page = client.get(self.url(rating_q)).content.decode()
        assert "3 answers to this question will be deleted with it" in page
        response = client.post(self.url(rating_q), follow=True)
        assert "Question deleted and its 3 answers." in response.content.decode()
        assert not FeedbackAnswer.objects.filter(rating__isnull=False).exists()
        # The other questions keep their answers; the results carry on without the question.
        assert FeedbackAnswer.objects.filter(question__kind=K.CHOICE).count() == 3
        assert past.feedback.count() == 3
        results = client.get(reverse("events:feedback-results", args=[past.pk]))
        assert results.status_code == 200
        assert rating_q.text not in results.content.decode()
        entry = AuditEntry.objects.get(action="events.feedback.question_deleted")
        assert entry.after == {"answers_deleted": 3}

    def test_the_questions_page_links_to_it(self, client, admin_user, past):
        client.force_login(admin_user)
        page = client.get(reverse("events:feedback-questions", args=[past.pk])).content.decode()
        for question in past.questions.all():
            assert self.url(question) in page

    def test_404_for_everyone_but_regional_admins(self, client, past, coordinator, authority):
        question = past.questions.first()
        for user in (coordinator, member_of(authority), UserFactory(role="coordinator")):
            client.force_login(user)
            assert client.get(self.url(question)).status_code == 404
            assert client.post(self.url(question)).status_code == 404
        client.logout()
        assert client.post(self.url(question)).status_code == 302  # to sign in
        assert past.questions.filter(pk=question.pk).exists()
        with pytest.raises(PermissionDenied):
            services.question_delete(actor=coordinator, question=question)

    def test_a_question_of_another_event_is_404(self, client, admin_user, past):
        other = make_event(admin_user, title="Another event")
        question = past.questions.first()
        client.force_login(admin_user)
        url = reverse("events:feedback-question-delete", args=[other.pk, question.pk])
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 404
        assert past.questions.filter(pk=question.pk).exists()

    def test_deleting_twice_says_so(self, client, admin_user, past):
        question = past.questions.first()
        services.question_delete(actor=admin_user, question=question)
        with pytest.raises(FeedbackError, match="already been deleted"):
            services.question_delete(actor=admin_user, question=question)


class TestAnswering:
    def test_each_attendee_answers_once(self, client, past, authority):
        user = attendee(past, authority)
        client.force_login(user)
        url = reverse("events:feedback-give", args=[past.pk])
        assert "Your answers are anonymous" in client.get(url).content.decode()
        response = client.post(url, form_data(past, text="Use the supervision model"), follow=True)
        assert "Thank you for your feedback" in response.content.decode()
        again = client.post(url, form_data(past, rating="1"), follow=True).content.decode()
        assert "already given feedback" in again
        assert past.feedback.count() == 1
        assert list(
            FeedbackAnswer.objects.values_list("rating", flat=True).exclude(rating=None)
        ) == [4]
        with pytest.raises(FeedbackError, match="already given feedback"):
            services.feedback_submit(actor=user, event=past, answers=answers(past))

    def test_anonymous_answers_are_not_linked(self, past, authority):
        user = attendee(past, authority)
        services.feedback_submit(actor=user, event=past, answers=answers(past, text="Listen"))
        assert not FeedbackAnswer.objects.filter(submission__isnull=False).exists()

    def test_named_answers_show_who(self, admin_user, past, authority):
        services.feedback_anonymity_set(actor=admin_user, event=past, anonymous=False)
        user = attendee(past, authority, name="Dana Named")
        services.feedback_submit(actor=user, event=past, answers=answers(past, text="Listen"))
        text = selectors.feedback_results(past).questions[2]
        assert text.texts == [("Listen", "Dana Named")]

    @pytest.mark.parametrize(
        "status", [Booking.Status.NO_SHOW, Booking.Status.WAITLISTED, Booking.Status.CANCELLED]
    )
    def test_only_attendees_answer(self, client, past, authority, status):
        user = attendee(past, authority, status=status)
        with pytest.raises(FeedbackError, match="Only people who attended"):
            services.feedback_submit(actor=user, event=past, answers=answers(past))
        client.force_login(user)
        assert client.get(reverse("events:feedback-give", args=[past.pk])).status_code == 404
        assert (
            client.post(
                reverse("events:feedback-give", args=[past.pk]), form_data(past)
            ).status_code
            == 404
        )
        assert not past.feedback.exists()

    def test_confirmed_before_the_start_cannot_answer(self, admin_user, authority):
        event = make_event(admin_user)
        services.question_add(actor=admin_user, event=event, kind=K.TEXT, text="Anything?")
        user = attendee(event, authority, status=Booking.Status.CONFIRMED)
        with pytest.raises(FeedbackError, match="Only people who attended"):
            services.feedback_submit(actor=user, event=event, answers={})

    def test_bad_answers_are_refused(self, client, past, authority):
        user = attendee(past, authority)
        with pytest.raises(FeedbackError, match="rating from 1 to 5"):
            services.feedback_submit(actor=user, event=past, answers=answers(past, rating=9))
        with pytest.raises(FeedbackError, match="one of the options"):
            services.feedback_submit(actor=user, event=past, answers=answers(past, choice="Lunch"))
        client.force_login(user)
        page = client.post(
            reverse("events:feedback-give", args=[past.pk]),
            form_data(past, rating="", text="kept this"),
        ).content.decode()
        assert "Choose a rating" in page and "kept this" in page
        assert not past.feedback.exists()


class TestResults:
    def _answer_all(self, past, authority):
        given = [
            (5, "Workshops", "Use trauma-informed supervision in team meetings"),
            (4, "Workshops", "More reflective supervision"),
            (2, "Panel", ""),
        ]
        for n, (rating, choice, text) in enumerate(given):
            user = attendee(past, authority, name=f"Attendee {n}")
            services.feedback_submit(
                actor=user, event=past, answers=answers(past, rating, choice, text)
            )
        attendee(past, authority, name="Did not answer")

    def test_counts_average_answers_and_highlights(self, past, authority):
        self._answer_all(past, authority)
        results = selectors.feedback_results(past)
        rating, choice, text = results.questions
        assert rating.average == 3.7
        assert [n for _, n, _ in rating.options] == [0, 1, 0, 1, 1]
        assert choice.options == [("Morning keynote", 0, 0), ("Workshops", 2, 67), ("Panel", 1, 33)]
        assert len(text.texts) == 2 and all(who == "" for _, who in text.texts)
        assert results.highlights == [
            "3 people gave feedback, 75% of the 4 who attended.",
            "“How useful was the day?”: 3.7 out of 5 on average; 2 of 3 gave 4 or 5.",
            "“Best session”: “Workshops” was chosen most (2 of 3, 67%).",
            "“One thing you will do differently”: 2 answers; words that come up most: "
            "supervision (2).",
        ]

    def test_no_answers_yet(self, past):
        assert selectors.feedback_results(past).highlights == ["Nobody has given feedback yet."]

    def test_results_for_admins_and_the_hosts_coordinators_only(
        self,
        client,
        admin_user,
        coordinator,
        past,
        authority,
        other_authority,
        django_assert_max_num_queries,
    ):
        self._answer_all(past, authority)
        url = reverse("events:feedback-results", args=[past.pk])
        client.force_login(admin_user)
        with django_assert_max_num_queries(12):
            page = client.get(url).content.decode()
        assert "3.7 out of 5 on average" in page and "More reflective supervision" in page
        client.force_login(coordinator)
        assert "Highlights" in client.get(url).content.decode()
        other = UserFactory(role="coordinator", organisation=other_authority)
        other.coordinated_authorities.add(other_authority)
        for user in (other, member_of(authority), past.bookings.first().person.user):
            client.force_login(user)
            assert client.get(url).status_code == 404
