"""Sending settings, read from Django settings with these defaults. `manage.py mailing_worker`
options override the worker's for one process."""

from django.conf import settings


def lease_seconds() -> float:
    """How long a worker's claim on a delivery holds; an older claim is taken over by another
    worker, so the messages of a worker that died are sent by the others."""
    return float(getattr(settings, "MAILING_LEASE_SECONDS", 60))


def batch_size() -> int:
    """Deliveries a worker claims at once."""
    return int(getattr(settings, "MAILING_BATCH_SIZE", 50))


def max_attempts() -> int:
    """Tries for a message that fails temporarily (4xx, lost connection) before it is FAILED."""
    return int(getattr(settings, "MAILING_MAX_ATTEMPTS", 5))


def retry_seconds() -> float:
    """The wait before a temporarily failed message is tried again, doubled for each try."""
    return float(getattr(settings, "MAILING_RETRY_SECONDS", 60))


def poll_seconds() -> float:
    """How long an idle worker waits before looking for work again."""
    return float(getattr(settings, "MAILING_POLL_SECONDS", 2))


def rate_burst_seconds() -> float:
    """The rate limit lets this many seconds' worth of messages go at once (the bucket's size)."""
    return float(getattr(settings, "MAILING_RATE_BURST_SECONDS", 1))


def smtp_timeout() -> float:
    """Seconds to wait for the mail server before giving up on a message (kept well inside the
    lease, so a stuck send is abandoned before another worker takes the message over)."""
    return float(getattr(settings, "MAILING_SMTP_TIMEOUT", 20))
