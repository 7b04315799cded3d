"""Mailing URLs: lists and subscribers (`list_urls`), campaigns and sending (`campaign_urls`)."""

from regionhub.mailing import campaign_urls, list_urls

app_name = "mailing"

urlpatterns = [*list_urls.urlpatterns, *campaign_urls.urlpatterns]
