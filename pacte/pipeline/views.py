"""Pipeline pages: my forecast (deals and my call), the team's forecast (the lead's call), the
company forecast (executives), the deal list (filters, as of a day, exports) and deal import."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pacte import uploads
from pacte.accounts.access import ADMIN_ROLES
from pacte.accounts.decorators import MemberRequest, member_required
from pacte.amounts import input_value, parse_amount
from pacte.errors import DomainError
from pacte.lib.fiscal import Period
from pacte.pipeline import exports, ingest, selectors, services
from pacte.pipeline.models import Category, DealStatus


def _period(request: MemberRequest) -> Period:
    try:
        return services.parse_period(
            request.member.workspace, request.GET.get("period") or request.POST.get("period")
        )
    except DomainError:
        raise Http404 from None


def _periods(request: MemberRequest, period: Period) -> list[tuple[str, str]]:
    """(key, label) of the quarters of the period's fiscal year and the next (the picker)."""
    from pacte.planning.labels import period_label

    cal = request.member.workspace.calendar
    return [
        (p.key, period_label(p))
        for p in (cal.quarter(fy, q) for fy in (period.fy, period.fy + 1) for q in range(1, 5))
    ]


def _period_context(request: MemberRequest, period: Period) -> dict[str, Any]:
    from pacte.planning.labels import period_label

    return {
        "period": period,
        "periods": _periods(request, period),
        "period_name": period_label(period),
    }


def _url(name: str, period: Period, **params: Any) -> str:
    from urllib.parse import urlencode

    return reverse(name) + "?" + urlencode({"period": period.key, **params})


def _int(value: str | None, field: str, *, currency: str) -> int:
    return parse_amount((value or "").strip(), currency, field=field)


def _version(request: MemberRequest) -> int | None:
    raw = request.POST.get("version") or ""
    return int(raw) if raw.isdigit() else None


# --------------------------------------------------------------------------- my forecast


@require_http_methods(["GET", "POST"])
@member_required()
def mine(request: MemberRequest) -> HttpResponse:
    """The seller's week: open deals of the period by category and their call."""
    member = request.member
    period = _period(request)
    currency = member.workspace.currency
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        try:
            services.set_call(
                actor=member,
                seller=member,
                period_key=period.key,
                commit=_int(request.POST.get("commit"), "commit", currency=currency),
                best_case=_int(request.POST.get("best_case"), "best_case", currency=currency),
                note=request.POST.get("note", ""),
                deal_ids=request.POST.getlist("deals"),
                version=_version(request),
            )
        except DomainError as exc:
            errors[exc.field or "form"] = exc.message
            status = exc.status if exc.status in (412, 403) else 400
        else:
            messages.success(request, _("Your call is saved for this week."))
            return redirect(_url("pipeline:mine", period))
    data = selectors.seller_forecast(member, period)
    call = data["row"].call
    context = {
        **data,
        **_period_context(request, period),
        "categories": [c for c in Category if c != Category.CLOSED],
        "errors": errors,
        "commit_value": request.POST.get("commit")
        or input_value(call.commit if call else data["row"].figures.commit, currency),
        "best_case_value": request.POST.get("best_case")
        or input_value(
            call.best_case if call else data["row"].figures.commit + data["row"].figures.best_case,
            currency,
        ),
        "note_value": request.POST.get("note", call.note if call else ""),
        "chosen": set(call.deal_ids if call else []),
        "call_version": call.version if call and call.week == data["week"] else "",
    }
    return render(request, "pipeline/mine.html", context, status=status)


@require_POST
@member_required()
def deal_update(request: MemberRequest, uuid: str) -> HttpResponse:
    """Move a deal to another category or stage, change its amount, date or probability."""
    member = request.member
    deal = selectors.get_deal_for(member, uuid)
    changes: dict[str, Any] = {}
    for name in ("category", "stage", "probability", "close_date"):
        if request.POST.get(name):
            changes[name] = request.POST[name]
    if request.POST.get("amount"):
        currency = deal.currency or member.workspace.currency  # typed in the deal's own
        try:
            minor = parse_amount(request.POST["amount"], currency)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect(request.POST.get("next") or reverse("pipeline:mine"))
        changes["amount"] = services.major_text(minor, currency)
    try:
        services.update_deal(deal=deal, actor=member, version=_version(request), **changes)
    except ingest.Invalid as exc:
        detail = exc.details[0] if isinstance(exc.details, list) and exc.details else {}
        messages.error(request, f"{deal.name} — {detail.get('message', exc.message)}")
    except DomainError as exc:
        messages.error(request, f"{deal.name} — {exc.message}")
    else:
        messages.success(request, _("“%(name)s” is updated.") % {"name": deal.name})
    target = request.POST.get("next") or ""
    if not target.startswith("/") or target.startswith("//"):
        target = reverse("pipeline:mine")
    return redirect(target)


# --------------------------------------------------------------------------- team


@require_GET
@member_required("lead", *ADMIN_ROLES)
def team(request: MemberRequest) -> HttpResponse:
    member = request.member
    period = _period(request)
    unit = selectors.get_team_for_lead(member, request.GET.get("team") or None)
    data = selectors.team_forecast(member, unit, period)
    call = data["team_call"]
    return render(
        request,
        "pipeline/team.html",
        {
            **data,
            "unit": unit,
            **_period_context(request, period),
            "keep": [("team", unit.uuid)],
            "may_adjust": services.may_adjust(member, unit),
            "adjustment_value": input_value(abs(call.adjustment), member.workspace.currency)
            if call and call.adjustment
            else "",
            "adjustment_negative": bool(call and call.adjustment < 0),
            "waterfall": selectors.waterfall(member, period),
            **_accuracy(member, period, [r.seller for r in data["rows"]]),
        },
    )


