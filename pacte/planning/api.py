from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Query, Router
from ninja.files import UploadedFile
from ninja.pagination import LimitOffsetPagination, paginate

from pacte.accounts.access import ADMIN_ROLES, get_member_for, require_role
from pacte.amounts import api_amount
from pacte.api_auth import request_member
from pacte.errors import DomainError
from pacte.jobs.schemas import JobOut
from pacte.jobs.work import job_out
from pacte.org.selectors import subtree_ids
from pacte.org.visibility import get_seller_for, get_unit_for, sees_every_seller, visible_sellers
from pacte.planning import cascade, delegation, selectors, services, work
from pacte.planning.labels import calendar_rows
from pacte.planning.models import CascadeRun, CascadeShare, Delegation, Leave, TeamSplit
from pacte.planning.runs import (
    ANY_REFERENCE,
    compare_runs,
    create_run,
    publish_run,
    rerun_for_target,
)
from pacte.planning.schemas import (
    CalendarOut,
    CapacityIn,
    CapacityOut,
    CascadeIn,
    CompanyTargetIn,
    CompanyTargetOut,
    CompareOut,
    DelegationIn,
    DelegationOut,
    ExplanationOut,
    LockIn,
    PotentialImportOut,
    PreviewOut,
    PublishDiffOut,
    PublishIn,
    RunOut,
    ShareFilter,
    ShareOut,
    SplitPreviewOut,
    TeamSplitIn,
    TeamSplitOut,
)
from pacte.sales.models import Channel
from pacte.uploads import read_bytes

router = Router(tags=["targets"])


def _target_out(target: Any, currency: str, published: CascadeRun | None) -> dict[str, Any]:
    return {
        "uuid": target.uuid,
        "year": f"FY{target.fiscal_year}",
        "amount": target.amount,
        "currency": currency,
        "channel_split": target.channel_split,
        "version": target.version,
        "reference": (
            {"uuid": published.uuid, "number": published.number, "total": published.total}
            if published
            else None
        ),
        "reference_matches": published.total == target.amount if published else None,
    }


def _change_out(change: selectors.SellerChange) -> dict[str, Any]:
    return {
        "seller_uuid": change.uuid,
        "seller_name": change.name,
        "before": change.before,
        "after": change.after,
        "delta": change.delta,
    }


def _parameters(payload: CascadeIn, currency: str) -> dict[str, Any]:
    """The cascade parameters of a request, holds read like every API amount."""
    raw = payload.dict(exclude={"year"})
    if raw.get("holds"):
        raw["holds"] = {
            key: api_amount(value, currency, field="holds") for key, value in raw["holds"].items()
        }
    return raw


def _run_out(run: CascadeRun) -> dict[str, Any]:
    return {
        "uuid": run.uuid,
        "year": f"FY{run.fiscal_year}",
        "number": run.number,
        "status": run.status,
        "method": run.method,
        "parameters": run.parameters,
        "effective_from": run.effective_from,
        "base_run": run.base_run.uuid if run.base_run else None,
        "total": run.total,
        "seller_count": run.seller_count,
        "created_at": run.created_at,
        "published_at": run.published_at,
        "version": run.version,
    }


@router.get("/calendar", response=CalendarOut, summary="Fiscal year, quarters and months")
def calendar(request: HttpRequest, year: str | None = None) -> dict[str, Any]:
    member = request_member(request)
    cal = member.workspace.calendar
    if year:
        fy = services.parse_year(member.workspace, year)
    else:
        from django.utils import timezone

        fy = cal.year_of(timezone.localdate())
    return {
        "first_month": cal.first_month,
        "year": f"FY{fy}",
        "closed": services.is_closed(member.workspace, fy),
        "periods": calendar_rows(cal, fy),
    }


@router.get("/company-target", response=CompanyTargetOut, summary="The company target of a year")
def target_get(request: HttpRequest, year: str) -> dict[str, Any]:
    member = request_member(request)
    fy = services.parse_year(member.workspace, year)
    target = selectors.company_target(member, fy)
    if target is None:
        raise DomainError(_("No target is set for this year."), code="no_target", field="year")
    return _target_out(target, member.workspace.currency, selectors.published_run(member, fy))


