"""The archive as an Atom feed."""

from django.contrib.syndication.views import Feed
from django.urls import reverse_lazy
from django.utils.feedgenerator import Atom1Feed

from .models import Issue


class IssuesFeed(Feed):
    feed_type = Atom1Feed
    title = "Regional Update"
    link = reverse_lazy("newsletter:archive")
    subtitle = "The monthly Regional Update of the children's services network."

    def items(self):
        return Issue.objects.published().order_by("-published_at", "-pk")[:20]

    def item_title(self, item: Issue) -> str:
        return item.title

    def item_description(self, item: Issue) -> str:
        return item.foreword_html or item.title

    def item_pubdate(self, item: Issue):
        return item.published_at

    def item_updateddate(self, item: Issue):
        return item.updated

    def item_author_name(self, item: Issue) -> str:
        return item.signature
