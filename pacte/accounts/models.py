"""Workspaces (one per company), people and their memberships, API tokens."""

from __future__ import annotations

import functools
import uuid
import zoneinfo
from typing import TYPE_CHECKING, Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from pacte.org.models import Unit


class Language(models.TextChoices):
    ENGLISH = "en", _("English")
    FRENCH = "fr", _("French")


def validate_time_zone(value: str) -> None:
    """An IANA time zone name known to this system (``Europe/Paris``)."""
    if value not in time_zones():
        raise ValidationError(
            _("%(value)s is not a known time zone (e.g. Europe/Paris)."), params={"value": value}
        )


@functools.cache
def time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


class Workspace(models.Model):
    """One company. Every domain row belongs to exactly one workspace."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    currency = models.CharField(
        _("currency"),
        max_length=3,
        default="EUR",
        validators=[RegexValidator(r"^[A-Z]{3}$", _("Use a three-letter ISO code, e.g. EUR."))],
    )
    language = models.CharField(
        _("language"), max_length=5, choices=Language.choices, default=Language.ENGLISH
    )
    fiscal_year_start_month = models.PositiveSmallIntegerField(
        _("first month of the fiscal year"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
    )
    rounding_unit = models.PositiveBigIntegerField(
        _("rounding unit for targets (minor units)"),
        default=100,
        validators=[MinValueValidator(1)],
        help_text=_("Targets are rounded to multiples of this amount, in cents."),
    )
    leaderboard_enabled = models.BooleanField(_("sellers see each other's figures"), default=False)
    # Schedules (digests, reminders, snapshots) run at their day and hour in this zone.
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Paris", validators=[validate_time_zone]
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # Bumped (one UPDATE, in the same transaction) by every change to the sales cube; keys the
    # insights cache. Never written by save(): a stale object must not roll it back.
    cube_version = models.BigIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("workspace")
        verbose_name_plural = _("workspaces")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(fiscal_year_start_month__gte=1)
                & models.Q(fiscal_year_start_month__lte=12),
                name="workspace_fiscal_month_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(rounding_unit__gte=1), name="workspace_rounding_unit_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding and kwargs.get("update_fields") is None:
            deferred = self.get_deferred_fields()
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name != "cube_version" and f.attname not in deferred
            ]
        super().save(*args, **kwargs)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who can log in. Belongs to workspaces through memberships."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField(_("e-mail"), unique=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    language = models.CharField(
        _("language"), max_length=5, choices=Language.choices, blank=True, default=""
    )
    current_workspace = models.ForeignKey(
        Workspace, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.name or self.email


class Role(models.TextChoices):
    EXECUTIVE = "executive", _("Executive")
    LEAD = "lead", _("Lead")
    SELLER = "seller", _("Seller")
    ADMIN = "admin", _("Admin")


ROLE_FIELDS: dict[str, str] = {role.value: f"is_{role.value}" for role in Role}


class MembershipQuerySet(models.QuerySet["Membership"]):
    def for_workspace(self, workspace: Workspace) -> MembershipQuerySet:
        return self.filter(workspace=workspace)

    def active(self) -> MembershipQuerySet:
        return self.filter(is_active=True)

    def with_role(self, role: str) -> MembershipQuerySet:
        return self.filter(**{ROLE_FIELDS[role]: True})


class Membership(models.Model):
    """A person in a workspace, with one or more roles."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    name = models.CharField(_("name"), max_length=200)
    is_executive = models.BooleanField(_("executive"), default=False)
    is_lead = models.BooleanField(_("lead"), default=False)
    is_seller = models.BooleanField(_("seller"), default=False)
    is_admin = models.BooleanField(_("admin"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    joined_on = models.DateField(_("joined on"), default=timezone.localdate)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = MembershipQuerySet.as_manager()

    if TYPE_CHECKING:
        current_unit: Unit | None

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="membership_unique_user"),
        ]
        indexes = [
            models.Index(fields=["workspace", "is_active", "name"], name="membership_ws_name"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def email(self) -> str:
        return self.user.email

    @property
    def roles(self) -> list[str]:
        return [role for role, field in ROLE_FIELDS.items() if getattr(self, field)]

    def has_role(self, *roles: str) -> bool:
        return any(getattr(self, ROLE_FIELDS[role]) for role in roles)

    @property
    def sees_everything(self) -> bool:
        """Executives and admins see every figure of the workspace."""
        return self.is_executive or self.is_admin

    def role_labels(self) -> list[str]:
        return [str(Role(role).label) for role in self.roles]


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 hash of the secret is stored."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class LoginFailure(models.Model):
    """A failed login, kept to throttle guessing (see ``PACTE_LOGIN_MAX_FAILURES``)."""

    email = models.CharField(max_length=254)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["email", "at"], name="loginfailure_email_at")]

    def __str__(self) -> str:
        return f"{self.email} {self.at:%Y-%m-%d %H:%M}"
