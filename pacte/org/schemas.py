import datetime
import uuid

from ninja import Field, FilterSchema, Schema

from pacte.accounts.models import Role


class UnitRef(Schema):
    uuid: uuid.UUID
    name: str


class MemberRef(Schema):
    uuid: uuid.UUID
    name: str


class UnitOut(Schema):
    uuid: uuid.UUID
    name: str
    parent: UnitRef | None
    lead: MemberRef | None
    is_active: bool
    version: int
    member_count: int = 0


class UnitIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    parent: uuid.UUID | None = Field(None, description="Parent team; the company when omitted.")
    lead: uuid.UUID | None = None


class UnitPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    parent: uuid.UUID | None = None
    lead: uuid.UUID | None = None
    remove_lead: bool = False
    version: int | None = Field(None, description="The version you read; a stale one gets 412.")


class MemberOut(Schema):
    uuid: uuid.UUID
    name: str
    email: str
    roles: list[Role]
    is_active: bool
    joined_on: datetime.date
    unit: UnitRef | None
    version: int


class MemberIn(Schema):
    email: str = Field(..., max_length=254)
    name: str = Field(..., min_length=1, max_length=200)
    roles: list[Role] = Field(..., min_length=1)
    unit: uuid.UUID
    joined_on: datetime.date | None = None


class MemberPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    roles: list[Role] | None = Field(None, min_length=1)
    version: int | None = None


class MoveIn(Schema):
    unit: uuid.UUID
    effective: datetime.date | None = None
    version: int | None = None


class MemberFilter(FilterSchema):
    """Same filters as the people page (``PeopleFilterForm``), applied by ``filter_members``."""

    q: str = ""
    unit: uuid.UUID | None = None
    role: Role | None = None
    status: str = Field("active", pattern="^(active|inactive|all)$")


class ImportOut(Schema):
    ok: bool
    created: int
    updated: int
    unchanged: int
    errors: list[dict[str, object]]
