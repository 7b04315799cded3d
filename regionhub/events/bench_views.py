"""The floor for booking throughput: the least a POST that writes a row can cost. Routed only
from the benchmark URLs, never in production."""

from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .models import Booking


@csrf_exempt
@require_POST
def floor_booking(request, event_pk: int):
    # An unnamed reservation is the one booking row that needs no person, lock or check.
    Booking.objects.create(event_id=event_pk, status=Booking.Status.RESERVED)
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("floor/<int:event_pk>/", floor_booking, name="bench-booking-floor")]
