from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.utils import timezone


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("role", User.Role.REGIONAL_ADMIN)
        return self.create_user(email, password, **extra)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in. Roles decide what they may change; see core.permissions."""

    class Role(models.TextChoices):
        REGIONAL_ADMIN = "regional_admin", "Regional admin"
        COORDINATOR = "coordinator", "Authority coordinator"
        MEMBER = "member", "Member"

    email = models.EmailField(unique=True)
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)
    person = models.OneToOneField(
        "directory.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="user",
        help_text="This account's entry in the directory, if it has one.",
    )
    organisation = models.ForeignKey(
        "directory.Organisation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
        help_text="The council, trust or organisation this user works for.",
    )
    coordinated_authorities = models.ManyToManyField(
        "directory.Organisation",
        blank=True,
        related_name="coordinators",
        help_text="Authorities whose people, posts and places this coordinator manages.",
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(
        default=False, help_text="May use the Django admin site (the Regional Team's back office)."
    )
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name or self.email

    def save(self, *args, **kwargs):
        self.email = self.email.lower()
        super().save(*args, **kwargs)

    @property
    def is_regional_admin(self) -> bool:
        return self.is_active and self.role == self.Role.REGIONAL_ADMIN

    @property
    def is_coordinator(self) -> bool:
        return self.is_active and self.role == self.Role.COORDINATOR

    def get_full_name(self) -> str:
        return self.name

    def get_short_name(self) -> str:
        return self.name.split(" ")[0] if self.name else self.email


class Session(AbstractBaseSession):
    """A session kept in the database, as Django's are, with the signed-in user's key in a
    column of its own: a request reads its session and its user in one statement
    (`accounts.sessions`)."""

    user = models.ForeignKey(
        User,
        null=True,
        on_delete=models.CASCADE,
        # Written from the session's data when it is saved, which may name an account deleted
        # meanwhile: such a session signs nobody in, and is deleted with the account otherwise.
        db_constraint=False,
        related_name="+",
    )

    @classmethod
    def get_session_store_class(cls):
        from .sessions import SessionStore

        return SessionStore
