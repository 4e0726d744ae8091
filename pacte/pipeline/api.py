import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.pagination import paginate

from pacte.accounts.access import ADMIN_ROLES, get_scoped, require_role
from pacte.accounts.models import Membership
from pacte.amounts import api_amount
from pacte.api_auth import request_member
from pacte.api_pagination import Mapped, Pagination
from pacte.errors import DomainError
from pacte.pipeline import ingest, selectors, services
from pacte.pipeline.models import Call, Category, Deal, DealStatus, StageRule
from pacte.pipeline.schemas import (
    CallAccuracyOut,
    CallIn,
    CallOut,
    CompanyForecastOut,
    DealBatchIn,
    DealBatchOut,
    DealOut,
    DealPatch,
    SellerForecastOut,
    StageRulesIn,
    SubmitIn,
    TeamCallIn,
    TeamForecastOut,
)

router = Router(tags=["pipeline"])


class DealFilterIn(Schema):
    period: str | None = None
    category: str | None = None
    status: str | None = None
    stage: str | None = None
    owner: str | None = None
    q: str | None = None
    as_of: datetime.date | None = None


def _deal_out(d: Deal, currency: str) -> dict[str, Any]:
    """A deal for the API (``currency``: the workspace's, passed in: no query per deal)."""
    v = selectors.deal_values(d)
    return {
        "uuid": d.uuid,
        "source": d.source,
        "external_id": d.external_id,
        "name": d.name,
        **v,
        "currency": currency,
        "own_currency": d.currency or currency,
        "own_amount": v["amount"] if d.currency_amount is None else d.currency_amount,
        "owner": d.owner,
        "channel": d.channel.code if d.channel else None,
        "version": d.version,
    }


