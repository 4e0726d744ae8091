"""Workspaces (one per company), people and their memberships, API tokens."""

from __future__ import annotations

import functools
import uuid
import zoneinfo
from typing import TYPE_CHECKING, Any, ClassVar, Self

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from pacte.lib.fiscal import FiscalCalendar
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

    @property
    def calendar(self) -> FiscalCalendar:
        """The workspace's fiscal calendar: years start in ``fiscal_year_start_month``."""
        from pacte.lib.fiscal import FiscalCalendar  # accounts loads nothing of lib

        return FiscalCalendar(self.fiscal_year_start_month)


class WorkspaceQuerySet[M: models.Model](models.QuerySet[M]):
    """The one scoping of workspace rows (as NetBox's ``RestrictedQuerySet``): every read of
    a workspace's rows starts here, and a model whose rows are not all visible to every member
    narrows ``visible_to``."""

    def for_workspace(self, workspace: Workspace | int) -> Self:
        """Every row of ``workspace`` (or of the workspace with this id): services, tasks and
        commands, which have no viewer to restrict for."""
        return self.filter(workspace=workspace)

    def visible_to(self, member: Membership) -> Self:
        """The rows ``member`` may see. Every row of their workspace when the model says that
        every member sees all of them (``visible_to_every_member``); a model with a narrower
        rule overrides this method, and one that says neither refuses rather than show all."""
        if not getattr(self.model, "visible_to_every_member", False):
            raise NotImplementedError(f"{self.model.__name__} does not say who sees its rows.")
        return self.for_workspace(member.workspace)


class WorkspaceModel(models.Model):
    """A row that belongs to exactly one workspace, read through :class:`WorkspaceQuerySet`.

    The base holds what every workspace table shares: the integer ``id`` (internal) and the
    ``workspace`` key (no reverse accessor; a model that needs one redeclares the field). The
    public ``uuid`` and ``created_at`` stay on the models that have them: the fact tables (cube
    cells, credits, shares) are never addressed by a public id, and a unique id per row would
    cost an index insert per imported row for no reader.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    #: Whether every member of the workspace sees every row (``visible_to`` needs no rule).
    visible_to_every_member: ClassVar[bool] = False

    if not TYPE_CHECKING:  # the plugin of django-stubs reads each model's manager at run time
        objects = WorkspaceQuerySet.as_manager()

    class Meta:
        abstract = True


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
    # Part of every session's authentication hash: bumping it signs the person out everywhere
    # (``pacte.accounts.sessions.end_all_sessions``).
    session_generation = models.PositiveIntegerField(default=0, editable=False)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.name or self.email

    def get_session_auth_hash(self) -> str:
        """Django checks this on every request: it changes with the password, as usual, and
        with ``session_generation``, so that one UPDATE ends every session of the person."""
        from django.utils.crypto import salted_hmac

        return salted_hmac(
            "pacte.accounts.User.get_session_auth_hash",
            f"{self.password}:{self.session_generation}",
            algorithm="sha256",
        ).hexdigest()


class Role(models.TextChoices):
    EXECUTIVE = "executive", _("Executive")
    LEAD = "lead", _("Lead")
    SELLER = "seller", _("Seller")
    ADMIN = "admin", _("Admin")
    #: A partner organisation's person (``pacte.partners``): sees and acts only on their
    #: organisation's figures, through the partner pages; every other route answers 404.
    PARTNER = "partner", _("Partner")


ROLE_FIELDS: dict[str, str] = {role.value: f"is_{role.value}" for role in Role}
#: The roles of the company's own people (the partner role is given by a partner organisation:
#: people pages and imports, group mappings and single sign-on never give it).
COMPANY_ROLES = frozenset(role for role in ROLE_FIELDS if role != "partner")
COMPANY_ROLE_CHOICES = [(value, label) for value, label in Role.choices if value != Role.PARTNER]


class MembershipQuerySet(WorkspaceQuerySet["Membership"]):
    def visible_to(self, member: Membership) -> Self:
        """The directory: every member of the workspace; inactive ones for admins only."""
        qs = self.for_workspace(member.workspace)
        return qs if member.sees_everything else qs.filter(is_active=True)

    def active(self) -> MembershipQuerySet:
        return self.filter(is_active=True)

    def usable(self) -> MembershipQuerySet:
        """Memberships that open their workspace: active and not waiting for an invitation."""
        return self.filter(is_active=True, is_pending=False)

    def with_role(self, role: str) -> MembershipQuerySet:
        return self.filter(**{ROLE_FIELDS[role]: True})


MembershipManager = models.Manager.from_queryset(MembershipQuerySet)


class Membership(WorkspaceModel):
    """A person in a workspace, with one or more roles."""

    uuid = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    name = models.CharField(_("name"), max_length=200)
    is_executive = models.BooleanField(_("executive"), default=False)
    is_lead = models.BooleanField(_("lead"), default=False)
    is_seller = models.BooleanField(_("seller"), default=False)
    is_admin = models.BooleanField(_("admin"), default=False)
    is_partner = models.BooleanField(_("partner"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    # Added while they had a login in another workspace: opens nothing until they accept the
    # invitation (``Invitation``).
    is_pending = models.BooleanField(_("invitation pending"), default=False)
    # Who handles this member's exceptions instead of the lead of their team: a partner
    # organisation's seat is handled by its channel manager (``pacte.partners``). Read by the
    # delegation map (``pacte.org.structure.handler_for``).
    handled_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    joined_on = models.DateField(_("joined on"), default=timezone.localdate)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects: ClassVar[MembershipManager] = MembershipManager()

    if TYPE_CHECKING:
        current_unit: Unit | None

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        constraints = [
            models.UniqueConstraint(fields=["workspace", "uuid"], name="membership_unique_uuid"),
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


class ApiToken(WorkspaceModel):
    """A personal API token. Only a SHA-256 hash of the secret is stored. The workspace is the
    membership's (a workspace table: distributed with the member it belongs to)."""

    uuid = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, db_index=True)  # looked up by itself
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        constraints = [
            models.UniqueConstraint(fields=["workspace", "uuid"], name="apitoken_unique_uuid"),
            models.UniqueConstraint(fields=["workspace", "key_hash"], name="apitoken_unique_key"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class LoginThrottle(models.Model):
    """One login-throttling counter (see ``pacte.accounts.throttle``); keys are SHA-256 digests
    of the e-mail and/or client address, so the table holds no address in clear."""

    scope = models.CharField(max_length=10)
    key = models.CharField(max_length=64)
    failures = models.PositiveIntegerField(default=0)
    window_started = models.DateTimeField(default=timezone.now)
    locked_until = models.DateTimeField(null=True, blank=True)
    lockouts = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="loginthrottle_unique_key")
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key[:8]} {self.failures}"


