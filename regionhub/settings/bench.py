"""Benchmarks: production settings served by gunicorn on 127.0.0.1, plus a floor view."""

import os

# The production module refuses to import without a secret; this one is only ever used locally.
os.environ.setdefault("SECRET_KEY", "bench-only-insecure-key")

# The bench serves with several processes, so pages are cached in the shared Redis cache as in
# production.
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/1")

from .prod import *  # noqa: E402,F403

SECRET_KEY = "bench-only-insecure-key"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
ROOT_URLCONF = "regionhub.bench_urls"
# Pages are measured, not their assets: plain static names keep the run independent of
# collectstatic and its manifest.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
