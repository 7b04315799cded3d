from django.conf import settings

from .navigation import items_for


def service(request):
    return {
        "service_name": settings.SERVICE_NAME,
        "region_name": settings.REGION_NAME,
        "dev_mail_page": getattr(settings, "DEV_MAIL_PAGE", False),
        "nav_items": items_for(request.user) if hasattr(request, "user") else [],
    }
