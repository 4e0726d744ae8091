import datetime
from typing import Any
from uuid import UUID

from ninja import Field, Schema

from pacte.amounts import AmountIn
from pacte.objectives.schemas import KeyResultOut


class PartnerOut(Schema):
    uuid: UUID
    code: str
    name: str
    kind: str
    channel: str = Field(..., description="The channel's code.")
    territory: str
    owner: UUID = Field(..., description="The channel manager (a member).")
    owner_name: str
    seat: UUID = Field(..., description="The member that receives the partner's share.")
    is_active: bool
    version: int


class PartnerIn(Schema):
    code: str = Field(..., min_length=1, max_length=40)
    name: str = Field(..., min_length=1, max_length=200)
    kind: str = Field(..., pattern="^(distributor|reseller|agent)$")
    channel: str = Field(..., description="A channel's code.")
    territory: str = Field("", max_length=100)
    owner: UUID = Field(..., description="The channel manager (a member).")


class PartnerPatch(Schema):
    version: int | None = Field(None, description="The version read; a stale one gives 412.")
    name: str | None = Field(None, min_length=1, max_length=200)
    kind: str | None = Field(None, pattern="^(distributor|reseller|agent)$")
    channel: str | None = None
    territory: str | None = Field(None, max_length=100)
    owner: UUID | None = None
    is_active: bool | None = None


class PersonIn(Schema):
    email: str = Field(..., max_length=254)
    name: str = Field(..., min_length=1, max_length=200)


class PersonOut(Schema):
    uuid: UUID
    name: str
    email: str
    is_pending: bool


class SaleLine(Schema):
    external_id: str
    date: datetime.date
    customer: str | None
    channel: str
    amount: int = Field(..., description="Minor units, the partner's split credit.")


class PartnerFiguresOut(Schema):
    partner: PartnerOut
    fiscal_year: int
    currency: str
    reference: int | None = Field(..., description="Reference share (minor units), if any.")
    objective: int | None
    objective_status: str | None
    objective_version: int | None
    actual: int
    attainment: float | None = Field(..., description="Actual ÷ commitment (informative).")
    sales: list[SaleLine]
    key_results: list[KeyResultOut] = Field(
        default_factory=list, description="The key results of the partner's plan of the year."
    )


class ProposeIn(Schema):
    fiscal_year: int
    amount: AmountIn = Field(..., description="The commitment (minor units, or typed text).")
    narrative: str | None = None
    version: int | None = Field(None, description="The objective's version; stale → 412.")


class PartnerObjectiveOut(Schema):
    uuid: UUID
    fiscal_year: int
    status: str
    amount: int
    version: int


class PartnerKeyResultIn(Schema):
    fiscal_year: int
    name: str
    measure: str = ""
    target: Any = Field(..., description="Zero or more, two decimals at most (or typed text).")
    unit: str = ""
    due_on: datetime.date | None = None


class PartnerCheckInIn(Schema):
    fiscal_year: int
    confidence: int = Field(..., ge=0, le=10)
    comment: str = ""


class PartnerCheckInOut(Schema):
    week: datetime.date
    confidence: int
    comment: str


class FigureRow(Schema):
    key: str
    label: str
    uuid: UUID | None
    partners: int
    reference: int
    objective: int
    gap: int
    actual: int


class FiguresByOut(Schema):
    fiscal_year: int
    channel: UUID | None
    partner: UUID | None = Field(
        None, description="With ``partner``: its rows are fiscal months (key = month index)."
    )
    rows: list[FigureRow]
    total: FigureRow
