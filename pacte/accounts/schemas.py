import datetime
import uuid
from uuid import UUID

from ninja import Field, Schema


class WorkspaceRef(Schema):
    uuid: uuid.UUID
    name: str
    slug: str


class MeOut(Schema):
    uuid: uuid.UUID
    name: str
    email: str
    roles: list[str]
    language: str
    workspace: WorkspaceRef
    workspaces: list[WorkspaceRef]


class WorkspaceOut(Schema):
    uuid: uuid.UUID
    name: str
    slug: str
    currency: str
    language: str
    fiscal_year_start_month: int
    rounding_unit: int
    leaderboard_enabled: bool
    time_zone: str


class WorkspacePatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    language: str | None = Field(None, pattern="^(en|fr)$")
    fiscal_year_start_month: int | None = Field(None, ge=1, le=12)
    rounding_unit: int | None = Field(None, ge=1, le=10**12)
    leaderboard_enabled: bool | None = None
    time_zone: str | None = Field(None, min_length=1, max_length=64)


class TokenIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)


class TokenOut(Schema):
    uuid: uuid.UUID
    name: str
    prefix: str
    created_at: datetime.datetime
    last_used_at: datetime.datetime | None
    revoked_at: datetime.datetime | None


class TokenCreated(TokenOut):
    secret: str


class ProviderOut(Schema):
    uuid: UUID
    kind: str
    display_name: str
    email_domains: str
    is_enabled: bool
    issuer: str
    client_id: str
    client_secret_set: bool
    scopes: str
    metadata_url: str
    metadata_xml_set: bool
    groups_claim: str
    version: int


class ProviderIn(Schema):
    """``client_secret`` is write-only: send it to set or replace it, omit it to keep it."""

    kind: str = Field(..., pattern="^(oidc|saml)$")
    display_name: str = Field(..., min_length=1, max_length=100)
    email_domains: str = Field("", max_length=500)
    is_enabled: bool = True
    issuer: str = Field("", max_length=500)
    client_id: str = Field("", max_length=255)
    client_secret: str | None = Field(None, max_length=2000)
    scopes: str = Field("openid email profile", max_length=255)
    metadata_url: str = Field("", max_length=500)
    metadata_xml: str | None = Field(None, max_length=1_000_000)
    groups_claim: str = Field("groups", min_length=1, max_length=200)
    version: int | None = None


class MappingOut(Schema):
    uuid: UUID
    group: str
    roles: list[str]
    unit: UUID | None
    unit_name: str


class MappingIn(Schema):
    group: str = Field(..., min_length=1, max_length=200)
    roles: list[str] = []
    unit: UUID | None = None


class SignInOut(Schema):
    sso_required: bool
    break_glass: UUID | None
    jit_enabled: bool
    default_roles: list[str]
    default_unit: UUID | None
    session_lifetime_hours: int
    idle_timeout_minutes: int
    mfa_required_for_admins: bool
    version: int
    provider: ProviderOut | None
    mappings: list[MappingOut]


class SignInPatch(Schema):
    sso_required: bool | None = None
    break_glass: UUID | None = None
    clear_break_glass: bool = False
    jit_enabled: bool | None = None
    default_roles: list[str] | None = None
    default_unit: UUID | None = None
    session_lifetime_hours: int | None = Field(None, ge=1, le=8760)
    idle_timeout_minutes: int | None = Field(None, ge=0, le=525600)
    mfa_required_for_admins: bool | None = None
    version: int | None = None


class InvitationOut(Schema):
    uuid: uuid.UUID
    workspace: str
    invited_by: str | None
    created_at: datetime.datetime
