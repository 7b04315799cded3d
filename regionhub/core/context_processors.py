from django.conf import settings


def service(request):
    return {
        "service_name": settings.SERVICE_NAME,
        "region_name": settings.REGION_NAME,
        "dev_mail_page": getattr(settings, "DEV_MAIL_PAGE", False),
    }