def _accuracy(member: Any, period: Period, members: list[Any]) -> dict[str, Any]:
    """The accuracy of the calls of the quarter before ``period`` (closed)."""
    from pacte.pipeline import snapshots

    return snapshots.accuracy_context(member, period, members)


@require_POST
@member_required("lead", *ADMIN_ROLES)
def team_adjust(request: MemberRequest) -> HttpResponse:
    member = request.member
    period = _period(request)
    unit = selectors.get_team_for_lead(member, request.POST.get("team") or None)
    back = _url("pipeline:team", period, team=str(unit.uuid))
    try:
        raw = request.POST.get("adjustment") or "0"
        amount = _int(raw, "adjustment", currency=member.workspace.currency) if raw.strip() else 0
        if request.POST.get("direction") == "down":
            amount = -amount
        call = services.adjust_team_call(
            actor=member,
            unit=unit,
            period_key=period.key,
            adjustment=amount,
            note=request.POST.get("note", ""),
            version=_version(request),
        )
        if request.POST.get("action") == "submit":
            services.submit_team_call(actor=member, call=call, version=call.version)
            messages.success(request, _("The team call is submitted."))
        else:
            messages.success(request, _("The team call is saved."))
    except DomainError as exc:
        messages.error(request, exc.message)
        if exc.status == 412:
            return render(
                request, "pipeline/stale.html", {"message": exc.message, "back": back}, status=412
            )
    return redirect(back)


# --------------------------------------------------------------------------- company


#: Team rows per page of the company forecast: a page renders as many rows whatever the number
#: of teams (the totals above the table still sum every team).
TEAMS_PER_PAGE = 25


@require_GET
@member_required(*ADMIN_ROLES)
def company(request: MemberRequest) -> HttpResponse:
    member = request.member
    period = _period(request)
    data = selectors.company_forecast(
        member, period, page=request.GET.get("page"), per_page=TEAMS_PER_PAGE
    )
    return render(
        request,
        "pipeline/company.html",
        {
            **data,
            **_period_context(request, period),
            "channels": selectors.channel_coverage(
                member.workspace, period, data["channel_figures"]
            ),
            **_accuracy(member, period, [r.call.member for r in data["teams"] if r.call]),
        },
    )


# --------------------------------------------------------------------------- deals


def _filter(request: MemberRequest) -> selectors.DealFilter:
    f = selectors.DealFilter()
    get = request.GET
    if get.get("period"):
        f.period = _period(request)
    if get.get("category") in Category.values:
        f.category = get["category"]
    if get.get("status") in DealStatus.values:
        f.status = get["status"]
    f.stage = (get.get("stage") or "").strip()[:100]
    f.q = (get.get("q") or "").strip()[:100]
    if get.get("as_of"):
        try:
            f.as_of = datetime.date.fromisoformat(get["as_of"])
        except ValueError:
            raise Http404 from None
    if get.get("owner"):
        from pacte.org.visibility import get_seller_for

        f.owner = get_seller_for(request.member, get["owner"])
    return f


@require_GET
@member_required()
def deals(request: MemberRequest) -> HttpResponse:
    member = request.member
    f = _filter(request)
    qs = selectors.filter_deals(member, f)
    fmt = request.GET.get("format")
    if fmt in ("csv", "xlsx"):
        return exports.response(qs, fmt)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    rows = [(d, selectors.deal_values(d)) for d in page.object_list]
    current = services.parse_period(member.workspace, None)
    return render(
        request,
        "pipeline/deals.html",
        {
            "page": page,
            "rows": rows,
            "filter": f,
            "periods": _periods(request, current),
            "categories": list(Category),
            "statuses": list(DealStatus),
        },
    )


@require_http_methods(["GET", "POST"])
@member_required(*ADMIN_ROLES)
def deal_import(request: MemberRequest) -> HttpResponse:
    """Import deals from a CSV or XLSX file: all or nothing, every bad row located."""
    member = request.member
    errors: list[dict[str, Any]] = []
    message = ""
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        source = (request.POST.get("source") or "default").strip()
        try:
            if upload is None:
                raise DomainError(_("Choose a file."), code="required", field="file")
            uploads.check_size(upload)
            with uploads.local_path(upload) as path:
                result = ingest.ingest(
                    workspace=member.workspace,
                    actor=member,
                    frames=ingest.frames_from_file(path),
                    source=source,
                    origin="file",
                )
        except ingest.Invalid as exc:
            errors = list(exc.details or [])  # type: ignore[call-overload]
            message, status = exc.message, 400
        except DomainError as exc:
            message, status = exc.message, 400
        else:
            messages.success(
                request,
                _("%(created)s deals added, %(updated)s changed, %(unchanged)s unchanged.")
                % {
                    "created": result.created,
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                },
            )
            return redirect("pipeline:deals")
    return render(
        request,
        "pipeline/import.html",
        {"errors": errors[:200], "message": message, "fields": list(ingest.FIELDS)},
        status=status,
    )
