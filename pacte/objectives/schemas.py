import datetime
from typing import Any
from uuid import UUID

from ninja import Field, FilterSchema, Schema

from pacte.amounts import AmountIn
from pacte.org.schemas import MemberRef


class ObjectiveIn(Schema):
    fiscal_year: int = Field(..., ge=1900, le=9998)
    amount: AmountIn = Field(..., description="Annual amount (minor units, or typed text).")
    months: list[AmountIn] | None = Field(
        None,
        description="12 monthly amounts summing to amount; omitted: phased like the "
        "reference share.",
    )
    channel_split: dict[str, Any] | None = Field(
        None, description="Channel code → percentage (0–100, two decimals); total ≤ 100."
    )
    narrative: str | None = None
    version: int | None = Field(None, description="The version you read; a stale one gets 412.")


class ObjectiveOut(Schema):
    uuid: UUID
    seller: MemberRef
    fiscal_year: int
    status: str
    amount: int
    months: list[int]
    channel_split: dict[str, int] = Field(..., description="Channel code → basis points.")
    narrative: str
    reference_amount: int | None = Field(
        ..., description="The seller's current reference share (the published run's)."
    )
    proposed_reference_amount: int | None = Field(
        ..., description="The reference share when it was proposed (what the policy compared)."
    )
    handler: MemberRef | None
    reason: str
    counter_amount: int | None
    agreed_amount: int | None
    is_late: bool
    version: int


class ObjectiveFilter(FilterSchema):
    fiscal_year: int | None = None
    status: str | None = None


class DecisionIn(Schema):
    decision: str = Field(..., description="agree or return")
    reason: str = ""
    version: int | None = None


class CounterIn(Schema):
    amount: AmountIn = Field(..., description="Counter-proposed annual amount.")
    reason: str
    version: int | None = None


class VersionRef(Schema):
    version: int | None = None


class ObjectiveVersionOut(Schema):
    number: int
    action: str
    status: str
    amount: int
    months: list[int]
    channel_split: dict[str, int]
    narrative: str
    reason: str
    counter_amount: int | None
    author: MemberRef | None
    is_late: bool
    created_at: datetime.datetime


class PolicyOut(Schema):
    auto_agree: bool
    tolerance_pct: str
    version: int


class PolicyIn(Schema):
    auto_agree: bool
    tolerance_pct: Any = Field(..., description="Percentage 0–100.")
    version: int | None = None


class WindowIn(Schema):
    fiscal_year: int = Field(..., ge=1900, le=9998)
    opens_on: datetime.date
    closes_on: datetime.date
    version: int | None = None


class WindowOut(Schema):
    fiscal_year: int
    opens_on: datetime.date
    closes_on: datetime.date
    version: int


class GapRuleIn(Schema):
    fiscal_year: int = Field(..., ge=1900, le=9998)
    unit: UUID | None = Field(None, description="The node; the company when omitted.")
    kind: str = Field(..., description="stretch, prorata or reserve")
    amount: AmountIn
    sellers: list[UUID] = Field(default_factory=list, description="For stretch requests.")
    note: str = ""


class AllocationOut(Schema):
    seller: str
    name: str
    amount: int
    headroom: int | None


class GapRuleOut(Schema):
    uuid: UUID
    fiscal_year: int
    kind: str
    amount: int
    allocations: list[AllocationOut]
    note: str
    created_at: datetime.datetime


class PeriodRow(Schema):
    target: int
    agreed: int
    proposed: int
    gap: int


class MonthRow(PeriodRow):
    index: int
    number: int


class QuarterRow(PeriodRow):
    number: int


class ChannelRow(PeriodRow):
    code: str


class SellerRow(Schema):
    uuid: UUID
    name: str
    reference: int | None
    agreed: int
    proposed: int
    status: str
    objective: UUID | None
    is_late: bool
    missing: bool


class YearRow(PeriodRow):
    reserve: int
    stretch_requested: int
    gap_after_reserve: int
    sellers: int
    missing: int


class ReconciliationOut(Schema):
    fiscal_year: int
    unit: UUID
    year: YearRow
    months: list[MonthRow]
    quarters: list[QuarterRow]
    channels: list[ChannelRow]
    sellers: list[SellerRow]


class KeyResultIn(Schema):
    name: str
    measure: str = ""
    target: Any
    unit: str = ""
    due_on: datetime.date | None = None


class KeyResultOut(Schema):
    uuid: UUID
    name: str
    measure: str
    target: str
    unit: str
    due_on: datetime.date | None


class InitiativeIn(Schema):
    text: str


class InitiativePatch(Schema):
    status: str


class InitiativeOut(Schema):
    uuid: UUID
    text: str
    status: str


class PlanOut(Schema):
    key_results: list[KeyResultOut]
    initiatives: list[InitiativeOut]


class CheckInIn(Schema):
    confidence: Any = Field(..., description="0 to 10")
    comment: str = ""


