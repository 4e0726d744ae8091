"""The insights API: every figure of the pages, for BI tools.

Filters (query): ``period`` (FY2027, FY2027-Q2, FY2027-M03, FY2027-YTD), ``team``, ``seller``,
``channel`` (public ids). A malformed value answers 400, an unknown or invisible one 404,
both as JSON ``{"code", "message", "field"}``.
"""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.pagination import paginate

from pacte.accounts.access import ADMIN_ROLES, require_role
from pacte.amounts import api_amount
from pacte.api_auth import request_member
from pacte.api_pagination import Pagination
from pacte.errors import DomainError
from pacte.insights import dashboard, pdf, periods, selectors, services
from pacte.insights.models import ClosedMonth
from pacte.insights.schemas import (
    AccuracyOut,
    AttainmentFilter,
    ClosedMonthIn,
    ClosedMonthOut,
    GroupFiguresOut,
    HeatmapOut,
    InsightFilter,
    JudgmentIn,
    JudgmentOut,
    PreferenceIO,
    RankingOut,
    SettingsIn,
    SettingsOut,
    SummaryOut,
    WhatIfIn,
    WhatIfOut,
)
from pacte.lib.fiscal import Month
from pacte.org.visibility import Tree

router = Router(tags=["insights"])


def _screen(request: HttpRequest, filters: InsightFilter) -> tuple[str, str, dict[str, Any]]:
    member = request_member(request)
    choice = periods.resolve_period(member.workspace, filters.period)
    tree = Tree.load(member.workspace)
    unit, seller, channel = selectors.resolve_filters(
        member, team=filters.team, seller=filters.seller, channel=filters.channel, tree=tree
    )
    if seller is not None:
        if channel is not None:
            raise DomainError(
                _("Filter a seller's figures by period only."),
                code="invalid_filter",
                field="channel",
            )
        return "seller", seller.name, dashboard.cockpit(member, seller, choice)
    if unit is not None and unit.parent_id is not None:
        data = dashboard.unit_view(
            member, unit.pk, choice, channel=channel, tree=tree, with_sellers=True
        )
        return "team", unit.name, data
    data = dashboard.unit_view(member, None, choice, channel=channel, tree=tree, with_sellers=True)
    return "company", tree.root.name, data


@router.get("/summary", response=SummaryOut)
def summary(request: HttpRequest, filters: Query[InsightFilter]) -> dict[str, Any]:
    """Target, objective, actual, attainment, gap and forecast for month, quarter, year to
    date and year, of the company, a team, a seller, optionally one channel."""
    scope, name, data = _screen(request, filters)
    return {
        "scope": scope,
        "name": name,
        "period": data["period"].key,
        "fiscal_year": data["period"].fy,
        "periods": data["summary"],
        "forecast": data["forecast"],
    }


@router.get("/attainment", response=list[GroupFiguresOut])
@paginate(Pagination)
def attainment(request: HttpRequest, filters: Query[AttainmentFilter]) -> list[dict[str, Any]]:
    """One row per team (children of the scope), seller, channel or month over the period."""
    _scope, _name, data = _screen(request, filters)
    if filters.by == "team":
        return [r for r in data.get("teams", [])]
    if filters.by == "channel":
        return list(data.get("channels", {}).get("rows", []))
    if filters.by == "seller":
        return list((data.get("sellers") or {}).get("rows", []))
    chart = data["chart"]
    rows = []
    for i, label in enumerate(chart["months"]):
        target = chart["target"][i] if chart["target"] else None
        objective = chart["objective"][i] if chart["objective"] else None
        actual = chart["actual"][i]
        forecast = chart["forecast"][i] if chart["forecast"] else None
        rows.append(
            {
                "key": str(i + 1),
                "name": label,
                **selectors.three_numbers(target, objective, actual, forecast),
            }
        )
    return rows


@router.get("/heatmap", response=HeatmapOut)
def heatmap(request: HttpRequest, filters: Query[InsightFilter]) -> dict[str, Any]:
    """Attainment against target (percent) of each team and month: cells are [month, row, %]."""
    _scope, _name, data = _screen(request, filters)
    return data.get("heatmap") or {"months": [], "rows": [], "cells": [], "pending": []}


@router.get("/ranking", response=RankingOut)
def ranking(request: HttpRequest, filters: Query[InsightFilter]) -> dict[str, Any]:
    """Sellers furthest behind and ahead of target (only sellers the caller may see)."""
    _scope, _name, data = _screen(request, filters)
    return data.get("ranking") or {"behind": [], "ahead": []}


