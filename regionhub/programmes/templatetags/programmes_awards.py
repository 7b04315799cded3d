"""`{% event_awards event %}`: the Team Excellence Awards presented at an event, for its page.

Renders `programmes/includes/event_awards.html` with `selectors.awards_for_event`, for signed-in
readers only (like the awards page itself); anonymous readers get nothing and cost no query.
"""

from django import template

from regionhub.programmes import selectors

register = template.Library()


@register.inclusion_tag("programmes/includes/event_awards.html", takes_context=True)
def event_awards(context, event) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if event is None or not (user and user.is_authenticated):
        return {"event_awards": []}
    return {"event_awards": selectors.awards_for_event(event.pk)}
