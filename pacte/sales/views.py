"""Sales pages: the sales list, channels, imports (upload → mapping → progress → result), rules."""

from __future__ import annotations

import csv
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pacte.accounts.access import ADMIN_ROLES, get_scoped
from pacte.accounts.decorators import MemberRequest, member_required
from pacte.errors import DomainError, StaleVersion
from pacte.jobs.models import BackgroundJob
from pacte.lib.currency import format_rate, format_rate_input
from pacte.lib.money import MoneyInputError, parse_decimal
from pacte.lib.tabular.formulas import neutralise_formula
from pacte.sales import import_jobs, mapping, selectors, services, work
from pacte.sales import rates as rate_services
from pacte.sales.forms import (
    ChannelForm,
    MappingForm,
    MissingRateForm,
    ProfileChoiceForm,
    RateFileForm,
    RateForm,
    RuleForm,
    SaleFilterForm,
    UploadForm,
)
from pacte.sales.labels import FIELD_LABELS
from pacte.sales.models import (
    Channel,
    CreditRule,
    ExchangeRate,
    ImportJob,
    ImportStatus,
    MappingProfile,
    Sale,
)


def _form_error(form: Any, exc: DomainError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


@require_GET
@member_required()
def sales(request: MemberRequest) -> HttpResponse:
    member = request.member
    filters = SaleFilterForm(request.GET or None)
    cleaned = filters.cleaned_data if filters.is_valid() else {}
    qs = selectors.filter_sales(
        Sale.objects.visible_to(member).select_related("channel", "customer"),
        q=cleaned.get("q") or "",
        channel=cleaned.get("channel"),
        date_from=cleaned.get("date_from"),
        date_to=cleaned.get("date_to"),
    ).order_by("-date", "-pk")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    credits = selectors.credits_of(list(page))
    rows = [(sale, credits.get(sale.pk, [])) for sale in page]
    context = {
        "filters": filters,
        "page": page,
        "rows": rows,
        "channels": Channel.objects.for_workspace(member.workspace),
        "can_import": member.has_role(*ADMIN_ROLES),
    }
    template = "sales/sales.html#results" if request.htmx else "sales/sales.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_http_methods(["GET", "POST"])
@member_required(*ADMIN_ROLES)
def channels(request: MemberRequest) -> HttpResponse:
    workspace = request.member.workspace
    form = ChannelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            channel = services.create_channel(
                workspace=workspace,
                actor=request.member,
                code=form.cleaned_data["code"],
                name_en=form.cleaned_data["name_en"],
                name_fr=form.cleaned_data["name_fr"],
                position=form.cleaned_data["position"] or 0,
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Channel “%(name)s” was added.") % {"name": channel})
            return redirect("sales:channels")
    return render(
        request,
        "sales/channels.html",
        {"form": form, "channels": Channel.objects.for_workspace(workspace)},
    )


@require_http_methods(["GET", "POST"])
@member_required(*ADMIN_ROLES)
def channel_edit(request: MemberRequest, uuid: str) -> HttpResponse:
    channel = get_scoped(Channel.objects.for_workspace(request.member.workspace), uuid)
    form = ChannelForm(
        request.POST or None,
        initial={
            "code": channel.code,
            "name_en": channel.name_en,
            "name_fr": channel.name_fr,
            "position": channel.position,
            "is_active": channel.is_active,
        },
    )
    form.fields["code"].disabled = True
    if request.method == "POST" and form.is_valid():
        try:
            services.update_channel(
                channel=channel,
                actor=request.member,
                name_en=form.cleaned_data["name_en"],
                name_fr=form.cleaned_data["name_fr"],
                position=form.cleaned_data["position"] or 0,
                is_active=form.cleaned_data["is_active"],
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("sales:channels")
    return render(request, "sales/channel_form.html", {"form": form, "channel": channel})


@require_http_methods(["GET", "POST"])
@member_required(*ADMIN_ROLES)
def imports(request: MemberRequest) -> HttpResponse:
    workspace = request.member.workspace
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = import_jobs.start_file_import(
                workspace=workspace,
                actor=request.member,
                upload=form.cleaned_data["file"],
                source=form.cleaned_data["source"],
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            return redirect("sales:import_map", uuid=job.uuid)
    jobs = ImportJob.objects.for_workspace(workspace).select_related("created_by")[:20]
    return render(request, "sales/imports.html", {"form": form, "jobs": jobs})


@require_http_methods(["GET", "POST"])
@member_required(*ADMIN_ROLES)
def import_map(request: MemberRequest, uuid: str) -> HttpResponse:
    """Map the file's columns, over a preview of its first rows; an htmx POST (a select
    changed) only renders the preview again for the posted mapping."""
    workspace = request.member.workspace
    job = get_scoped(ImportJob.objects.for_workspace(workspace), uuid)
    if job.status not in (ImportStatus.MAPPING, ImportStatus.FAILED) or not job.file_path:
        return redirect("sales:import_job", uuid=job.uuid)
    try:
        head = mapping.read_head(job.file_path)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("sales:imports")
    profile = None
    chooser = ProfileChoiceForm(request.GET or None, workspace=workspace)
    if request.GET.get("profile") and chooser.is_valid():
        profile = chooser.cleaned_data["profile"]
    elif not job.mapping:
        profile = MappingProfile.objects.for_workspace(workspace).order_by("-updated_at").first()
        if profile is not None and not set(profile.mapping.values()) <= set(job.columns):
            profile = None
    chosen = job.mapping or mapping.guess_mapping(job.columns, profile, head.frame)
    initial: dict[str, Any] = {f"map_{k}": v for k, v in chosen.items()}
    initial["date_order"] = profile.date_order if profile else job.date_order
    initial["amount_style"] = profile.amount_style if profile else job.amount_style
    initial["profile_name"] = profile.name if profile else ""
    form = MappingForm(request.POST or None, columns=job.columns, initial=initial)
    if request.method == "POST":
        chosen = form.raw_mapping()
    context: dict[str, Any] = {
        "job": job,
        "form": form,
        "chooser": chooser,
        "examples": [],
        "preview": mapping.preview(head, chosen),
    }
    if request.htmx:
        response = render(request, "sales/import_map.html#preview", context)
        patch_vary_headers(response, ["HX-Request"])
        return response
    if request.method == "POST" and form.is_valid():
        try:
            import_jobs.configure_import(
                job=job,
                actor=request.member,
                mapping=form.mapping(),
                date_order=form.cleaned_data["date_order"],
                amount_style=form.cleaned_data["amount_style"],
                profile_name=form.cleaned_data["profile_name"],
                confirm_unused=form.cleaned_data["confirm_unused"],
            )
        except DomainError as exc:
            if exc.code in ("split_unmapped", "shares_unmapped"):
                pass  # the preview shows the warnings, next to the box that confirms them
            else:
                _form_error(form, exc)
                if exc.code in ("ambiguous_dates", "ambiguous_amounts"):
                    context["examples"] = (
                        list(exc.details or []) if isinstance(exc.details, list) else []
                    )
        else:
            return redirect("sales:import_job", uuid=job.uuid)
    response = render(request, "sales/import_map.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
@member_required(*ADMIN_ROLES)
def import_job(request: MemberRequest, uuid: str) -> HttpResponse:
    job = get_scoped(ImportJob.objects.for_workspace(request.member.workspace), uuid)
    context = {
        "job": job,
        "message": import_jobs.job_message(job),
        "errors": [
            {
                **row,
                "field": FIELD_LABELS.get(row.get("column") or "", row.get("column")),
                "file_column": job.mapping.get(row.get("column") or ""),
            }
            for row in import_jobs.error_rows(job)[:200]
        ],
    }
    template = "sales/import_job.html#progress" if request.htmx else "sales/import_job.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_POST
@member_required(*ADMIN_ROLES)
def import_cancel(request: MemberRequest, uuid: str) -> HttpResponse:
    job = get_scoped(ImportJob.objects.for_workspace(request.member.workspace), uuid)
    import_jobs.request_cancel(job=job)
    messages.info(request, _("Cancelling: nothing of this file will be written."))
    return redirect("sales:import_job", uuid=job.uuid)


@require_GET
@member_required(*ADMIN_ROLES)
def import_errors(request: MemberRequest, uuid: str) -> HttpResponse:
    """The job's errors as CSV; cells a spreadsheet would run as formulas are neutralised."""
    job = get_scoped(ImportJob.objects.for_workspace(request.member.workspace), uuid)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-errors-{job.uuid}.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([_("Line"), _("Column"), _("Problem"), _("Value"), _("Code")])
    for error in import_jobs.error_rows(job):
        writer.writerow(
            [
                error.get("line") or "",
                neutralise_formula(str(error.get("column") or "")),
                neutralise_formula(error["message"]),
                neutralise_formula(str(error.get("detail") or "")),
                error["code"],
            ]
        )
    return response


def _queued(request: MemberRequest, job: BackgroundJob) -> HttpResponse:
    messages.info(
        request,
        _(
            "The workspace has many sales: the change and the new credits are applied in the "
            "background. Follow it here."
        ),
    )
    return redirect("work:job", uuid=job.uuid)


@require_http_methods(["GET", "POST"])
@member_required(*ADMIN_ROLES)
def rules(request: MemberRequest) -> HttpResponse:
    workspace = request.member.workspace
    form = RuleForm(request.POST or None, workspace=workspace)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        data["territory"] = data["territory"] or ""
        if work.in_background(workspace):
            job = work.start_rule_change(
                workspace=workspace, actor=request.member, op="create", fields=data
            )
            return _queued(request, job)
        try:
            services.create_rule(workspace=workspace, actor=request.member, **data)
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Rule added; the sales it covers were credited again."))
            return redirect("sales:rules")
    qs = CreditRule.objects.for_workspace(workspace).select_related("channel", "owner")
    return render(request, "sales/rules.html", {"form": form, "rules": qs})


@require_http_methods(["GET", "POST"])
@member_required(*ADMIN_ROLES)
def rule_edit(request: MemberRequest, uuid: str) -> HttpResponse:
    workspace = request.member.workspace
    rule = get_scoped(CreditRule.objects.for_workspace(workspace), uuid)
    initial = {
        "channel": rule.channel.uuid if rule.channel else None,
        "territory": rule.territory,
        "kind": rule.kind,
        "target": rule.target,
        "owner": rule.owner.uuid if rule.owner else None,
        "priority": rule.priority,
        "is_active": rule.is_active,
        "version": rule.version,
    }
    form = RuleForm(request.POST or None, workspace=workspace, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        data["territory"] = data["territory"] or ""
        if work.in_background(workspace):
            job = work.start_rule_change(
                workspace=workspace,
                actor=request.member,
                op="update",
                rule=rule,
                version=version,
                fields=data,
            )
            return _queued(request, job)
        try:
            services.update_rule(rule=rule, actor=request.member, version=version, **data)
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Rule saved; the sales it covers were credited again."))
            return redirect("sales:rules")
    return render(request, "sales/rule_form.html", {"form": form, "rule": rule})


@require_POST
@member_required(*ADMIN_ROLES)
def rule_delete(request: MemberRequest, uuid: str) -> HttpResponse:
    rule = get_scoped(CreditRule.objects.for_workspace(request.member.workspace), uuid)
    if work.in_background(request.member.workspace):
        job = work.start_rule_change(
            workspace=request.member.workspace,
            actor=request.member,
            op="delete",
            rule=rule,
            version=rule.version,
        )
        return _queued(request, job)
    try:
        services.delete_rule(rule=rule, actor=request.member)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Rule deleted."))
    return redirect("sales:rules")


# --------------------------------------------------------------------------- currencies


@require_http_methods(["GET", "POST"])
@member_required(*ADMIN_ROLES)
def rates(request: MemberRequest) -> HttpResponse:
    """Exchange rates: the list, one rate added or changed, a file of rates, the rule for a
    sale whose date has no rate."""
    workspace = request.member.workspace
    language = get_language()
    action = request.POST.get("action", "") if request.method == "POST" else ""
    settings = rate_services.currency_settings(workspace)
    initial: dict[str, Any] = {}
    editing = request.GET.get("edit")
    if editing:
        rate = get_scoped(ExchangeRate.objects.for_workspace(workspace), editing)
        initial = {
            "currency": rate.currency,
            "date": rate.date,
            "rate": format_rate_input(rate.rate, language),
            "version": rate.version,
        }
    form = RateForm(request.POST if action == "rate" else None, initial=initial)
    file_form = RateFileForm(
        request.POST if action == "file" else None, request.FILES if action == "file" else None
    )
    rule_form = MissingRateForm(
        request.POST if action == "rule" else None,
        initial={"missing_rate": settings.missing_rate, "version": settings.version},
    )
    file_errors: list[dict[str, Any]] = []
    try:
        if action == "rate" and form.is_valid():
            done = _set_one_rate(request, form, language)
            if done is not None:
                return done
        elif action == "file" and file_form.is_valid():
            upload = file_form.cleaned_data["file"]
            try:
                text = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                file_form.add_error("file", _("The file is not valid UTF-8 text."))
            else:
                try:
                    counts = rate_services.import_rates(
                        workspace=workspace, actor=request.member, text=text
                    )
                except DomainError as exc:
                    file_form.add_error("file", exc.message)
                    file_errors = exc.details if isinstance(exc.details, list) else []
                else:
                    messages.success(request, _rates_saved(counts))
                    return redirect("sales:rates")
        elif action == "rule" and rule_form.is_valid():
            rate_services.set_missing_rate_rule(
                workspace=workspace,
                actor=request.member,
                rule=rule_form.cleaned_data["missing_rate"],
                version=rule_form.cleaned_data["version"],
            )
            messages.success(request, _("Changes saved."))
            return redirect("sales:rates")
    except StaleVersion as exc:
        messages.error(request, exc.message)
        response = render(
            request,
            "sales/rates.html",
            _rates_context(request, form, file_form, rule_form, file_errors),
        )
        response.status_code = 412
        return response
    return render(
        request,
        "sales/rates.html",
        _rates_context(request, form, file_form, rule_form, file_errors),
    )


def _set_one_rate(request: MemberRequest, form: RateForm, language: str) -> HttpResponse | None:
    data = form.cleaned_data
    try:
        value = parse_decimal(data["rate"], language, places=10)
    except MoneyInputError as exc:
        form.add_error(
            "rate",
            rate_services.rate_message(
                "rate_not_positive" if exc.code == "negative" else "rate_invalid"
            ),
        )
        return None
    try:
        counts = rate_services.set_rates(
            workspace=request.member.workspace,
            actor=request.member,
            rates=[
                rate_services.RateInput(currency=data["currency"], date=data["date"], rate=value)
            ],
            version=data["version"],
        )
    except StaleVersion:
        raise
    except DomainError as exc:
        _form_error(form, exc)
        return None
    messages.success(request, _rates_saved(counts))
    return redirect("sales:rates")


def _rates_saved(counts: dict[str, int]) -> str:
    return _(
        "Rates saved: %(created)s added, %(updated)s changed; %(revalued)s sales and "
        "%(deals_revalued)s open deals converted again."
    ) % {key: formats.number_format(value) for key, value in counts.items()}


def _rates_context(
    request: MemberRequest,
    form: RateForm,
    file_form: RateFileForm,
    rule_form: MissingRateForm,
    file_errors: list[dict[str, Any]],
) -> dict[str, Any]:
    workspace = request.member.workspace
    language = get_language()
    page = Paginator(
        ExchangeRate.objects.for_workspace(workspace).order_by("currency", "-date", "pk"), 50
    ).get_page(request.GET.get("page"))
    return {
        "form": form,
        "file_form": file_form,
        "rule_form": rule_form,
        "file_errors": file_errors,
        "page": page,
        "rows": [(r, format_rate(r.rate, language)) for r in page],
        "workspace_currency": workspace.currency,
    }