def _call_out(c: Call | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {
        "uuid": c.uuid,
        "level": c.level,
        "member": c.member,
        "team": c.unit.uuid if c.unit_id and c.unit else None,
        "period": c.period,
        "week": c.week,
        "commit": c.commit,
        "best_case": c.best_case,
        "gross_commit": c.gross_commit,
        "gross_best_case": c.gross_best_case,
        "adjustment": c.adjustment,
        "note": c.note,
        "deals": c.deal_ids,
        "status": c.status,
        "submitted_to": c.submitted_to,
        "version": c.version,
    }


def _figures(f: selectors.Figures) -> dict[str, int]:
    return {
        "pipeline": f.pipeline,
        "best_case": f.best_case,
        "commit": f.commit,
        "weighted": f.weighted,
        "deals": f.deals,
    }


def _seller_out(period: str, r: selectors.SellerRow) -> dict[str, Any]:
    return {
        "period": period,
        "figures": _figures(r.figures),
        "objective": r.objective,
        "actual": r.actual,
        "gap": r.gap,
        "coverage": r.coverage,
        "call": _call_out(r.call),
        "updated_this_week": not r.stale,
    }


# --------------------------------------------------------------------------- deals


@router.get("/deals", response=list[DealOut])
@paginate(Pagination)
def deals_list(request: HttpRequest, filters: Query[DealFilterIn]) -> Any:
    member = request_member(request)
    f = selectors.DealFilter(
        period=services.parse_period(member.workspace, filters.period) if filters.period else None,
        category=filters.category if filters.category in Category.values else "",
        status=filters.status if filters.status in DealStatus.values else "",
        stage=(filters.stage or "").strip(),
        q=(filters.q or "").strip(),
        as_of=filters.as_of,
    )
    if filters.owner:
        from pacte.org.visibility import get_seller_for

        f.owner = get_seller_for(member, filters.owner)
    currency = member.workspace.currency
    return Mapped(selectors.filter_deals(member, f), lambda d: _deal_out(d, currency))


@router.post("/deals/bulk", response=DealBatchOut)
def deals_bulk(request: HttpRequest, body: DealBatchIn) -> Any:
    """Create or update deals by (source, external id): all or nothing, bad rows located
    (``details``: line = position in ``deals``, from 1)."""
    member = request_member(request)
    require_role(member, *ADMIN_ROLES)
    records = []
    for i, row in enumerate(body.deals, start=1):
        data = row.dict()
        if isinstance(data["amount"], int) and not isinstance(data["amount"], bool):
            currency = services.amount_currency(member.workspace, data.get("currency"))
            data["amount"] = services.major_text(
                api_amount(data["amount"], currency, field=f"deals[{i}].amount"), currency
            )
        records.append(data)
    result = ingest.ingest(
        workspace=member.workspace,
        actor=member,
        frames=[ingest.frame_from_records(records)],
        source=body.source,
    )
    return {"created": result.created, "updated": result.updated, "unchanged": result.unchanged}


@router.get("/deals/{deal_id}", response=DealOut)
def deal_get(request: HttpRequest, deal_id: str) -> Any:
    member = request_member(request)
    return _deal_out(selectors.get_deal_for(member, deal_id), member.workspace.currency)


@router.patch("/deals/{deal_id}", response=DealOut)
def deal_patch(request: HttpRequest, deal_id: str, body: DealPatch) -> Any:
    member = request_member(request)
    deal = selectors.get_deal_for(member, deal_id)
    changes = body.dict(exclude_unset=True, exclude_none=True)
    version = changes.pop("version", None)
    if isinstance(changes.get("amount"), int):
        currency = services.amount_currency(
            member.workspace, changes.get("currency") or deal.currency
        )
        changes["amount"] = services.major_text(api_amount(changes["amount"], currency), currency)
    deal = services.update_deal(deal=deal, actor=member, version=version, **changes)
    return _deal_out(deal, member.workspace.currency)


# --------------------------------------------------------------------------- calls


@router.get("/forecast", response=SellerForecastOut)
def forecast_mine(request: HttpRequest, period: str | None = None) -> Any:
    member = request_member(request)
    p = services.parse_period(member.workspace, period)
    return _seller_out(p.key, selectors.seller_forecast(member, p)["row"])


@router.put("/calls/mine", response=CallOut)
def call_put(request: HttpRequest, body: CallIn) -> Any:
    """Set this week's call on a period (a lead may call for one of their sellers)."""
    member = request_member(request)
    seller: Membership = member
    if body.seller is not None:
        seller = get_scoped(Membership.objects.visible_to(member), body.seller)
    currency = member.workspace.currency
    call = services.set_call(
        actor=member,
        seller=seller,
        period_key=body.period,
        commit=api_amount(body.commit, currency, field="commit"),
        best_case=api_amount(body.best_case, currency, field="best_case"),
        note=body.note,
        deal_ids=body.deals,
        version=body.version,
    )
    return _call_out(call)


@router.get("/calls", response=list[CallOut])
@paginate(Pagination)
def calls_list(request: HttpRequest, period: str | None = None) -> Any:
    member = request_member(request)
    qs = Call.objects.visible_to(member).select_related("member", "unit", "submitted_to")
    if period:
        qs = qs.filter(period=period)
    return Mapped(qs.order_by("-week", "pk"), _call_out)


@router.get("/teams/{unit_id}/forecast", response=TeamForecastOut)
def team_forecast(request: HttpRequest, unit_id: str, period: str | None = None) -> Any:
    member = request_member(request)
    unit = selectors.get_team_for_lead(member, unit_id)
    p = services.parse_period(member.workspace, period)
    data = selectors.team_forecast(member, unit, p)
    w = selectors.waterfall(member, p)
    return {
        "period": p.key,
        "team": unit.uuid,
        "sellers": [_seller_out(p.key, r) for r in data["rows"]],
        "seller_ids": [r.seller.uuid for r in data["rows"]],
        "figures": _figures(data["total"]),
        "gross_commit": data["gross_commit"],
        "gross_best_case": data["gross_best_case"],
        "call": _call_out(data["team_call"]),
        "not_updated": data["stale"],
        "waterfall": dict(w.steps),
    }


@router.put("/teams/{unit_id}/call", response=CallOut)
def team_call_put(request: HttpRequest, unit_id: str, body: TeamCallIn) -> Any:
    member = request_member(request)
    unit = selectors.get_team_for_lead(member, unit_id)
    call = services.adjust_team_call(
        actor=member,
        unit=unit,
        period_key=body.period,
        adjustment=body.adjustment,
        note=body.note,
        version=body.version,
    )
    return _call_out(call)


@router.post("/calls/{call_id}/submit", response=CallOut)
def call_submit(request: HttpRequest, call_id: str, body: SubmitIn) -> Any:
    member = request_member(request)
    call = selectors.get_call_for(member, call_id)
    return _call_out(services.submit_team_call(actor=member, call=call, version=body.version))


@router.get("/company", response=CompanyForecastOut)
def company_forecast(request: HttpRequest, period: str | None = None) -> Any:
    member = request_member(request)
    require_role(member, *ADMIN_ROLES)
    p = services.parse_period(member.workspace, period)
    data = selectors.company_forecast(member, p)
    return {
        "period": p.key,
        "teams": [
            {
                "team": r.unit.uuid,
                "name": r.unit.name,
                "figures": _figures(r.figures),
                "seller_commit": r.seller_commit,
                "seller_best_case": r.seller_best_case,
                "call": _call_out(r.call),
                "not_updated": r.not_updated,
            }
            for r in data["teams"]
        ],
        "figures": _figures(data["company"]),
        "call_commit": data["call_commit"],
        "objective": data["objective"],
        "actual": data["actual"],
        "gap": data["gap"],
        "coverage": data["coverage"],
        "forecast": data["forecast"],
    }


# --------------------------------------------------------------------------- accuracy


class _AccuracyPage:
    """The accuracy rows the viewer may see, computed for the page the pagination slices only
    (a fixed number of queries per page, whatever the number of sellers)."""

    def __init__(self, viewer: Membership, period: Any) -> None:
        from pacte.pipeline import snapshots

        self.viewer, self.period = viewer, period
        self.pairs = snapshots.callers_visible_to(viewer, period)

    def __len__(self) -> int:
        return self.pairs.count()

    def __getitem__(self, page: slice) -> list[dict[str, Any]]:
        from pacte.pipeline import snapshots

        rows = snapshots.accuracy_of(self.viewer, self.period, list(self.pairs[page]))
        return [
            {
                "member": r.member,
                "level": r.level,
                "period": self.period.key,
                "calls": r.accuracy.n,
                "last_call": r.last_call,
                "actual": r.actual,
                "error": r.accuracy.wape,
                "bias": r.accuracy.bias,
                "mean_error": r.accuracy.mean_error,
            }
            for r in rows
        ]


@router.get("/accuracy", response=list[CallAccuracyOut])
@paginate(Pagination)
def accuracy(request: HttpRequest, period: str | None = None) -> Any:
    """The accuracy and bias of the weekly commit calls of a closed period (default: the last
    closed quarter) against what was sold, as on the cockpit and the team view: a seller's own,
    a lead's and their sellers', every call for executives and admins."""
    from django.utils import timezone

    from pacte.pipeline import snapshots

    member = request_member(request)
    ws = member.workspace
    if period:
        p = services.parse_period(ws, period)
        if timezone.localdate() <= p.bounds[1]:
            raise DomainError(
                _("The accuracy of calls is known once the period has closed."),
                code="period_open",
                field="period",
            )
    else:
        p = snapshots.previous_quarter(ws, timezone.localdate())
    return _AccuracyPage(member, p)


# --------------------------------------------------------------------------- rules


@router.get("/stage-rules", response=dict[str, list[str]])
def stage_rules_get(request: HttpRequest) -> Any:
    member = request_member(request)
    return dict(
        StageRule.objects.visible_to(member).order_by("stage").values_list("stage", "allowed")
    )


@router.put("/stage-rules", response=dict[str, list[str]])
def stage_rules_put(request: HttpRequest, body: StageRulesIn) -> Any:
    member = request_member(request)
    require_role(member, *ADMIN_ROLES)
    if len(body.rules) > 500:
        raise DomainError("Too many stages.", code="too_many", field="rules")
    services.set_stage_rules(workspace=member.workspace, actor=member, rules=body.rules)
    return dict(
        StageRule.objects.visible_to(member).order_by("stage").values_list("stage", "allowed")
    )