# Sign-in: identity providers, group mappings, the workspace's sign-in policy ---------------


class ProviderKind(models.TextChoices):
    OIDC = "oidc", _("OpenID Connect")
    SAML = "saml", _("SAML 2.0")


class IdentityProvider(WorkspaceModel):
    """The workspace's identity provider (one per workspace).

    The client secret is stored encrypted (``pacte.encryption``) and never shown back.
    """

    uuid = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    workspace = models.OneToOneField(
        Workspace, on_delete=models.CASCADE, related_name="identity_provider"
    )
    kind = models.CharField(_("protocol"), max_length=4, choices=ProviderKind.choices)
    display_name = models.CharField(_("button label"), max_length=100)
    email_domains = models.CharField(
        _("e-mail domains"),
        max_length=500,
        blank=True,
        help_text=_(
            "People whose address ends with one of these domains are offered this provider."
        ),
    )
    is_enabled = models.BooleanField(_("enabled"), default=True)
    issuer = models.URLField(_("issuer URL"), max_length=500, blank=True)
    client_id = models.CharField(_("client ID"), max_length=255, blank=True)
    client_secret_encrypted = models.TextField(blank=True, editable=False)
    scopes = models.CharField(_("scopes"), max_length=255, default="openid email profile")
    metadata_url = models.URLField(_("metadata URL"), max_length=500, blank=True)
    metadata_xml = models.TextField(_("metadata XML"), blank=True)
    groups_claim = models.CharField(
        _("groups claim or attribute"), max_length=200, default="groups"
    )
    #: SAML: Pacte's own signing key for this workspace (encrypted) and its self-signed
    #: certificate (published in Pacte's metadata); made at first need.
    sp_key_encrypted = models.TextField(blank=True, editable=False)
    sp_certificate = models.TextField(blank=True, editable=False)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("identity provider")
        verbose_name_plural = _("identity providers")
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "uuid"], name="identityprovider_unique_uuid"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def has_client_secret(self) -> bool:
        return bool(self.client_secret_encrypted)

    @property
    def domains(self) -> list[str]:
        return [d.strip().lower() for d in self.email_domains.split(",") if d.strip()]


