"""Campaigns: send a published issue to a list, watch its progress, pause, resume, cancel."""

urlpatterns: list = []
