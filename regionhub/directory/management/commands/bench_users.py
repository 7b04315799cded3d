"""`manage.py bench_users`: the accounts the benchmark signs in as; safe to run repeatedly."""

from django.core.management.base import BaseCommand

from regionhub.accounts.models import User
from regionhub.directory.bench import ADMIN_EMAIL, MEMBER_EMAIL

ACCOUNTS = [
    (MEMBER_EMAIL, "Bench Member", User.Role.MEMBER),
    (ADMIN_EMAIL, "Bench Admin", User.Role.REGIONAL_ADMIN),
]


class Command(BaseCommand):
    help = "Ensure the benchmark's member and regional admin accounts exist."

    def handle(self, *args, **options):
        for email, name, role in ACCOUNTS:
            user = User.objects.filter(email__iexact=email).first()
            if user is None:
                # No password: the bench signs in with a session made in-process, so these
                # accounts can never be signed into through the login form.
                User.objects.create_user(email, None, name=name, role=role)
                self.stdout.write(f"Created {email} ({role}).")
            elif user.role != role or not user.is_active:
                user.role, user.is_active = role, True
                user.save(update_fields=["role", "is_active"])
                self.stdout.write(f"Reset {email} to an active {role}.")
