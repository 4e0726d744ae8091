import datetime
import uuid

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