class SignInSettings(WorkspaceModel):
    """How people of a workspace sign in (one row per workspace, audited)."""

    workspace = models.OneToOneField(
        Workspace, on_delete=models.CASCADE, related_name="sign_in_settings"
    )
    jit_enabled = models.BooleanField(
        _("create people at their first single sign-on"), default=False
    )
    default_roles = models.JSONField(default=list)
    default_unit = models.ForeignKey(
        "org.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sso_required = models.BooleanField(_("single sign-on required"), default=False)
    break_glass = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    session_lifetime_hours = models.PositiveIntegerField(
        _("session lifetime (hours)"),
        default=336,
        validators=[MinValueValidator(1), MaxValueValidator(8760)],
    )
    idle_timeout_minutes = models.PositiveIntegerField(
        _("idle timeout (minutes, 0 for none)"), default=0, validators=[MaxValueValidator(525600)]
    )
    mfa_required_for_admins = models.BooleanField(
        _("two factors required for admins and executives"), default=False
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("sign-in settings")

    def __str__(self) -> str:
        return f"sign-in settings of {self.workspace_id}"


class GroupMapping(WorkspaceModel):
    """An identity provider's group (or claim value) → Pacte roles and, optionally, a team.

    Used by single sign-on and by provisioning (``pacte.accounts.provisioning.apply_identity``).
    ``unit_name`` keeps the team's name: a team deleted since is reported by name, not ignored.
    """

    uuid = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    group = models.CharField(_("group"), max_length=200)
    roles = models.JSONField(_("roles"), default=list)
    unit = models.ForeignKey(
        "org.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    unit_name = models.CharField(max_length=200, blank=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("group mapping")
        verbose_name_plural = _("group mappings")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "uuid"], name="groupmapping_unique_uuid"),
            models.UniqueConstraint(
                fields=["workspace", "group"], name="groupmapping_unique_group"
            ),
        ]

    def __str__(self) -> str:
        return self.group

    def role_labels(self) -> list[str]:
        return [str(Role(role).label) for role in self.roles if role in Role.values]


class ExternalIdentity(WorkspaceModel):
    """A person as their identity provider names them (OIDC ``sub``, SAML NameID)."""

    provider = models.ForeignKey(
        IdentityProvider, on_delete=models.CASCADE, related_name="identities"
    )
    subject = models.CharField(max_length=255)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="external_identities")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_sign_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "provider", "subject"],
                name="externalidentity_unique_subject",
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.user_id}"


class FactorKind(models.TextChoices):
    TOTP = "totp", _("Authenticator app")
    PASSKEY = "passkey", _("Passkey")
    RECOVERY = "recovery", _("Recovery codes")


class SecondFactor(models.Model):
    """A person's second factor: an authenticator app (TOTP secret, encrypted), a passkey
    (WebAuthn public key) or their recovery codes (SHA-256 hashes, each used once)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="second_factors")
    kind = models.CharField(max_length=10, choices=FactorKind.choices)
    name = models.CharField(_("name"), max_length=100, blank=True)
    secret_encrypted = models.TextField(blank=True, editable=False)
    last_step = models.BigIntegerField(default=0)
    credential_id = models.CharField(max_length=400, blank=True)
    public_key = models.TextField(blank=True)
    sign_count = models.BigIntegerField(default=0)
    code_hashes = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("second factor")
        verbose_name_plural = _("second factors")
        constraints = [
            models.UniqueConstraint(
                fields=["credential_id"],
                condition=~models.Q(credential_id=""),
                name="secondfactor_unique_credential",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.name}"


# SCIM provisioning and invitations ---------------------------------------------------------


class ScimToken(WorkspaceModel):
    """The bearer token an identity provider uses to provision a workspace over SCIM.

    Only a SHA-256 hash of the secret is stored; the secret is shown once, when created.
    """

    uuid = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="scim_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=16)
    key_hash = models.CharField(max_length=64, db_index=True)  # looked up by itself
    created_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("SCIM token")
        verbose_name_plural = _("SCIM tokens")
        constraints = [
            models.UniqueConstraint(fields=["workspace", "key_hash"], name="scimtoken_unique_key"),
            models.UniqueConstraint(fields=["workspace", "uuid"], name="scimtoken_unique_uuid"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ScimUser(WorkspaceModel):
    """A member as the identity provider provisions them: its ``externalId``, ``userName`` and
    the attributes Pacte keeps only to give them back (name parts, e-mails)."""

    membership = models.OneToOneField(
        Membership, on_delete=models.CASCADE, related_name="scim_user"
    )
    user_name = models.CharField(max_length=300)
    external_id = models.CharField(max_length=300, blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    # Set by a SCIM DELETE: the member stays (deactivated, figures kept) but the provider no
    # longer sees them; a later POST of the same person brings them back.
    deleted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.user_name


class ScimGroup(WorkspaceModel):
    """A group of the identity provider, pushed over SCIM. Its members get the roles and team
    of the group mapping of the same name (``GroupMapping``), as single sign-on does."""

    uuid = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    display_name = models.CharField(max_length=200)
    external_id = models.CharField(max_length=300, blank=True)
    members = models.ManyToManyField(Membership, related_name="scim_groups", blank=True)
    # The ``display`` the provider gave each member (by member id), given back as is.
    member_display = models.JSONField(default=dict, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "uuid"], name="scimgroup_unique_uuid"),
            models.UniqueConstraint(
                fields=["workspace", "display_name"], name="scimgroup_unique_name"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name


class Invitation(WorkspaceModel):
    """A person who already has a login elsewhere, added to a workspace: until they accept,
    their membership opens nothing (``Membership.is_pending``)."""

    uuid = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    membership = models.OneToOneField(
        Membership, on_delete=models.CASCADE, related_name="invitation"
    )
    invited_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.UniqueConstraint(fields=["workspace", "uuid"], name="invitation_unique_uuid"),
        ]

    def __str__(self) -> str:
        return f"invitation {self.membership_id}"
