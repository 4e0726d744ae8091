import datetime
from typing import Any
from uuid import UUID

from ninja import Field, Schema

from pacte.amounts import AmountIn


class PipelineMemberRef(Schema):
    uuid: UUID
    name: str


class DealRow(Schema):
    external_id: str
    name: str
    amount: AmountIn = Field(..., description="Minor units (integer) or typed text.")
    close_date: str = Field(..., description="Expected close date (ISO 8601).")
    stage: str
    probability: int | str = Field(..., description="0 to 100.")
    category: str = Field(..., description="pipeline, best_case, commit, closed or omitted.")
    owner: str = Field(..., description="The owner's email address.")
    status: str | None = Field(None, description="open (default), won or lost.")
    channel: str | None = None
    split: str | None = Field(None, description="email:percent;email:percent (sum 100).")
    overlay: str | None = Field(None, description="email;email")
    currency: str | None = Field(
        None,
        description="ISO 4217 code of the amount (default: the workspace currency); converted "
        "at the workspace's rates.",
    )


class DealBatchIn(Schema):
    source: str = "default"
    deals: list[DealRow] = Field(..., max_length=100_000)


class DealBatchOut(Schema):
    created: int
    updated: int
    unchanged: int


class DealPatch(Schema):
    name: str | None = None
    amount: AmountIn | None = None
    close_date: str | None = None
    stage: str | None = None
    probability: int | str | None = None
    category: str | None = None
    status: str | None = None
    currency: str | None = Field(None, description="ISO 4217 code of the amount.")
    version: int | None = Field(None, description="The version you read; a stale one gets 412.")


class DealOut(Schema):
    uuid: UUID
    source: str
    external_id: str
    name: str
    amount: int = Field(..., description="Minor units of the workspace currency.")
    weighted: int
    currency: str = Field(..., description="The workspace currency (of amount and weighted).")
    own_currency: str = Field(..., description="The deal's own currency.")
    own_amount: int = Field(..., description="The deal's amount in its own currency.")
    close_date: datetime.date
    stage: str
    probability: int
    category: str
    status: str
    owner: PipelineMemberRef
    channel: str | None
    version: int


class PipelineFiguresOut(Schema):
    pipeline: int
    best_case: int
    commit: int
    weighted: int
    deals: int


class CallIn(Schema):
    period: str = Field(..., description="FY2027-Q2 (a quarter) or FY2027-M03 (a month).")
    commit: AmountIn
    best_case: AmountIn
    note: str = ""
    deals: list[UUID] = Field(default_factory=list, max_length=1000)
    seller: UUID | None = Field(None, description="A lead calling for one of their sellers.")
    version: int | None = None


class TeamCallIn(Schema):
    period: str
    adjustment: int = Field(..., description="Minor units added to (or taken from) the roll-up.")
    note: str = ""
    version: int | None = None


class SubmitIn(Schema):
    version: int | None = None


class CallOut(Schema):
    uuid: UUID
    level: str
    member: PipelineMemberRef
    team: UUID | None
    period: str
    week: datetime.date
    commit: int
    best_case: int
    gross_commit: int
    gross_best_case: int
    adjustment: int
    note: str
    deals: list[str]
    status: str
    submitted_to: PipelineMemberRef | None
    version: int


class SellerForecastOut(Schema):
    period: str
    figures: PipelineFiguresOut
    objective: int | None
    actual: int
    gap: int | None
    coverage: float | None
    call: CallOut | None
    updated_this_week: bool


class TeamForecastOut(Schema):
    period: str
    team: UUID
    sellers: list[SellerForecastOut]
    seller_ids: list[UUID]
    figures: PipelineFiguresOut
    gross_commit: int
    gross_best_case: int
    call: CallOut | None
    not_updated: int
    waterfall: dict[str, int]


class TeamRowOut(Schema):
    team: UUID
    name: str
    figures: PipelineFiguresOut
    seller_commit: int
    seller_best_case: int
    call: CallOut | None
    not_updated: int


class CompanyForecastOut(Schema):
    period: str
    teams: list[TeamRowOut]
    figures: PipelineFiguresOut
    call_commit: int
    objective: int | None
    actual: int
    gap: int | None
    coverage: float | None
    forecast: dict[str, Any]


class CallAccuracyOut(Schema):
    member: PipelineMemberRef
    level: str = Field(..., description="seller (their own calls) or team (a lead's team calls).")
    period: str
    calls: int = Field(..., description="Weekly snapshots of the call measured.")
    last_call: int | None = Field(..., description="The last snapshotted commit (minor units).")
    actual: int = Field(..., description="What was sold in the period (minor units).")
    error: float | None = Field(
        ..., description="Weighted absolute percentage error of the weekly commits (WAPE)."
    )
    bias: float | None = Field(..., description="Signed: above zero, over-called.")
    mean_error: float | None = Field(..., description="Mean of commit - actual (minor units).")


class StageRulesIn(Schema):
    rules: dict[str, list[str]]
