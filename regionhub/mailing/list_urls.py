"""Subscribe, confirm, unsubscribe, preferences; lists, subscribers and imports for admins."""

urlpatterns: list = []