@router.put(
    "/company-target", response=CompanyTargetOut, summary="Set the company target (executives)"
)
def target_set(request: HttpRequest, payload: CompanyTargetIn) -> dict[str, Any]:
    member = request_member(request)
    require_role(member, *ADMIN_ROLES)
    fy = services.parse_year(member.workspace, payload.year)
    currency = member.workspace.currency
    target = services.set_company_target(
        workspace=member.workspace,
        actor=member,
        fiscal_year=fy,
        amount=api_amount(payload.amount, currency),
        channel_split=None
        if payload.channel_split is None
        else {
            code: api_amount(value, currency, field="channel_split")
            for code, value in payload.channel_split.items()
        },
        version=payload.version,
    )
    return _target_out(target, member.workspace.currency, selectors.published_run(member, fy))


@router.post("/preview", response=PreviewOut, summary="Compute a cascade without storing it")
def preview(request: HttpRequest, payload: CascadeIn) -> dict[str, Any]:
    member = request_member(request)
    require_role(member, *ADMIN_ROLES)
    fy = services.parse_year(member.workspace, payload.year)
    currency = member.workspace.currency
    params = cascade.parse_params(_parameters(payload, currency), currency=currency)
    computed = cascade.compute(workspace=member.workspace, fiscal_year=fy, params=params)
    return cascade.summarise(computed)


@router.get("/runs", response=list[RunOut], summary="Cascade runs (executives and admins)")
@paginate(LimitOffsetPagination)
def runs(request: HttpRequest, year: str | None = None) -> list[dict[str, Any]]:
    member = request_member(request)
    require_role(member, *ADMIN_ROLES)
    qs = selectors.runs_for(member).select_related("base_run")
    if year:
        qs = qs.filter(fiscal_year=services.parse_year(member.workspace, year))
    return [_run_out(r) for r in qs.order_by("-fiscal_year", "-number")]


@router.post(
    "/runs",
    response={201: RunOut, 202: JobOut},
    summary="Create a draft run (stored; 202 with a job when it runs in the background)",
)
def run_create(request: HttpRequest, payload: CascadeIn) -> tuple[int, dict[str, Any]]:
    member = request_member(request)
    require_role(member, *ADMIN_ROLES)
    fy = services.parse_year(member.workspace, payload.year)
    parameters = _parameters(payload, member.workspace.currency)
    if work.in_background(member.workspace):
        job = work.start_run(
            workspace=member.workspace, actor=member, fiscal_year=fy, parameters=parameters
        )
        return 202, job_out(job)
    run = create_run(
        workspace=member.workspace, actor=member, fiscal_year=fy, parameters=parameters
    )
    return 201, _run_out(run)


@router.get("/shares", response=list[ShareOut], summary="Reference shares, filtered")
@paginate(LimitOffsetPagination)
def shares(request: HttpRequest, filters: Query[ShareFilter]) -> list[dict[str, Any]]:
    """Cells of a run (default: the published run of the period's year). Sellers see their own
    cells, leads their teams', executives and admins everyone's (everyone's with the
    leaderboard on)."""
    member = request_member(request)
    cal = member.workspace.calendar
    period = None
    if filters.period:
        try:
            period = cal.parse_period(filters.period)
        except ValueError:
            raise DomainError(
                _("Unknown period “%(key)s”: use FY2027, FY2027-Q2 or FY2027-M03.")
                % {"key": filters.period},
                code="bad_period",
                field="period",
            ) from None
    channel_id = None
    if filters.channel:
        channel = (
            Channel.objects.for_workspace(member.workspace).filter(code=filters.channel).first()
        )
        if channel is None:
            raise DomainError(
                _("Unknown channel “%(code)s”.") % {"code": filters.channel},
                code="unknown_channel",
                field="channel",
            )
        channel_id = channel.pk
    if filters.run:
        run = selectors.get_run_for(member, filters.run)
    else:
        if period is None:
            raise DomainError(_("Give a period or a run."), code="required", field="period")
        found = selectors.published_run(member, period.fy)
        if found is None:
            return []
        run = found
    qs: QuerySet[CascadeShare] = CascadeShare.objects.for_workspace(member.workspace).filter(
        run=run
    )
    unit_ids = None
    if filters.unit:
        unit_ids = subtree_ids(get_unit_for(member, filters.unit))
    seller_id = None
    if filters.seller:
        seller_id = get_seller_for(member, filters.seller).pk
    elif not sees_every_seller(member):
        qs = qs.filter(seller_id__in=visible_sellers(member).values("pk"))
    qs = selectors.filter_shares(
        qs,
        months=period.month_indexes if period else None,
        unit_ids=unit_ids,
        seller_id=seller_id,
        channel_id=channel_id,
    )
    rows = qs.order_by("seller_id", "channel_id", "month").values_list(
        "seller__uuid", "unit__uuid", "channel__code", "month", "amount"
    )
    first = cal.first_month_index(run.fiscal_year)
    return [
        {
            "seller": s,
            "unit": u,
            "channel": c,
            "month": m,
            "period": f"FY{run.fiscal_year}-M{m - first + 1:02d}",
            "amount": a,
        }
        for s, u, c, m, a in rows
    ]


