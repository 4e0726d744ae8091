"""Insights pages: executive overview, team view, seller cockpit, period close, exports."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pacte.accounts.access import ADMIN_ROLES
from pacte.accounts.decorators import MemberRequest, member_required
from pacte.accounts.models import Membership
from pacte.amounts import AmountError
from pacte.errors import DomainError, StaleVersion
from pacte.insights import cache as insights_cache
from pacte.insights import dashboard, exports, pdf, periods, selectors, services
from pacte.insights.forms import CloseForm, JudgmentForm, PreferenceForm, SettingsForm, WhatIfForm
from pacte.insights.periods import PeriodChoice
from pacte.lib.fiscal import Month
from pacte.org.visibility import Tree
from pacte.planning import selectors as planning_selectors
from pacte.planning.labels import level_sentences, month_label
from pacte.replica import replica_reads
from pacte.sales.models import Channel
from pacte.sales.selectors import currency_figures

TEAMS_PER_PAGE = 20  # team rows (and heat-map rows) per page of the overview and team view


def bad_input(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A refused filter or change renders a clear message with status 400 (412 when stale)."""

    @wraps(view)
    def wrapped(request: MemberRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except DomainError as exc:
            if exc.status == 403:
                raise
            return render(
                request, "insights/bad_input.html", {"message": exc.message}, status=exc.status
            )

    return wrapped


def _choice(request: MemberRequest) -> PeriodChoice:
    return periods.resolve_period(request.member.workspace, request.GET.get("period") or None)


def _channel(request: MemberRequest) -> Channel | None:
    value = request.GET.get("channel")
    if not value:
        return None
    return selectors.resolve_filters(request.member, channel=value)[2]


def _periods(request: MemberRequest, choice: PeriodChoice) -> list[tuple[str, str]]:
    cal = request.member.workspace.calendar
    fy = choice.fy
    keys = [f"FY{fy:04d}", f"FY{fy:04d}-YTD"]
    keys += [cal.quarter(fy, q).key for q in range(1, 5)]
    keys += [cal.month(fy, m).key for m in range(1, 13)]
    keys += [f"FY{fy - 1:04d}", f"FY{fy + 1:04d}"]
    return [(k, periods.period_label(k, cal)) for k in keys]


def _common(
    request: MemberRequest, choice: PeriodChoice, channel: Channel | None
) -> dict[str, Any]:
    query = f"period={choice.key}" + (f"&channel={channel.uuid}" if channel else "")
    return {
        "choice": choice,
        "period_label": periods.period_label(choice.key, request.member.workspace.calendar),
        "period_options": _periods(request, choice),
        "channel": channel,
        "channel_options": Channel.objects.for_workspace(request.member.workspace),
        "query": query,
        "chart_labels": dashboard.chart_labels(),
    }


@require_GET
@member_required()
@bad_input
@replica_reads
def overview(request: MemberRequest) -> HttpResponse:
    choice = _choice(request)
    channel = _channel(request)
    data = dashboard.overview(request.member, choice, channel=channel)
    data = dashboard.page_of_teams(data, request.GET.get("page"), TEAMS_PER_PAGE)
    context = {
        **_common(request, choice, channel),
        "data": data,
        "teams_page": data["teams_page"],
        "scope": "company",
        "currencies": _currencies(request, choice, channel),
    }
    return render(request, "insights/overview.html", context)


def _currencies(
    request: MemberRequest, choice: PeriodChoice, channel: Channel | None
) -> list[dict[str, Any]]:
    """Actual and constant-currency figures of the sales in other currencies, cached on the
    cube version (every change of sales or rates bumps it)."""
    workspace = request.member.workspace
    all_months = workspace.calendar.months(choice.fy)
    months = tuple(all_months[p].index for p in choice.positions)
    channel_id = channel.pk if channel else None
    return insights_cache.cached(
        (*insights_cache.cube_part(workspace), "currencies", choice.fy, months, channel_id),
        lambda: currency_figures(workspace, choice.fy, list(months), channel_id),
    )


@require_GET
@member_required()
@bad_input
@replica_reads
def team(request: MemberRequest, uuid: str) -> HttpResponse:
    choice = _choice(request)
    channel = _channel(request)
    tree = Tree.load(request.member.workspace)
    unit = selectors.get_team_for(request.member, uuid)
    data = dashboard.unit_view(
        request.member, unit.pk, choice, channel=channel, tree=tree, with_sellers=True
    )
    data = dashboard.page_of_teams(data, request.GET.get("page"), TEAMS_PER_PAGE)
    context = {
        **_common(request, choice, channel),
        "data": data,
        "teams_page": data["teams_page"],
        "scope": "team",
        "team": unit,
        **_call_accuracy(request, _team_callers(request, tree.units[unit.pk], data)),
    }
    return render(request, "insights/team.html", context)


def _team_callers(request: MemberRequest, unit: Any, data: dict[str, Any]) -> list[Membership]:
    """The team's sellers shown on the page and its lead (one query: a union of two index
    reads, where ``uuid IN (…) OR pk = …`` makes SQLite walk every member of the workspace)."""
    keys = [r["key"] for r in data.get("sellers", {}).get("rows", [])]
    members = Membership.objects.for_workspace(request.member.workspace)
    return list(
        members.filter(uuid__in=keys)
        .union(members.filter(pk=unit.lead_id or 0))
        .order_by("name", "pk")
    )


def _call_accuracy(request: MemberRequest, members: list[Membership]) -> dict[str, Any]:
    """The accuracy and bias of the members' pipeline calls (their own and, for a lead, the
    team's) on the last closed quarter, as on the pipeline's team page."""
    from pacte.pipeline import services as pipeline_services
    from pacte.pipeline import snapshots

    ws = request.member.workspace
    return snapshots.accuracy_context(
        request.member, pipeline_services.parse_period(ws, None), members
    )


def _managed_partners(viewer: Membership, subject: Membership, fy: int) -> dict[str, Any] | None:
    """The year's figures of the partners ``subject`` is the channel manager of, as the viewer
    may read them (their own; every one for executives and admins), else None (one query)."""
    from pacte.partners.selectors import managed_figures  # partners sit above insights

    rows, total = managed_figures(viewer, subject, fy)
    return {"rows": rows, "total": total} if rows else None


@require_GET
@member_required()
def mine(request: MemberRequest) -> HttpResponse:
    return redirect("insights:seller", uuid=request.member.uuid)


@require_GET
@member_required()
@bad_input
@replica_reads
def seller(request: MemberRequest, uuid: str) -> HttpResponse:
    choice = _choice(request)
    subject = selectors.get_seller_for(request.member, uuid)
    data = dashboard.cockpit(request.member, subject, choice)
    forecast = data["forecast"]
    is_self = subject.pk == request.member.pk
    context = {
        **_common(request, choice, None),
        "data": data,
        "subject": subject,
        "is_self": is_self,
        "levels": level_sentences(
            planning_selectors.levels_of(subject, choice.fy),
            request.member.workspace.currency,
            subject=None if is_self else subject.name,
        ),
        **_call_accuracy(request, [subject]),
        "partners": _managed_partners(request.member, subject, choice.fy),
        "judgment_form": JudgmentForm(
            initial={
                "committed": forecast["committed"],
                "best_case": forecast["best_case"],
                "note": forecast["note"],
                "version": forecast["judgment_version"],
            },
            currency=request.member.workspace.currency,
        ),
        "what_if_form": WhatIfForm(
            initial={"month": min(data["frame"].elapsed + 1, 12)},
            currency=request.member.workspace.currency,
            months=dashboard.month_names(request.member.workspace, choice.fy),
        ),
        "preference_form": _preference_form(request.member) if is_self else None,
    }
    return render(request, "insights/seller.html", context)


def _preference_form(member: Membership) -> PreferenceForm:
    """The member's e-mail preferences (on their own cockpit only), one query."""
    preference = selectors.digest_preference(member)
    return PreferenceForm(initial={"digest": preference.digest, "alerts": preference.alerts})


@require_POST
@member_required()
@bad_input
def what_if(request: MemberRequest, uuid: str) -> HttpResponse:
    choice = _choice(request)
    subject = selectors.get_seller_for(request.member, uuid)
    months = dashboard.month_names(request.member.workspace, choice.fy)
    form = WhatIfForm(request.POST, currency=request.member.workspace.currency, months=months)
    result = None
    if form.is_valid():
        data = dashboard.cockpit(request.member, subject, choice)
        month = form.cleaned_data["month"]
        result = dashboard.what_if(data["frame"], form.cleaned_data["amount"], month - 1)
        result["month_label"] = months[month - 1]
    response = render(
        request,
        "insights/seller.html#what_if" if request.htmx else "insights/what_if.html",
        {"what_if_form": form, "what_if": result, "subject": subject, "choice": choice},
        status=200 if form.is_valid() else 400,
    )
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_POST
@member_required()
@bad_input
def judgment(request: MemberRequest, uuid: str) -> HttpResponse:
    choice = _choice(request)
    subject = selectors.get_seller_for(request.member, uuid)
    form = JudgmentForm(request.POST, currency=request.member.workspace.currency)
    if not form.is_valid():
        name, errors = next(iter(form.errors.as_data().items()))
        error = errors[0]
        label = form.fields[name].label if name in form.fields else ""
        raise AmountError(
            f"{label}{pgettext('typography: the colon after a label', ':')} {error.messages[0]}",
            code=error.code or "amount_invalid",
            field=name,
        )
    try:
        services.save_judgment(
            seller=subject,
            actor=request.member,
            fiscal_year=choice.fy,
            committed=form.cleaned_data["committed"],
            best_case=form.cleaned_data["best_case"],
            note=form.cleaned_data["note"],
            version=form.cleaned_data["version"],
        )
    except StaleVersion as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your forecast is saved."))
    return redirect(f"{request.path.rsplit('judgment/', 1)[0]}?period=FY{choice.fy:04d}")


@require_POST
@member_required()
def preferences(request: MemberRequest) -> HttpResponse:
    form = PreferenceForm(request.POST)
    if form.is_valid():
        services.set_digest_preference(
            member=request.member,
            digest=form.cleaned_data["digest"],
            alerts=form.cleaned_data["alerts"],
        )
        messages.success(request, _("Your e-mail preferences are saved."))
    return redirect("insights:seller", uuid=request.member.uuid)


def parse_month(workspace: Any, value: str) -> int:
    """``2026-03`` or ``FY2026-M03`` → Month.index, else a clear DomainError."""
    try:
        if value.startswith("FY"):
            period = workspace.calendar.parse_period(value)
            if period.kind.value != "month":
                raise ValueError(value)
            return period.month_indexes.start
        year, month = value.split("-")
        return Month(int(year), int(month)).index
    except (ValueError, TypeError):
        raise DomainError(
            _("Unknown month “%(value)s”: use 2026-03 or FY2026-M03.") % {"value": value},
            code="invalid_month",
            field="month",
        ) from None


@require_http_methods(["GET", "POST"])
@member_required(*ADMIN_ROLES)
@bad_input
def close(request: MemberRequest) -> HttpResponse:
    ws = request.member.workspace
    choice = _choice(request)
    current = selectors.settings_of(ws)
    if request.method == "POST":
        if "late_sale_policy" in request.POST:
            sform = SettingsForm(request.POST)
            if not sform.is_valid():
                raise DomainError(_("Check the settings."), code="invalid_settings")
            try:
                services.update_settings(workspace=ws, actor=request.member, **sform.cleaned_data)
            except StaleVersion as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("Settings saved."))
        else:
            form = CloseForm(request.POST)
            if not form.is_valid():
                raise DomainError(_("Choose a month."), code="invalid_month", field="month")
            month = parse_month(ws, form.cleaned_data["month"])
            if form.cleaned_data["action"] == "close":
                services.close_month(workspace=ws, actor=request.member, month=month)
                messages.success(request, _("%(month)s is closed.") % {"month": month_label(month)})
            else:
                services.reopen_month(workspace=ws, actor=request.member, month=month)
                messages.success(
                    request, _("%(month)s is open again.") % {"month": month_label(month)}
                )
        return redirect(f"{request.path}?period=FY{choice.fy:04d}")
    closed, _policy = selectors.closed_month_policy(ws)
    cal = ws.calendar
    today_index = Month.of(selectors.sources.today()).index
    months = [
        {
            "month": m,
            "key": str(m),
            "label": month_label(m.index),
            "closed": m.index in closed,
            "over": m.index < today_index,
        }
        for m in cal.months(choice.fy)
    ]
    context = {
        **_common(request, choice, None),
        "months": months,
        "settings_form": SettingsForm(
            initial={
                "late_sale_policy": current.late_sale_policy,
                "judgment_weight": current.judgment_weight,
                "version": current.version if current.pk else None,
            }
        ),
    }
    return render(request, "insights/close.html", context)


