"""Every write to events and their places: check permission, validate, change, audit, then
tasks. One module per part of the domain; the names below are the public ones.

How the services lock, so that no place is ever given twice, is explained in `_common`.
"""

from ._common import BookingError, EventError, booking_authority_id
from .attendance import attendance_mark, attendance_record
from .bookings import (
    booking_cancel,
    booking_create,
    booking_create_colleague,
    booking_offer_accept,
    places_expire,
)
from .events import (
    CALENDAR_FIELDS,
    EVENT_FIELDS,
    Session,
    allocations_release,
    allocations_set,
    event_cancel,
    event_create,
    event_publish,
    event_update,
    member_authorities,
)
from .feedback import (
    FeedbackError,
    feedback_anonymity_set,
    feedback_submit,
    may_give_feedback,
    question_add,
    question_delete,
)
from .reservations import booking_swap, place_reserve, reservation_name

__all__ = [
    "CALENDAR_FIELDS",
    "EVENT_FIELDS",
    "BookingError",
    "EventError",
    "FeedbackError",
    "Session",
    "allocations_release",
    "allocations_set",
    "attendance_mark",
    "attendance_record",
    "booking_authority_id",
    "booking_cancel",
    "booking_create",
    "booking_create_colleague",
    "booking_offer_accept",
    "booking_swap",
    "event_cancel",
    "event_create",
    "event_publish",
    "event_update",
    "feedback_anonymity_set",
    "feedback_submit",
    "may_give_feedback",
    "member_authorities",
    "place_reserve",
    "places_expire",
    "question_add",
    "question_delete",
    "reservation_name",
]
