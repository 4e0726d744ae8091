import datetime
from typing import Any
from uuid import UUID

from ninja import Field, Schema

from pacte.amounts import AmountIn


class PeriodOut(Schema):
    key: str
    kind: str
    label: str
    start: datetime.date
    end: datetime.date
    months: list[int] = Field(..., description="Month indexes (year * 12 + month - 1).")


class CalendarOut(Schema):
    first_month: int
    year: str
    closed: bool
    periods: list[PeriodOut]


class ReferenceRunOut(Schema):
    uuid: UUID
    number: int
    total: int = Field(..., description="The amount the run cascades, minor units.")


class CompanyTargetOut(Schema):
    uuid: UUID
    year: str
    amount: int = Field(..., description="Minor units (cents).")
    currency: str
    channel_split: dict[str, int]
    version: int
    reference: ReferenceRunOut | None = Field(
        None, description="The published run of the year, if any."
    )
    reference_matches: bool | None = Field(
        None,
        description=(
            "False when the published run cascades another amount than the target (the "
            "target changed after it was published: re-run it with POST "
            "/runs/{run_id}/rerun); null when no run is published."
        ),
    )


class CompanyTargetIn(Schema):
    year: str = Field(..., description="Fiscal year key, e.g. FY2027.")
    amount: AmountIn
    channel_split: dict[str, AmountIn] | None = Field(
        None, description="Channel code → amount; the amounts must sum to amount."
    )
    version: int | None = Field(None, description="The version you read; a stale one gets 412.")


class CascadeParamsIn(Schema):
    method: str = Field("equal", description="equal | history | potential | capacity | blended")
    mix: dict[str, Any] | None = Field(None, description="Blend: method → weight.")
    window_months: int = 12
    bounds: list[Any] | None = Field(None, description="Growth bounds in percent, e.g. [-10, 30].")
    holds: dict[str, AmountIn] | None = Field(None, description="Seller uuid → annual amount.")
    exclusions: list[str] | None = None
    phasing: str = Field("flat", description="flat | seasonal | custom")
    profile: list[Any] | None = Field(None, description="Custom phasing: 12 numbers.")
    ramp_months: int = 3
    effective_from: int = Field(1, description="Fiscal month 1..12 a re-run takes effect from.")


class CascadeIn(CascadeParamsIn):
    year: str


class UnitAmountOut(Schema):
    uuid: UUID
    name: str
    depth: int
    amount: int


class SellerAmountOut(Schema):
    uuid: UUID
    name: str
    unit: str
    amount: int
    bound: str
    held: bool
    excluded: bool


class MonthAmountOut(Schema):
    month: int
    label: str
    amount: int


class PreviewOut(Schema):
    year: str
    total: int
    effective_from: int
    units: list[UnitAmountOut]
    sellers: list[SellerAmountOut]
    months: list[MonthAmountOut]
    channels: dict[str, int]


class RunOut(Schema):
    uuid: UUID
    year: str
    number: int
    status: str
    method: str
    parameters: dict[str, Any]
    effective_from: int
    base_run: UUID | None
    total: int
    seller_count: int
    created_at: datetime.datetime
    published_at: datetime.datetime | None
    version: int


class PublishIn(Schema):
    version: int | None = None
    replaces: UUID | None = Field(
        None,
        description=(
            "The published run you reviewed the changes against (the diff's `reference`): "
            "refused (reference_changed) when another run was published since."
        ),
    )


class SellerChangeOut(Schema):
    seller_uuid: UUID
    seller_name: str
    before: int = Field(..., description="Annual share in the published run, minor units.")
    after: int = Field(..., description="Annual share in this run, minor units.")
    delta: int


class PublishDiffOut(Schema):
    run: UUID
    reference: UUID | None = Field(
        None, description="The run now published, that publishing this one would replace."
    )
    before_total: int
    after_total: int
    sellers: int = Field(..., description="Sellers in either run.")
    changed: int
    raised: int
    lowered: int
    unchanged: int
    added: int = Field(..., description="Sellers with no share in the published run.")
    removed: int = Field(..., description="Sellers of the published run absent from this one.")
    largest_up: list[SellerChangeOut]
    largest_down: list[SellerChangeOut]


class CompareRowOut(Schema):
    seller_uuid: UUID
    seller_name: str
    a: int
    b: int
    delta: int
    reasons: list[str]
    reason_labels: list[str]


class CompareOut(Schema):
    a: UUID
    b: UUID
    rows: list[CompareRowOut]


class ExplanationOut(Schema):
    run: UUID
    seller: UUID
    seller_name: str
    unit: str
    amount: int
    explanation: dict[str, Any]


class ShareOut(Schema):
    seller: UUID
    unit: UUID
    channel: str
    month: int
    period: str
    amount: int


class ShareFilter(Schema):
    period: str | None = Field(None, description="FY2027, FY2027-Q2 or FY2027-M03.")
    run: UUID | None = Field(None, description="Default: the published run of the year.")
    unit: UUID | None = Field(None, description="A team: its whole subtree.")
    seller: UUID | None = None
    channel: str | None = Field(None, description="Channel code.")


class PotentialImportErrorOut(Schema):
    line: int
    message: str


class PotentialImportOut(Schema):
    ok: bool
    stored: int
    errors: list[PotentialImportErrorOut]


class LeaveIn(Schema):
    start: datetime.date
    end: datetime.date


class CapacityIn(Schema):
    fte: Any = Field(..., description="0 to 1.")
    leaves: list[LeaveIn] | None = Field(None, description="Replaces the leave periods.")


class CapacityOut(Schema):
    seller: UUID
    fte: str
    leaves: list[LeaveIn]


class DelegationIn(Schema):
    opens_on: datetime.date
    closes_on: datetime.date


class TeamSplitOut(Schema):
    uuid: UUID
    team: UUID
    team_name: str
    parent: UUID | None = Field(None, description="The split of the team above, if any.")
    run: UUID
    year: str
    amount: int = Field(..., description="The team's share, minor units.")
    status: str
    late: bool
    method: str
    parameters: dict[str, Any]
    amounts: dict[str, int] = Field(
        ..., description="Amount per direct seller or sub-team (public id), minor units."
    )
    taken_over: bool
    version: int


class DelegationOut(Schema):
    uuid: UUID
    run: UUID
    opens_on: datetime.date
    closes_on: datetime.date
    status: str
    done: int
    pending: int
    late: int
    waiting: int
    splits: list[TeamSplitOut]
    version: int


class TeamSplitIn(Schema):
    method: str = Field(
        "equal",
        description="equal, history, potential, capacity, blended (a cascade method restricted "
        "to the team), or manual (the amounts given).",
    )
    mix: dict[str, Any] | None = None
    bounds: list[Any] | None = Field(None, description="Growth bounds in percent, [low, high].")
    holds: dict[str, AmountIn] = Field(
        default_factory=dict, description="Amount held per seller or sub-team public id."
    )
    amounts: dict[str, AmountIn] = Field(
        default_factory=dict, description="For the manual method: amount per public id."
    )
    submit: bool = Field(
        False, description="Submit (the split must sum exactly to the team's share)."
    )
    version: int | None = Field(
        None, description="The version read; or send it as the If-Match header. Stale: 412."
    )


class SplitItemOut(Schema):
    key: str
    name: str
    kind: str
    amount: int
    current: int = Field(..., description="What the company's cascade gave, minor units.")
    held: bool
    bound: str


class SplitPreviewOut(Schema):
    items: list[SplitItemOut]
    sum: int
    share: int
    difference: int
    exact: bool


class LockIn(Schema):
    version: int | None = None