@router.post("/potential/import", response=PotentialImportOut, summary="Import potentials from CSV")
def potential_import(
    request: HttpRequest, file: File[UploadedFile], year: str | None = None
) -> dict[str, Any]:
    """``year`` (query, e.g. FY2027) defaults to the current fiscal year."""
    member = request_member(request)
    require_role(member, *ADMIN_ROLES)
    if year:
        fy = services.parse_year(member.workspace, year)
    else:
        from django.utils import timezone

        fy = member.workspace.calendar.year_of(timezone.localdate())
    result = services.import_potential(
        workspace=member.workspace,
        actor=member,
        fiscal_year=fy,
        data=read_bytes(file, services.POTENTIAL_MAX_BYTES),
    )
    return {
        "ok": not result.errors,
        "stored": result.stored,
        "errors": [{"line": line, "message": message} for line, message in result.errors],
    }


@router.put("/capacity/{member_id}", response=CapacityOut, summary="Set FTE and leave")
def capacity_set(request: HttpRequest, member_id: str, payload: CapacityIn) -> dict[str, Any]:
    member = request_member(request)
    seller = get_member_for(member, member_id, write=True)
    leaves = (
        [(leave.start, leave.end) for leave in payload.leaves]
        if payload.leaves is not None
        else None
    )
    capacity = services.set_capacity(seller=seller, actor=member, fte=payload.fte, leaves=leaves)
    return {
        "seller": seller.uuid,
        "fte": str(capacity.fte),
        "leaves": list(
            Leave.objects.for_workspace(member.workspace)
            .filter(seller=seller)
            .order_by("start")
            .values("start", "end")
        ),
    }


@router.get("/runs/{run_id}", response=RunOut, summary="One run")
def run_detail(request: HttpRequest, run_id: str) -> dict[str, Any]:
    member = request_member(request)
    run = selectors.get_run_for(member, run_id)
    require_role(member, *ADMIN_ROLES)
    return _run_out(run)


@router.post(
    "/runs/{run_id}/publish",
    response={200: RunOut, 202: JobOut},
    summary="Publish a draft run (202 with a job when it runs in the background)",
)
def run_publish(
    request: HttpRequest, run_id: str, payload: PublishIn | None = None
) -> tuple[int, dict[str, Any]]:
    member = request_member(request)
    run = selectors.get_run_for(member, run_id)
    require_role(member, *ADMIN_ROLES)
    version = payload.version if payload else None
    replaces = (
        payload.replaces
        if payload is not None and "replaces" in payload.model_fields_set
        else ANY_REFERENCE
    )
    if work.in_background(member.workspace):
        return 202, job_out(
            work.start_publish(run=run, actor=member, version=version, replaces=replaces)
        )
    run = publish_run(run=run, actor=member, version=version, replaces=replaces)
    return 200, _run_out(run)


@router.get(
    "/runs/{run_id}/diff",
    response=PublishDiffOut,
    summary="What publishing a run would change, seller by seller",
    description=(
        "Compared with the year's published run: sellers raised, lowered and unchanged, and "
        "the largest changes each way (`limit`, 1 to 100, default 10). Pass its `reference` "
        "as `replaces` when publishing to refuse a publication if another run was published "
        "in between."
    ),
)
def run_diff(request: HttpRequest, run_id: str, limit: int = 10) -> dict[str, Any]:
    member = request_member(request)
    run = selectors.get_run_for(member, run_id)
    require_role(member, *ADMIN_ROLES)
    if not 1 <= limit <= 100:
        raise DomainError(_("The limit is 1 to 100."), code="bad_limit", field="limit")
    diff = selectors.publish_diff(run, limit=limit)
    return {
        "run": run.uuid,
        "reference": diff.reference.uuid if diff.reference else None,
        "before_total": diff.before_total,
        "after_total": diff.after_total,
        "sellers": diff.sellers,
        "changed": diff.changed,
        "raised": diff.raised,
        "lowered": diff.lowered,
        "unchanged": diff.unchanged,
        "added": diff.added,
        "removed": diff.removed,
        "largest_up": [_change_out(c) for c in diff.largest_up],
        "largest_down": [_change_out(c) for c in diff.largest_down],
    }


