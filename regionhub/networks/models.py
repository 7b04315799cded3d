"""Networks, boards, workstreams and communities of practice; their meetings and what came of them.

Who chaired or sponsored a group is never stored here: the group points at directory posts, and
the holders over time come from their appointments. Likewise the post an attendee held on the
day of a meeting is derived from appointments on the meeting's date.
"""

import datetime

from django.db import models
from django.db.models import Q
from django.urls import reverse

from regionhub.directory.models import Organisation, Person, Post


class Seniority(models.IntegerChoices):
    """An ordered scale: a representative at or above the expected level counts as senior enough."""

    OTHER = 1, "Other"
    LEAD = 2, "Lead practitioner or manager"
    HEAD_OF_SERVICE = 3, "Head of service"
    ASSISTANT_DIRECTOR = 4, "Assistant director"
    DIRECTOR = 5, "Director"


# Network officer posts (chair, sponsor) say nothing about seniority within an authority; their
# holders also hold an authority post, which is what places them on the scale.
SENIORITY_BY_CATEGORY: dict[str, int] = {
    Post.Category.DIRECTOR: Seniority.DIRECTOR,
    Post.Category.CHIEF_EXECUTIVE: Seniority.DIRECTOR,
    Post.Category.ASSISTANT_DIRECTOR: Seniority.ASSISTANT_DIRECTOR,
    Post.Category.HEAD_OF_SERVICE: Seniority.HEAD_OF_SERVICE,
    Post.Category.PRINCIPAL_SOCIAL_WORKER: Seniority.LEAD,
    Post.Category.LEAD: Seniority.LEAD,
    Post.Category.NETWORK_OFFICER: Seniority.OTHER,
    Post.Category.REGIONAL_TEAM: Seniority.OTHER,
    Post.Category.OTHER: Seniority.OTHER,
}


def seniority_of(category: str) -> int:
    return SENIORITY_BY_CATEGORY.get(category, Seniority.OTHER)


class Group(models.Model):
    class Kind(models.TextChoices):
        NETWORK = "network", "Network"
        BOARD = "board", "Board"
        WORKSTREAM = "workstream", "Workstream"
        COMMUNITY = "community", "Community of practice"

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
        help_text="The group this one reports to, e.g. a workstream's network.",
    )
    purpose = models.TextField(blank=True)
    terms_of_reference = models.TextField(
        blank=True, help_text="The agreed terms, or a link to them."
    )
    chair_post = models.ForeignKey(
        Post,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="chaired_groups",
        help_text="The directory post that chairs the group; its holders are the chairs.",
    )
    sponsor_post = models.ForeignKey(
        Post,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sponsored_groups",
        help_text="The directory post that sponsors the group, if any.",
    )
    members = models.ManyToManyField(
        Person,
        blank=True,
        related_name="network_groups",
        help_text="Named members, beyond each authority's representative.",
    )
    closed = models.DateField(null=True, blank=True, help_text="Last day, if it has ended.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("networks:group-detail", args=[self.pk])


class GroupAuthority(models.Model):
    """A member authority of a group and the seniority it is expected to send."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="authorities")
    authority = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="network_memberships"
    )
    expected = models.PositiveSmallIntegerField(
        choices=Seniority.choices,
        default=Seniority.HEAD_OF_SERVICE,
        help_text="The least senior representative that counts as the right person in the room.",
    )

    class Meta:
        ordering = ["authority__name"]
        verbose_name_plural = "group authorities"
        constraints = [
            models.UniqueConstraint(fields=["group", "authority"], name="group_authority_unique")
        ]
        indexes = [models.Index(fields=["authority", "group"])]

    def __str__(self) -> str:
        return f"{self.authority} in {self.group}"


class Meeting(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="meetings")
    date = models.DateField()
    place = models.CharField(max_length=200, blank=True, help_text="Where, if in person.")
    online_url = models.URLField(blank=True, help_text="The link to join, if online.")
    agenda_url = models.URLField(blank=True)
    papers_url = models.URLField(blank=True)
    minutes = models.TextField(blank=True)

    class Meta:
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["group", "date"]), models.Index(fields=["date"])]

    def __str__(self) -> str:
        return f"{self.group}, {self.date:%-d %B %Y}"

    def get_absolute_url(self) -> str:
        return reverse("networks:meeting-detail", args=[self.pk])


class Attendance(models.Model):
    """One authority at one meeting. The post the person held is derived, never stored."""

    class Status(models.TextChoices):
        PRESENT = "present", "Present"
        DEPUTY = "deputy", "Sent a deputy"
        APOLOGIES = "apologies", "Apologies"
        ABSENT = "absent", "Absent"

    ATTENDED = (Status.PRESENT, Status.DEPUTY)

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendances")
    authority = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="attendances",
        help_text="Who came, or who sent apologies.",
    )
    status = models.CharField(max_length=20, choices=Status.choices)

    class Meta:
        ordering = ["authority__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "authority"], name="attendance_one_per_authority"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["present", "deputy"]) | Q(person__isnull=False),
                name="attendance_attended_has_person",
            ),
        ]
        indexes = [models.Index(fields=["authority", "meeting"])]

    def __str__(self) -> str:
        return f"{self.authority} at {self.meeting}: {self.get_status_display()}"


class Decision(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="decisions")
    text = models.TextField()
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["meeting__date", "pk"]

    def __str__(self) -> str:
        return self.text[:80]


class ActionQuerySet(models.QuerySet):
    def overdue(self, on: datetime.date):
        return self.filter(status=Action.Status.OPEN, due__lt=on)


class Action(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        DROPPED = "dropped", "Dropped"

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="actions")
    description = models.TextField()
    owner = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="network_actions")
    due = models.DateField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)

    objects = ActionQuerySet.as_manager()

    class Meta:
        ordering = ["due", "pk"]
        indexes = [models.Index(fields=["status", "due"])]

    def __str__(self) -> str:
        return self.description[:80]