class CheckInOut(Schema):
    uuid: UUID
    week: datetime.date
    confidence: int
    comment: str
    seen_at: datetime.datetime | None = Field(
        None, description="When a lead marked it seen or answered it; null: unanswered."
    )
    reply: str = ""
    replied_by: MemberRef | None = None
    replied_at: datetime.datetime | None = None


class TeamCheckInOut(CheckInOut):
    objective: UUID
    seller: MemberRef
    unanswered: bool


class TeamCheckInFilter(FilterSchema):
    fiscal_year: int | None = None
    unanswered: bool = Field(False, description="Only those no lead has seen or answered.")


class CheckInReplyIn(Schema):
    reply: str = Field(..., description="The lead's answer (at most 4,000 characters).")


class NotificationOut(Schema):
    uuid: UUID
    kind: str
    subject: str
    body: str
    url: str
    read: bool
    created_at: datetime.datetime


class NotificationsReadOut(Schema):
    marked: int


class RealismOut(Schema):
    fiscal_year: int
    amount: int = Field(..., description="Minor units.")
    history: int = Field(..., description="Last fiscal year's actual sales, minor units.")
    reference: int = Field(..., description="Reference share, minor units (0: none).")
    growth: str | None = Field(None, description='amount / history - 1 ("0.6500" = +65 %).')
    vs_reference: str | None = Field(None, description="amount / reference - 1.")
    team_growth: str | None = Field(None, description="The team's proposals on their history.")
    level: str = Field(
        ...,
        description=(
            "below_history | realistic (up to +15 % on history) | ambitious (up to +35 %) | "
            "very_ambitious | no_history | unknown"
        ),
    )
    history_band: str | None
    reference_band: str | None = Field(
        None, description="below_reference | at_reference (up to +5 %) | above_reference"
    )
    low: int = Field(..., description="Suggested range, minor units.")
    high: int
    in_range: bool
    headline: str = Field(..., description="The level in words, in the reader's language.")
    sentences: list[str]


class ReviewOut(Schema):
    uuid: UUID
    seller: MemberRef
    team: str | None = None
    fiscal_year: int
    quarter: int
    basis: str = Field(..., description="objective (agreed objective) or target (reference).")
    committed: int = Field(..., description="What the basis puts in the quarter, minor units.")
    actual: int
    gap: int
    gap_by_channel: dict[str, int] = Field(..., description='Channel code → gap ("": none).')
    status: str = Field(..., description="requested, submitted or answered.")
    reasons: list[str]
    text: str
    next_change: str
    submitted_at: datetime.datetime | None
    answer: str
    answered_by: MemberRef | None
    answered_at: datetime.datetime | None
    version: int


class ReviewFilter(FilterSchema):
    fiscal_year: int | None = None
    quarter: int | None = None
    status: str | None = None


class ReviewIn(Schema):
    reasons: list[str] = Field(..., description="Codes from GET /review-reasons.")
    text: str = ""
    next_change: str = ""
    version: int | None = None


class ReviewForPeriodIn(ReviewIn):
    fiscal_year: int
    quarter: int
    seller: UUID | None = Field(None, description="Omitted or yourself: a review is your own.")


class ReviewAnswerIn(Schema):
    answer: str
    version: int | None = None


class ReviewRequestIn(Schema):
    fiscal_year: int
    quarter: int


class ReviewRequestOut(Schema):
    requested: int


class ReasonIn(Schema):
    code: str = ""
    name_en: str
    name_fr: str = ""
    is_active: bool = True


class ReasonsIn(Schema):
    reasons: list[ReasonIn] = Field(..., description="The whole list, in order.")


class ReasonOut(Schema):
    code: str
    name_en: str
    name_fr: str
    is_active: bool
    label: str


class ReasonSummaryOut(Schema):
    group: str
    group_label: str
    reason: str
    reason_label: str
    reviews: int
    gap: int = Field(..., description="The part of the reviews' gaps behind it, minor units.")


class FieldRequestIn(Schema):
    kind: str = Field(..., description="credit (dispute a sale's credit) or move (change team)")
    sale: str | None = Field(None, description="credit: the sale's public id, or its external id.")
    credit_kind: str | None = Field(None, description="credit: split or overlay")
    share_bp: int | None = Field(
        None, description="credit: the share asked for, in basis points (1–10000)."
    )
    seller: UUID | None = Field(
        None, description="Whose credit: only yourself (another seller's is refused)."
    )
    unit: UUID | None = Field(None, description="move: the team's public id.")
    effective: datetime.date | None = Field(None, description="move: the first day there.")
    reason: str = ""


class FieldRequestDecisionIn(Schema):
    accept: bool
    reason: str
    version: int | None = Field(None, description="The version you read; a stale one gets 412.")


class FieldRequestOut(Schema):
    uuid: UUID
    kind: str
    status: str
    seller: MemberRef
    handler: MemberRef | None
    summary: str
    sale: str | None = Field(..., description="The sale's external id.")
    credit_kind: str
    share_bp: int | None
    unit: str | None = Field(..., description="The team's name.")
    effective: datetime.date | None
    reason: str
    decision_reason: str
    decided_by: MemberRef | None
    decided_at: datetime.datetime | None
    created_at: datetime.datetime
    version: int
