"""Development: debug on, mail written to var/mail and readable at /dev/mail/."""

import os

os.environ.setdefault("DEBUG", "1")

from .base import *  # noqa: E402,F403
from .base import EMAIL_FILE_PATH  # noqa: E402

SECRET_KEY = SECRET_KEY or "dev-only-insecure-key-change-me"  # noqa: F405
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH.mkdir(parents=True, exist_ok=True)
DEV_MAIL_PAGE = True
# One web process in development, so a per-process cache is invalidated correctly.
PAGE_CACHE = env_bool("PAGE_CACHE", default=True)  # noqa: F405