@router.post(
    "/runs/{run_id}/rerun",
    response={201: RunOut, 202: JobOut},
    summary=(
        "Re-run the published run for the company target as it is now (a new draft; 202 "
        "with a job when it runs in the background)"
    ),
)
def run_rerun(request: HttpRequest, run_id: str) -> tuple[int, dict[str, Any]]:
    member = request_member(request)
    run = selectors.get_run_for(member, run_id)
    require_role(member, *ADMIN_ROLES)
    if work.in_background(member.workspace):
        return 202, job_out(work.start_rerun(run=run, actor=member))
    return 201, _run_out(rerun_for_target(run=run, actor=member))


@router.get(
    "/runs/{run_id}/compare/{other_id}",
    response=CompareOut,
    summary="Compare two runs seller by seller (who gains or loses how much, and why)",
)
def compare(request: HttpRequest, run_id: str, other_id: str) -> dict[str, Any]:
    member = request_member(request)
    run_a = selectors.get_run_for(member, run_id)
    run_b = selectors.get_run_for(member, other_id)
    require_role(member, *ADMIN_ROLES)
    return {"a": run_a.uuid, "b": run_b.uuid, "rows": compare_runs(run_a, run_b)}


@router.get(
    "/runs/{run_id}/explain/{member_id}",
    response=ExplanationOut,
    summary="Why a seller's share is that number",
)
def explain(request: HttpRequest, run_id: str, member_id: str) -> dict[str, Any]:
    member = request_member(request)
    run = selectors.get_run_for(member, run_id)
    seller = get_seller_for(member, member_id)
    if run.status == "draft" and not member.sees_everything:
        raise Http404
    found = selectors.explanation(run, seller)
    if found is None:
        raise Http404
    return {
        "run": run.uuid,
        "seller": seller.uuid,
        "seller_name": seller.name,
        "unit": found.unit.name,
        "amount": found.amount,
        "explanation": found.data,
    }


# ------------------------------------------------------------------------------------------
# the leads' split of the teams' shares


def _split_out(split: TeamSplit) -> dict[str, Any]:
    run = split.delegation.run
    return {
        "uuid": split.uuid,
        "team": split.unit.uuid,
        "team_name": split.unit.name,
        "parent": split.parent.uuid if split.parent_id and split.parent else None,
        "run": run.uuid,
        "year": f"FY{run.fiscal_year}",
        "amount": split.amount,
        "status": split.status,
        "late": delegation.late(split),
        "method": split.method,
        "parameters": split.parameters,
        "amounts": split.amounts,
        "taken_over": split.taken_over,
        "version": split.version,
    }


def _delegation_out(found: Delegation) -> dict[str, Any]:
    splits = list(
        TeamSplit.objects.for_workspace(found.workspace_id)
        .filter(delegation=found)
        .select_related("unit", "parent", "delegation", "delegation__run")
        .order_by("parent_id", "unit__name")
    )
    outs = [_split_out(s) for s in splits]
    return {
        "uuid": found.uuid,
        "run": found.run.uuid,
        "opens_on": found.opens_on,
        "closes_on": found.closes_on,
        "status": found.status,
        "done": sum(1 for s in splits if s.is_done),
        "pending": sum(
            1
            for s, o in zip(splits, outs, strict=True)
            if not s.is_done and not o["late"] and s.status != "waiting"
        ),
        "late": sum(1 for o in outs if o["late"] and o["status"] != "waiting"),
        "waiting": sum(1 for s in splits if s.status == "waiting"),
        "splits": outs,
        "version": found.version,
    }


def _if_match(request: HttpRequest, version: int | None) -> int | None:
    header = request.headers.get("If-Match")
    if version is None and header:
        text = header.strip().strip('W/"')
        if text.isdigit():
            return int(text)
    return version


