"""Reads for the accounts pages."""

from django.db.models import Q, QuerySet

from .models import User


def user_search(query: str = "", role: str = "") -> QuerySet[User]:
    users = User.objects.select_related("organisation").prefetch_related("coordinated_authorities")
    if query:
        users = users.filter(Q(name__icontains=query) | Q(email__icontains=query))
    if role:
        users = users.filter(role=role)
    return users.order_by("name", "email", "pk")