@router.get("/report.pdf")
def report_pdf(request: HttpRequest, filters: Query[InsightFilter]) -> HttpResponse:
    """The monthly report as a PDF (``application/pdf``) of the company, a team or a seller,
    in the caller's language: title, period, the three numbers, a chart of actual against
    target per month, one row per team or per seller."""
    from pacte.insights.views import member_language, pdf_response

    member = request_member(request)
    with translation.override(member_language(member)):
        scope, name, data = _screen(request, filters)
        content = pdf.render(
            data, name, currency=member.workspace.currency, with_sellers=scope != "company"
        )
    return pdf_response(content, data["period"].key, name)


@router.get("/accuracy", response=AccuracyOut)
def accuracy(request: HttpRequest, filters: Query[InsightFilter]) -> dict[str, Any]:
    """Monthly snapshots of a seller's year forecast (``seller`` required) and their error."""
    if not filters.seller:
        raise DomainError(_("Give a seller."), code="seller_required", field="seller")
    _scope, _name, data = _screen(request, filters)
    return data["accuracy"]


@router.post("/what-if", response=WhatIfOut)
def what_if(request: HttpRequest, body: WhatIfIn) -> dict[str, Any]:
    """The seller's year figures if a deal of ``amount`` closed in fiscal month ``month``."""
    member = request_member(request)
    choice = periods.resolve_period(member.workspace, body.period)
    _u, seller, _c = selectors.resolve_filters(member, seller=body.seller or None)
    if seller is None:
        raise DomainError(_("Give a seller."), code="required", field="seller")
    amount = api_amount(body.amount, member.workspace.currency)
    data = dashboard.cockpit(member, seller, choice)
    result = dashboard.what_if(data["frame"], amount, body.month - 1)
    for side in ("before", "after"):
        result[side].update(key=str(seller.uuid), name=seller.name)
    return result


@router.put("/judgment", response=JudgmentOut)
def judgment(request: HttpRequest, body: JudgmentIn) -> Any:
    """The caller's own committed and best-case amounts for a fiscal year."""
    member = request_member(request)
    choice = periods.resolve_period(member.workspace, body.period)
    currency = member.workspace.currency
    return services.save_judgment(
        seller=member,
        actor=member,
        fiscal_year=choice.fy,
        committed=None
        if body.committed is None
        else api_amount(body.committed, currency, field="committed"),
        best_case=None
        if body.best_case is None
        else api_amount(body.best_case, currency, field="best_case"),
        note=body.note,
        version=body.version,
    )


@router.get("/closed-months", response=list[ClosedMonthOut])
def closed_months(request: HttpRequest) -> list[dict[str, Any]]:
    member = request_member(request)
    return [
        {
            "month": str(Month.from_index(c.month)),
            "index": c.month,
            "closed_at": c.closed_at.isoformat(),
        }
        for c in ClosedMonth.objects.for_workspace(member.workspace).order_by("month")
    ]


@router.post("/closed-months", response={201: ClosedMonthOut})
def close_month(request: HttpRequest, body: ClosedMonthIn) -> tuple[int, dict[str, Any]]:
    """Close a month (admins and executives): its actuals are frozen."""
    from pacte.insights.views import parse_month

    member = request_member(request)
    require_role(member, *ADMIN_ROLES)
    month = parse_month(member.workspace, body.month)
    closed = services.close_month(workspace=member.workspace, actor=member, month=month)
    return 201, {
        "month": str(Month.from_index(month)),
        "index": month,
        "closed_at": closed.closed_at.isoformat(),
    }


@router.delete("/closed-months/{month}", response={204: None})
def reopen_month(request: HttpRequest, month: str) -> tuple[int, None]:
    from pacte.insights.views import parse_month

    member = request_member(request)
    require_role(member, *ADMIN_ROLES)
    index = parse_month(member.workspace, month)
    if not selectors.is_month_closed(member.workspace, index):
        raise Http404  # no such closed month
    services.reopen_month(workspace=member.workspace, actor=member, month=index)
    return 204, None


@router.get("/settings", response=SettingsOut)
def get_settings(request: HttpRequest) -> Any:
    member = request_member(request)
    require_role(member, *ADMIN_ROLES)
    return selectors.settings_of(member.workspace)


@router.put("/settings", response=SettingsOut)
def put_settings(request: HttpRequest, body: SettingsIn) -> Any:
    member = request_member(request)
    require_role(member, *ADMIN_ROLES)
    return services.update_settings(
        workspace=member.workspace,
        actor=member,
        late_sale_policy=body.late_sale_policy,
        judgment_weight=body.judgment_weight,
        version=body.version,
    )


@router.get("/digest-preference", response=PreferenceIO)
def get_preference(request: HttpRequest) -> Any:
    return selectors.digest_preference(request_member(request))


@router.put("/digest-preference", response=PreferenceIO)
def put_preference(request: HttpRequest, body: PreferenceIO) -> Any:
    return services.set_digest_preference(
        member=request_member(request), digest=body.digest, alerts=body.alerts
    )
