import datetime
import uuid
from typing import Any
from uuid import UUID

from ninja import Field, Schema


class SyncErrorOut(Schema):
    record_id: str | None
    field: str | None
    code: str | None
    message: str
    value: str | None = None


class SyncRunOut(Schema):
    """One sync: what it read and changed, or why it failed (each record in error with its
    id). ``preview``: the first rows of a dry run, with ``state`` new or existing."""

    uuid: uuid.UUID
    mode: str
    status: str
    status_label: str
    since: datetime.datetime | None
    created_at: datetime.datetime
    started_at: datetime.datetime | None
    finished_at: datetime.datetime | None
    rows_read: int
    new_count: int
    changed_count: int
    deleted_count: int
    unchanged_count: int
    error_count: int
    errors: list[SyncErrorOut]
    message_code: str
    message: str
    preview: list[dict[str, Any]]


class ConnectionOut(Schema):
    """A data source. Credentials are never returned: ``secrets_set`` names those that are."""

    uuid: uuid.UUID
    kind: str
    name: str
    config: dict[str, str]
    secrets_set: list[str]
    profile: UUID | None = Field(description="The sales import's mapping profile it reads with")
    profile_name: str
    mapping: dict[str, str]
    default_channel: str
    every: str
    hour: int
    full_every_days: int
    date_order: str
    amount_style: str
    cursor: datetime.datetime | None
    last_full_at: datetime.datetime | None
    next_sync: datetime.datetime | None
    last_sync: SyncRunOut | None
    webhook_url: str
    version: int


class ConnectionCreated(ConnectionOut):
    """As ``ConnectionOut``, with the webhook signing secret, returned this once."""

    webhook_secret: str


class ConnectionIn(Schema):
    kind: str
    name: str = Field(..., max_length=100)
    config: dict[str, str] = {}
    secrets: dict[str, str] = Field({}, description="Write-only: stored encrypted.")
    profile: UUID | None = Field(None, description="A mapping profile of the workspace")
    mapping: dict[str, str] = Field(
        {}, description="Without a profile: a new profile named after the source maps so"
    )
    default_channel: str = ""
    every: str = "day"
    hour: int = Field(2, ge=0, le=23)
    full_every_days: int = Field(7, ge=1, le=90)
    date_order: str = "auto"
    amount_style: str = "auto"


class ConnectionPatch(Schema):
    version: int | None = None
    name: str | None = Field(None, max_length=100)
    config: dict[str, str] | None = None
    secrets: dict[str, str] | None = Field(
        None, description="Write-only: a non-empty value replaces the stored one."
    )
    profile: UUID | None = None
    mapping: dict[str, str] | None = Field(None, description="Changes the mapping profile")
    default_channel: str | None = None
    every: str | None = None
    hour: int | None = Field(None, ge=0, le=23)
    full_every_days: int | None = Field(None, ge=1, le=90)
    date_order: str | None = None
    amount_style: str | None = None


class SourceMappingOut(Schema):
    """What the first page of a data source holds and how its fields would map: the remote
    fields, the guess (the file import's guesser) and the first rows mapped with ``mapping``
    (the profile's, else the guess)."""

    fields: list[str]
    guess: dict[str, str]
    mapping: dict[str, str]
    profile: UUID | None
    preview: list[dict[str, Any]]


class SourceMappingIn(Schema):
    profile: UUID | None = Field(
        None, description="A mapping profile of the workspace; none: a new one"
    )
    name: str = Field("", max_length=100, description="The new profile's name")
    mapping: dict[str, str]
    date_order: str = "auto"
    amount_style: str = "auto"


class SyncIn(Schema):
    mode: str = Field("incremental", description="incremental, full or dry_run")


class CheckOut(Schema):
    ok: bool
    code: str
    message: str
    field: str | None
