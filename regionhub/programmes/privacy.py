"""A person's interest, applications and mentoring records. Confidential mentoring content is
deleted; applications stay as places taken, without the statement."""

from django.utils import timezone

from .models import Application, Interest, MenteeApplication, MentorOffer


def export_person(person) -> dict[str, list[dict]]:
    return {
        "Programme interest": [
            {
                "programme": i.programme.title,
                "role": i.get_role_display(),
                "registered": _iso(i.created),
            }
            for i in Interest.objects.filter(person=person).select_related("programme")
        ],
        "Programme applications": [
            {
                "programme": a.cohort.programme.title,
                "cohort": a.cohort.name,
                "status": a.get_status_display(),
                "statement": a.statement,
                "applied": _iso(a.created),
            }
            for a in Application.objects.filter(person=person).select_related("cohort__programme")
        ],
        "Mentoring: applications to be mentored": [
            {
                "scheme": m.scheme.name,
                "status": m.get_status_display(),
                "goals": m.goals,
                "areas": ", ".join(m.areas or []),
                "line manager": m.line_manager_name,
                "line manager email": m.line_manager_email,
                "applied": _iso(m.created),
            }
            for m in MenteeApplication.objects.filter(person=person).select_related("scheme")
        ],
        "Mentoring: offers to mentor": [
            {
                "scheme": o.scheme.name,
                "experience": o.experience,
                "areas": ", ".join(o.areas or []),
                "capacity": o.capacity,
                "active": o.is_active,
            }
            for o in MentorOffer.objects.filter(person=person).select_related("scheme")
        ],
    }


def _iso(value):
    return value.isoformat() if value else None


def erasure_blockers(person) -> list[str]:
    today = timezone.localdate()
    open_applications = (
        Application.objects.filter(person=person, cohort__starts__gte=today)
        .exclude(status__in=Application.CLOSED)
        .select_related("cohort__programme")
    )
    return [
        f"{a.get_status_display()} for {a.cohort.programme.title}, {a.cohort.name}: withdraw it "
        "first, so the place goes to the next person."
        for a in open_applications
    ]


def erase_person(person) -> dict[str, int]:
    statements = (
        Application.objects.filter(person=person).exclude(statement="").update(statement="")
    )
    interest, _ = Interest.objects.filter(person=person).delete()
    mentee, _ = MenteeApplication.objects.filter(person=person).delete()
    # Offers that were matched stay (the matches point at them), emptied and withdrawn.
    offers = MentorOffer.objects.filter(person=person).update(
        experience="", areas=[], is_active=False
    )
    return {
        "application statements removed": statements,
        "programme interest deleted": interest,
        "mentoring records deleted": mentee,
        "mentor offers withdrawn": offers,
    }
