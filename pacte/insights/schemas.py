"""Schemas of the insights API (amounts in minor units, ratios as fractions: 0.87 = 87 %)."""

from typing import Literal

from ninja import Field, Schema

from pacte.amounts import AmountIn


class InsightFilter(Schema):
    period: str | None = Field(None, description="FY2027, FY2027-Q2, FY2027-M03 or FY2027-YTD")
    team: str | None = Field(None, description="Public id of a unit")
    seller: str | None = Field(None, description="Public id of a member")
    channel: str | None = Field(None, description="Public id of a channel")


class AttainmentFilter(InsightFilter):
    by: Literal["team", "seller", "channel", "month"] = "team"


class FiguresOut(Schema):
    target: int | None
    objective: int | None
    actual: int
    attainment_target: float | None
    attainment_objective: float | None
    gap_target: int | None
    gap_objective: int | None
    forecast: int | None


class PeriodFiguresOut(FiguresOut):
    period: str
    key: str


class ForecastOut(Schema):
    year_forecast: int | None
    p_objective: float | None
    p_target: float | None
    elapsed: int
    run_rate: int | None = None
    committed: int | None = None
    best_case: int | None = None


class SummaryOut(Schema):
    scope: str
    name: str
    period: str
    fiscal_year: int
    periods: list[PeriodFiguresOut]
    forecast: ForecastOut


class GroupFiguresOut(FiguresOut):
    key: str
    name: str
    year_forecast: int | None = None
    p_objective: float | None = None
    p_target: float | None = None
    share: float | None = None


class HeatmapOut(Schema):
    months: list[str]
    rows: list[str]
    cells: list[list[float | None]]
    pending: list[int] = []  # positions of the months not over yet (their cells are null)


class RankedOut(Schema):
    key: str
    name: str
    actual: int
    target: int
    attainment_target: float
    gap_target: int


class RankingOut(Schema):
    behind: list[RankedOut]
    ahead: list[RankedOut]


class SnapshotOut(Schema):
    month: str
    forecast: int
    actual_to_date: int


class AccuracyOut(Schema):
    months: list[SnapshotOut]
    n: int
    wape: float | None
    bias: float | None
    actual: int | None


class WhatIfIn(Schema):
    seller: str
    amount: AmountIn = Field(..., description="Deal amount")
    month: int = Field(..., ge=1, le=12, description="Fiscal month of the deal, 1..12")
    period: str | None = None


class WhatIfOut(Schema):
    amount: int
    before: GroupFiguresOut
    after: GroupFiguresOut


class JudgmentIn(Schema):
    period: str | None = Field(None, description="The fiscal year, e.g. FY2027")
    committed: AmountIn | None = None
    best_case: AmountIn | None = None
    note: str = ""
    version: int | None = None


class JudgmentOut(Schema):
    fiscal_year: int
    committed: int | None
    best_case: int | None
    note: str
    version: int


class ClosedMonthIn(Schema):
    month: str = Field(..., description="2026-03 or FY2026-M03")


class ClosedMonthOut(Schema):
    month: str
    index: int
    closed_at: str


class SettingsOut(Schema):
    late_sale_policy: str
    judgment_weight: int
    version: int


class SettingsIn(Schema):
    late_sale_policy: Literal["refuse", "next_open"]
    judgment_weight: int | None = Field(None, ge=0, le=100)
    version: int | None = None


class PreferenceIO(Schema):
    digest: bool
    alerts: bool
