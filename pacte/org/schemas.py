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
    effective: datetime.date | None = Field(
        None, description="Date a new parent or lead takes effect (today when omitted)."
    )


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


class OrgSettingsOut(Schema):
    max_layers: int
    span_min: int
    span_max: int
    require_lead: bool
    version: int


class OrgSettingsIn(Schema):
    max_layers: int = Field(..., ge=0, le=10_000)
    span_min: int = Field(..., ge=0, le=10_000)
    span_max: int = Field(..., ge=0, le=10_000)
    require_lead: bool = False
    version: int | None = None


class ShapeIn(Schema):
    max_layers: int = Field(..., ge=0, le=10_000)
    span_min: int = Field(..., ge=0, le=10_000)
    span_max: int = Field(..., ge=0, le=10_000)


class MoveSpec(Schema):
    kind: str = Field(..., pattern="^(remove_layer|merge_units|reattach)$")
    person: uuid.UUID | None = None
    unit: uuid.UUID | None = None
    target: uuid.UUID | None = None
    explanation: dict[str, object] | None = None


class MoveOut(Schema):
    kind: str
    person: str | None
    unit: str | None
    target: str | None
    explanation: dict[str, object]
    action: str
    why: str


class ProposalPreviewIn(ShapeIn):
    on: datetime.date | None = None


class ProposalIn(ShapeIn):
    name: str = Field(..., min_length=1, max_length=200)
    on: datetime.date | None = None
    moves: list[MoveSpec] | None = Field(
        None, description="The moves to keep; Pacte's proposal for the shape when omitted."
    )


class ProposalPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    moves: list[MoveSpec]
    version: int


class ProposalApplyIn(Schema):
    effective: datetime.date
    version: int | None = None


class ProposalOut(Schema):
    uuid: uuid.UUID | None
    name: str
    status: str
    shape: dict[str, int]
    based_on: datetime.date
    effective: datetime.date | None
    version: int
    reached: bool
    blocking: list[str]
    moves: list[MoveOut]
    before: dict[str, object]
    after: dict[str, object]


class DeputyIn(Schema):
    principal: uuid.UUID
    deputy: uuid.UUID
    starts_on: datetime.date
    ends_on: datetime.date | None = None


class DeputyOut(Schema):
    uuid: uuid.UUID
    principal: MemberRef
    deputy: MemberRef
    starts_on: datetime.date
    ends_on: datetime.date | None


class HandlerOut(Schema):
    member: MemberRef
    handler: MemberRef | None
    on: datetime.date


class ChainOut(Schema):
    member: MemberRef
    on: datetime.date
    leads: list[MemberRef]


class ChartNode(Schema):
    id: str
    kind: str
    name: str
    roles: list[str] = []
    team: str = ""
    layers: int | None = None
    lead: str = ""
    people: int = 0
    has_children: bool = False


class UnitLinkOut(Schema):
    parent: UnitRef | None
    lead: MemberRef | None
    valid_from: datetime.date | None
    valid_to: datetime.date | None