def _screen(request: MemberRequest) -> tuple[dict[str, Any], str]:
    """The data of the screen an export or a report is about (company, team or seller)."""
    choice = _choice(request)
    channel = _channel(request)
    member = request.member
    tree = Tree.load(member.workspace)
    unit, subject, _channel_obj = selectors.resolve_filters(
        member, team=request.GET.get("team"), seller=request.GET.get("seller"), tree=tree
    )
    if subject is not None:
        return dashboard.cockpit(member, subject, choice), subject.name
    if unit is not None:
        return dashboard.unit_view(
            member, unit.pk, choice, channel=channel, tree=tree, with_sellers=True
        ), unit.name
    return dashboard.overview(member, choice, channel=channel), member.workspace.name


@require_GET
@member_required()
@bad_input
@replica_reads
def export(request: MemberRequest) -> HttpResponse:
    table, fmt = request.GET.get("table", ""), request.GET.get("format", "csv")
    if table not in exports.TABLES or fmt not in ("csv", "xlsx"):
        raise DomainError(_("Unknown table or format."), code="invalid_export", field="table")
    data, _name = _screen(request)
    if table not in data and table != "months":  # "months" is drawn from the chart
        raise DomainError(_("This screen has no such table."), code="invalid_table", field="table")
    rows = exports.table(table, data)
    filename = f"pacte-{table}-{data['period'].key}.{fmt}"
    if fmt == "csv":
        response = HttpResponse(
            exports.to_csv(rows, bom=True), content_type="text/csv; charset=utf-8"
        )
    else:
        response = HttpResponse(
            exports.to_xlsx(rows, table),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
@member_required()
@bad_input
@replica_reads
def report(request: MemberRequest) -> HttpResponse:
    """The monthly report, print-ready (the browser's "Save as PDF")."""
    data, name = _screen(request)
    context = {**_common(request, data["period"], None), "data": data, "name": name}
    return render(request, "insights/report.html", context)


def member_language(member: Any) -> str:
    """The member's own language (their account setting), else the active one."""
    return getattr(member.user, "language", "") or translation.get_language() or "en"


def pdf_response(content: bytes, key: str, name: str) -> HttpResponse:
    from django.utils.text import slugify

    response = HttpResponse(content, content_type="application/pdf")
    filename = f"pacte-report-{slugify(name) or 'report'}-{key}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
@member_required()
@bad_input
@replica_reads
def report_pdf(request: MemberRequest) -> HttpResponse:
    """The monthly report as a PDF (company, ``team=`` or ``seller=``), in the member's
    language."""
    with translation.override(member_language(request.member)):
        data, name = _screen(request)
        content = pdf.render(data, name, currency=request.member.workspace.currency)
    return pdf_response(content, data["period"].key, name)
