"""How an engagement cell reads on the page, written in one filter call: a network's table has
hundreds of cells, and the same markup built from template tags costs several times more."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from regionhub.networks.selectors import EngagementCell

register = template.Library()

NOT_A_MEMBER = mark_safe('<span class="govuk-hint govuk-!-margin-0">Not a member</span>')


@register.filter
def engagement_cell(cell: EngagementCell | None) -> SafeString:
    """The rating as a coloured tag with its numbers ("2 of 3"), then attendance, apologies and
    the trend; "Not a member" for an authority outside the group."""
    if cell is None:
        return NOT_A_MEMBER
    tag = format_html(
        '<strong class="govuk-tag govuk-tag--{}">{}</strong>', cell.tag_colour, cell.headline
    )
    if not cell.held:
        return tag
    return format_html('{}<br><span class="govuk-body-s">{}</span>', tag, cell.detail)


@register.filter
def engagement_cells(cells: list[tuple[object, EngagementCell | None]]) -> SafeString:
    """A row's cells, each in its table cell: one call for the row rather than one per cell."""
    return mark_safe(
        "".join(f'<td class="govuk-table__cell">{engagement_cell(cell)}</td>' for _, cell in cells)
    )