@router.post(
    "/runs/{run_id}/delegation",
    response={201: DelegationOut},
    summary="Stop a published run at teams: each lead splits their team's share in a window",
)
def delegation_open(
    request: HttpRequest, run_id: str, payload: DelegationIn
) -> tuple[int, dict[str, Any]]:
    member = request_member(request)
    run = selectors.get_run_for(member, run_id)
    require_role(member, *ADMIN_ROLES)
    found = delegation.open_delegation(
        run=run, actor=member, opens_on=payload.opens_on, closes_on=payload.closes_on
    )
    return 201, _delegation_out(found)


@router.get(
    "/runs/{run_id}/delegation",
    response=DelegationOut,
    summary="Which teams are done, pending, late or waiting",
)
def delegation_get(request: HttpRequest, run_id: str) -> dict[str, Any]:
    member = request_member(request)
    run = selectors.get_run_for(member, run_id)
    require_role(member, *ADMIN_ROLES)
    return _delegation_out(delegation.get_delegation_for(member, run))


@router.post(
    "/runs/{run_id}/delegation/accept",
    response=DelegationOut,
    summary="Accept every submitted split (applied to the run once every team is done)",
)
def delegation_accept(request: HttpRequest, run_id: str) -> dict[str, Any]:
    member = request_member(request)
    run = selectors.get_run_for(member, run_id)
    require_role(member, *ADMIN_ROLES)
    found = delegation.get_delegation_for(member, run)
    delegation.accept_all(delegation=found, actor=member)
    found.refresh_from_db()
    return _delegation_out(found)


@router.get("/splits", response=list[TeamSplitOut], summary="The team splits I may work on")
@paginate(LimitOffsetPagination)
def split_list(request: HttpRequest) -> list[dict[str, Any]]:
    member = request_member(request)
    return [
        _split_out(s)
        for s in delegation.splits_for(member)
        .filter(delegation__status=Delegation.Status.OPEN)
        .order_by("unit__name")
    ]


@router.get("/splits/{split_id}", response=TeamSplitOut, summary="One team's split")
def split_get(request: HttpRequest, split_id: str) -> dict[str, Any]:
    member = request_member(request)
    return _split_out(delegation.get_split_for(member, split_id))


def _split_params(payload: TeamSplitIn, currency: str) -> tuple[dict[str, Any], dict[str, int]]:
    parameters: dict[str, Any] = {
        "holds": {
            key: api_amount(value, currency, field=f"holds.{key}")
            for key, value in payload.holds.items()
        }
    }
    if payload.mix:
        parameters["mix"] = payload.mix
    if payload.bounds:
        parameters["bounds"] = payload.bounds
    amounts = {
        key: api_amount(value, currency, field=f"amounts.{key}")
        for key, value in payload.amounts.items()
    }
    return parameters, amounts


@router.post(
    "/splits/{split_id}/preview",
    response=SplitPreviewOut,
    summary="Compute a team's split without storing it (the live sum)",
)
def split_preview(request: HttpRequest, split_id: str, payload: TeamSplitIn) -> dict[str, Any]:
    member = request_member(request)
    split = delegation.get_split_for(member, split_id)
    parameters, amounts = _split_params(payload, member.workspace.currency)
    return delegation.preview(
        split,
        method=payload.method,
        parameters=parameters,
        amounts=amounts,
        currency=member.workspace.currency,
    )


@router.put(
    "/splits/{split_id}",
    response=TeamSplitOut,
    summary="Save a team's split as a draft, or submit it (412 on a stale version)",
)
def split_save(request: HttpRequest, split_id: str, payload: TeamSplitIn) -> dict[str, Any]:
    member = request_member(request)
    split = delegation.get_split_for(member, split_id)
    parameters, amounts = _split_params(payload, member.workspace.currency)
    saved = delegation.save_split(
        split=split,
        actor=member,
        method=payload.method,
        parameters=parameters,
        amounts=amounts,
        submit=payload.submit,
        version=_if_match(request, payload.version),
    )
    return _split_out(saved)


@router.post(
    "/splits/{split_id}/lock",
    response=TeamSplitOut,
    summary="Lock a team: its last split stands (or the company's cascade when it has none)",
)
def split_lock(
    request: HttpRequest, split_id: str, payload: LockIn | None = None
) -> dict[str, Any]:
    member = request_member(request)
    split = delegation.get_split_for(member, split_id)
    require_role(member, *ADMIN_ROLES)
    return _split_out(
        delegation.lock_split(
            split=split,
            actor=member,
            version=_if_match(request, payload.version if payload else None),
        )
    )
