"""The project's URLs plus the benchmark floor, which production never routes."""

import os

from django.http import HttpResponse
from django.urls import path

from regionhub.urls import urlpatterns as project_urlpatterns


def floor(request):
    """The least a request can cost: the full middleware stack and a tiny response, no database.

    The body names the worker process, so the runner can tell whether the load was spread.
    """
    return HttpResponse(f"ok {os.getpid()}", content_type="text/plain")


urlpatterns = [path("bench/floor/", floor, name="bench-floor"), *project_urlpatterns]
urlpatterns.insert(0, path("bench/events/", ("regionhub.events.bench_views", None, None)))
