"""The service navigation: one entry per part of RegionHub, in the order people use them.

`sections` are the values of the `nav` variable that views put in their context; an entry is
highlighted when the page's `nav` is one of them. `signed_in` entries are hidden from visitors,
`admin_only` entries from everyone but regional admins.
"""

from dataclasses import dataclass

from django.urls import reverse

from .permissions import is_regional_admin


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    sections: frozenset[str]
    signed_in: bool = False
    admin_only: bool = False

    @property
    def url(self) -> str:
        return reverse(self.url_name)


NAV_ITEMS = [
    NavItem("Directory", "directory:organisation-list", frozenset({"organisations", "posts"})),
    NavItem("People", "directory:person-list", frozenset({"people"})),
    NavItem("Leadership", "directory:as-at", frozenset({"as-at", "changes"})),
    NavItem("Events", "events:event-list", frozenset({"events"})),
    NavItem("Programmes", "programmes:programme-list", frozenset({"programmes"})),
    NavItem("Regional Update", "newsletter:archive", frozenset({"updates"})),
    NavItem("Inspections", "inspections:ambition", frozenset({"inspections"}), signed_in=True),
    NavItem("Networks", "networks:group-list", frozenset({"networks"}), signed_in=True),
    NavItem("Plan", "plan:overview", frozenset({"plan"}), signed_in=True),
    NavItem("Mailing lists", "mailing:lists", frozenset({"mailing"}), admin_only=True),
    NavItem("Accounts", "accounts:user-list", frozenset({"users"}), admin_only=True),
]


def items_for(user) -> list[NavItem]:
    admin = is_regional_admin(user)
    return [
        item
        for item in NAV_ITEMS
        if (user.is_authenticated or not item.signed_in) and (admin or not item.admin_only)
    ]
