"""The regional priority plan: long-running shared initiatives, their milestones and dated
status updates. An initiative's RAG rating on a date is its latest update on or before it; the
rating is never stored on the initiative itself, so the plan can be read as at any date.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from regionhub.directory.models import Person, Post
from regionhub.networks.models import Group


class Rag(models.TextChoices):
    RED = "red", "Red"
    AMBER = "amber", "Amber"
    GREEN = "green", "Green"


class Initiative(models.Model):
    title = models.CharField(max_length=200, unique=True)
    summary = models.TextField(blank=True)
    sponsor_post = models.ForeignKey(
        Post,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sponsored_initiatives",
        help_text="The directory post that sponsors it; its holders over time are the sponsors.",
    )
    board = models.ForeignKey(
        Group,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="initiatives",
        help_text="The board or group that oversees it.",
    )
    lead_officer = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="led_initiatives"
    )
    start = models.DateField()
    planned_end = models.DateField()

    class Meta:
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_end__gte=models.F("start")), name="initiative_end_after_start"
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("plan:initiative-detail", args=[self.pk])


class Milestone(models.Model):
    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(max_length=200)
    due = models.DateField()
    done = models.DateField(null=True, blank=True, help_text="The day it was reached.")

    class Meta:
        ordering = ["due", "pk"]

    def __str__(self) -> str:
        return self.title


class StatusUpdate(models.Model):
    initiative = models.ForeignKey(
        Initiative, on_delete=models.CASCADE, related_name="status_updates"
    )
    date = models.DateField()
    rag = models.CharField("RAG rating", max_length=10, choices=Rag.choices)
    narrative = models.TextField(blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["initiative", "date"]), models.Index(fields=["date"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(rag__in=["red", "amber", "green"]), name="status_update_rag_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.initiative}: {self.get_rag_display()} on {self.date:%-d %B %Y}"
