"""Objective pages: my objective, decisions, versions, policy, reconciliation, plan, check-ins."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pacte.accounts.access import get_scoped, require_role
from pacte.accounts.decorators import MemberRequest, member_required
from pacte.accounts.models import Membership
from pacte.amounts import AmountError, input_value, parse_amount
from pacte.errors import DomainError, StaleVersion
from pacte.objectives import field_requests, forms, maths, realism, references, selectors, services
from pacte.objectives.models import (
    Initiative,
    InitiativeStatus,
    KeyResult,
    Objective,
    RuleKind,
    Status,
)
from pacte.objectives.selectors import default_fiscal_year
from pacte.planning.labels import level_sentences


def _fy(request: MemberRequest) -> int:
    """The fiscal year of the page (``?fy=``), by default the one being set."""
    member = request.member
    raw = forms.page_value("fy", request.GET, request.POST)
    if not raw:
        return default_fiscal_year(member)
    current = member.workspace.calendar.year_of(timezone.localdate())
    try:
        fy = int(raw)
    except ValueError:
        raise Http404 from None
    if not current - 5 <= fy <= current + 5:
        raise Http404
    return fy


def fy_url(name: str, fy: int, **params: object) -> str:
    from urllib.parse import urlencode

    return reverse(name) + "?" + urlencode({"fy": fy, **params})


def _major(minor: int | None, currency: str) -> str:
    """An amount as a field's value in the page's language (``1234,50`` / ``1234.50``)."""
    return input_value(minor, currency)


def _month_labels(member: Membership, fy: int) -> list[str]:
    from pacte.planning.labels import month_label

    return [month_label(i) for i in references.fy_months(member.workspace, fy)]


@require_GET
@member_required()
def index(request: MemberRequest) -> HttpResponse:
    return redirect(fy_url("objectives:mine", default_fiscal_year(request.member)))


def _mine_context(
    member: Membership,
    fy: int,
    objective: Objective | None,
    data: dict[str, Any] | None,
    errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    ws = member.workspace
    currency = ws.currency
    ref = references.reference_for(member, fy)
    history = references.actuals_for(ws, fy - 1, [member.pk]).get(member.pk, references.Actuals())
    codes = services.channel_codes(ws)
    from pacte.sales.models import Channel

    channel_names = (
        {c.code: c.label for c in Channel.objects.for_workspace(ws).filter(code__in=codes)}
        if codes
        else {}
    )
    if data is None:
        if objective is not None:
            amount, months = objective.amount, objective.months
            split = {k: str(v / 100) for k, v in objective.channel_split.items()}
            narrative = objective.narrative
        else:
            amount, months = maths.default_objective(ref, history)
            split, narrative = {}, ""
        data = {
            "amount": _major(amount, currency),
            "months": [_major(m, currency) for m in months],
            "split": split,
            "narrative": narrative,
            "version": objective.version if objective else "",
        }
    errors = errors or {}
    labels = _month_labels(member, fy)
    return {
        "fy": fy,
        "objective": objective,
        "data": data,
        "errors": errors,
        "months_invalid": any(key.startswith("month_") for key in errors),
        "reference": ref,
        "history": history,
        "realism": realism.of_typed(member, fy, data["amount"]),
        "month_rows": [
            {
                "label": labels[i],
                "number": i + 1,
                "value": data["months"][i] if i < len(data["months"]) else "",
                "error": errors.get(f"month_{i + 1}", ""),
                "reference": ref.by_month[i],
                "history": history.by_month[i],
            }
            for i in range(12)
        ],
        "channels": [
            {
                "code": code,
                "name": channel_names.get(code, code),
                "value": data["split"].get(code, ""),
                "reference": ref.by_channel.get(code, 0),
                "history": history.by_channel.get(code, 0),
            }
            for code in codes
        ],
        "window": services.window_of(ws, fy),
        "versions": objective.versions.select_related("author").order_by("-number")
        if objective
        else [],
        "stretches": _stretches(member, fy),
        "phasing": _phasing_summary(data, currency),
        "editable": objective is None or objective.status != Status.PROPOSED,
        "fiscal_years": [fy - 1, fy, fy + 1],
        "chart": _chart(
            ws.currency,
            labels,
            [(_("Reference"), ref.by_month, "bar"), (_("Last year"), history.by_month, "line")],
        ),
    }


def _chart(
    currency: str, labels: list[str], series: list[tuple[str, list[int], str]]
) -> dict[str, Any]:
    from pacte.lib.money import exponent

    return {
        "currency": currency,
        "scale": 10 ** exponent(currency),
        "labels": labels,
        "series": [{"name": name, "data": data, "type": kind} for name, data, kind in series],
    }


def _stretches(member: Membership, fy: int) -> list[Any]:
    from pacte.objectives.models import StretchRequest

    return list(
        StretchRequest.objects.for_workspace(member.workspace)
        .filter(seller=member, fiscal_year=fy)
        .select_related("rule", "rule__created_by")
        .order_by("-created_at")[:10]
    )


def _phasing_summary(data: dict[str, Any], currency: str) -> dict[str, Any]:
    months = []
    ok = True
    for value in data["months"]:
        try:
            months.append(parse_amount(value, currency))
        except AmountError:
            ok = False
    try:
        annual = parse_amount(data["amount"], currency)
    except AmountError:
        annual, ok = 0, False
    gap = maths.phasing_gap(annual, months)
    return {"total": sum(months), "annual": annual, "diff": gap, "ok": ok and gap == 0}


@require_http_methods(["GET", "POST"])
@member_required()
def mine(request: MemberRequest) -> HttpResponse:
    member = request.member
    fy = _fy(request)
    if not member.is_seller:
        messages.info(request, _("Only sellers set their own objective."))
        return redirect("objectives:inbox")
    objective = selectors.own_objective(member, fy)
    data = None
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        form = forms.ObjectiveForm(
            request.POST,
            currency=member.workspace.currency,
            channel_codes=services.channel_codes(member.workspace),
        )
        form.is_valid()
        data = form.typed()
        typed = form.cleaned_data
        action = typed.get("action") or "save"
        errors = form.amount_errors()
        try:
            accepting = action == "accept" and objective is not None
            if errors and not accepting:
                raise AmountError(_("Check the amounts marked below."), code="amount_invalid")
            if accepting and objective is not None:
                services.accept_counter(
                    seller=member, objective=objective, version=typed.get("version")
                )
                messages.success(
                    request, _("You accepted the counter-proposal: your objective is agreed.")
                )
                return redirect(fy_url("objectives:mine", fy))
            service = services.propose if action == "propose" else services.save_draft
            objective = service(
                seller=member,
                fiscal_year=fy,
                amount=typed["amount"],
                months=typed["months"],
                channel_split=typed["split"],
                narrative=typed.get("narrative", ""),
                version=typed.get("version"),
            )
        except StaleVersion as exc:
            messages.error(request, exc.message)
            objective = selectors.own_objective(member, fy)
            status = 412
        except AmountError as exc:
            if exc.field:
                errors[exc.field] = exc.message
            else:
                messages.error(request, exc.message)
            status = exc.status
        except DomainError as exc:
            messages.error(request, exc.message)
            status = 403 if exc.status == 403 else 400
        else:
            if objective.status == Status.AGREED:
                messages.success(request, _("Your objective is agreed."))
            elif objective.status == Status.PROPOSED:
                messages.success(
                    request,
                    _("Your proposal was sent to %(name)s, who handles it.")
                    % {"name": objective.handler.name if objective.handler else "—"},
                )
            else:
                messages.success(request, _("Draft saved."))
            return redirect(fy_url("objectives:mine", fy))
    context = _mine_context(member, fy, objective, data, errors)
    if data is not None and objective is not None and status == 412:
        context["current_version"] = objective.version
    return render(request, "objectives/mine.html", context, status=status)


@require_POST
@member_required("seller")
def phasing(request: MemberRequest) -> HttpResponse:
    """htmx: re-phase the months when the annual amount changes; total them when a month does."""
    member = request.member
    fy = _fy(request)
    currency = member.workspace.currency
    form = forms.PhasingForm(
        request.POST,
        currency=currency,
        channel_codes=services.channel_codes(member.workspace),
        trigger=request.headers.get("HX-Trigger-Name") or "",
    )
    form.is_valid()
    data = form.typed()
    errors = form.trigger_errors()
    if form.trigger == "amount" and not errors:
        ref = references.reference_for(member, fy)
        months = maths.phase_like_reference(
            form.cleaned_data["amount"], ref.by_month, form.typed_months
        )
        data["months"] = [_major(v, currency) for v in months]
    elif form.trigger.startswith("month_") and not errors:
        data["amount"] = _major(sum(form.typed_months()), currency)
    objective = selectors.own_objective(member, fy)
    context = _mine_context(member, fy, objective, data, errors)
    response = render(request, "objectives/mine.html#editor", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
@member_required("seller")
def realism_partial(request: MemberRequest) -> HttpResponse:
    """htmx: the realism of the amount being typed (the same words as the page)."""
    member = request.member
    fy = _fy(request)
    response = render(
        request,
        "objectives/mine.html#realism",
        {"fy": fy, "realism": realism.of_typed(member, fy, request.GET.get("amount", ""))},
    )
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
@member_required()
def detail(request: MemberRequest, uuid: str) -> HttpResponse:
    objective = selectors.get_objective_for(request.member, uuid)
    return _detail(request, objective)


def _detail(
    request: MemberRequest, objective: Objective, status: int = 200, **extra: Any
) -> HttpResponse:
    member = request.member
    selectors.with_references(member.workspace, [objective])
    ref = objective.reference  # type: ignore[attr-defined]
    history = references.actuals_for(
        member.workspace, objective.fiscal_year - 1, [objective.seller_id]
    ).get(objective.seller_id, references.Actuals())
    labels = _month_labels(member, objective.fiscal_year)
    context = {
        "objective": objective,
        "reference": ref,
        "history": history,
        "months": [
            {
                "label": labels[i],
                "amount": objective.months[i] if i < len(objective.months) else 0,
                "reference": ref.by_month[i],
                "history": history.by_month[i],
            }
            for i in range(12)
        ],
        "versions": objective.versions.select_related("author").order_by("-number"),
        "can_decide": objective.status == Status.PROPOSED
        and services.may_decide(member, objective),
        "is_own": objective.seller_id == member.pk,
        **extra,
    }
    return render(request, "objectives/detail.html", context, status=status)


@require_POST
@member_required()
def decide(request: MemberRequest, uuid: str) -> HttpResponse:
    member = request.member
    objective = selectors.get_objective_for(member, uuid)
    form = forms.DecisionForm(request.POST)
    form.is_valid()
    decision = form.cleaned_data["decision"]
    version = form.cleaned_data["version"]
    reason = form.cleaned_data["reason"]
    try:
        if decision == "agree":
            services.agree(objective=objective, actor=member, version=version)
            messages.success(
                request, _("Agreed. %(name)s is notified.") % {"name": objective.seller.name}
            )
        elif decision == "return":
            services.return_objective(
                objective=objective, actor=member, reason=reason, version=version
            )
            messages.success(
                request, _("Returned. %(name)s is notified.") % {"name": objective.seller.name}
            )
        elif decision == "counter":
            counter = forms.CounterForm(request.POST, currency=member.workspace.currency)
            if not counter.is_valid():
                error = counter.errors.as_data()["counter_amount"][0]
                raise AmountError(
                    str(error.messages[0]),
                    code=error.code or "amount_invalid",
                    field="counter_amount",
                )
            services.counter_propose(
                objective=objective,
                actor=member,
                amount=counter.cleaned_data["counter_amount"],
                reason=reason,
                version=version,
            )
            messages.success(
                request, _("Counter-proposal sent to %(name)s.") % {"name": objective.seller.name}
            )
        else:
            raise DomainError(_("Choose a decision."), code="decision_invalid")
    except AmountError as exc:
        objective.refresh_from_db()
        errors = {exc.field or "counter_amount": exc.message}
        return _detail(request, objective, status=exc.status, posted=form.data, errors=errors)
    except DomainError as exc:
        messages.error(request, exc.message)
        objective.refresh_from_db()
        return _detail(request, objective, status=exc.status, posted=form.data)
    return redirect("objectives:detail", uuid=objective.uuid)


def _notices(member: Membership) -> dict[str, Any]:
    """The member's latest notifications, rendered in the reader's language."""
    notices = list(selectors.notifications_of(member)[:50])
    currency = member.workspace.currency
    return {
        "notices": [(n, *services.render_notice(n, currency)) for n in notices],
        "unread": sum(1 for n in notices if n.read_at is None),
    }


@require_GET
@member_required()
def inbox(request: MemberRequest) -> HttpResponse:
    """Proposals waiting for the member's decision and their notifications (reading the page
    marks nothing: the member marks a notification read, or all of them)."""
    member = request.member
    pending = selectors.with_references(member.workspace, selectors.pending_for(member))
    context = {
        "pending": pending,
        "requests_pending": field_requests.pending_for(member),
        **_notices(member),
    }
    return render(request, "objectives/inbox.html", context)


@require_POST
@member_required()
def notification_read(request: MemberRequest, uuid: str) -> HttpResponse:
    """Mark one of the member's notifications read; htmx gets the notification back."""
    member = request.member
    notice = get_scoped(selectors.notifications_of(member), uuid)
    services.mark_read(member=member, notice=notice)
    if not request.htmx:
        return redirect("objectives:inbox")
    notice.refresh_from_db()
    subject, body = services.render_notice(notice, member.workspace.currency)
    context = {"notice": notice, "subject": subject, "body": body}
    response = render(request, "objectives/inbox.html#notice", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_POST
@member_required()
def notifications_read(request: MemberRequest) -> HttpResponse:
    """Mark every notification of the member read; htmx gets the list back."""
    member = request.member
    count = services.mark_read(member=member)
    if not request.htmx:
        messages.success(
            request,
            ngettext(
                "%(count)s notification marked as read.",
                "%(count)s notifications marked as read.",
                count,
            )
            % {"count": count},
        )
        return redirect("objectives:inbox")
    response = render(request, "objectives/inbox.html#notifications", _notices(member))
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_http_methods(["GET", "POST"])
@member_required("executive", "admin")
def policy(request: MemberRequest) -> HttpResponse:
    member = request.member
    ws = member.workspace
    current = services.policy_of(ws)
    status = 200
    if request.method == "POST":
        which = forms.WhichForm(request.POST)
        which.is_valid()
        try:
            require_role(member, "executive")
            if which.cleaned_data["form"] == "window":
                window = forms.WindowForm(request.POST)
                if not window.is_valid():
                    raise DomainError(forms.first_error(window), code="window_invalid")
                services.set_window(
                    workspace=ws,
                    actor=member,
                    fiscal_year=window.cleaned_data["fiscal_year"],
                    opens_on=window.cleaned_data["opens_on"],
                    closes_on=window.cleaned_data["closes_on"],
                    version=window.cleaned_data["version"],
                )
                messages.success(request, _("Window saved."))
            else:
                policy_form = forms.PolicyForm(request.POST)
                policy_form.is_valid()
                services.set_policy(
                    workspace=ws,
                    actor=member,
                    auto_agree=policy_form.cleaned_data["auto_agree"],
                    tolerance_pct=policy_form.cleaned_data["tolerance_pct"],
                    version=policy_form.cleaned_data["version"],
                )
                messages.success(request, _("Delegation policy saved."))
            return redirect("objectives:policy")
        except DomainError as exc:
            messages.error(request, exc.message)
            status = exc.status
    from pacte.audit.models import AuditEvent
    from pacte.objectives.models import Window

    history = (
        AuditEvent.objects.for_workspace(ws)
        .filter(action__in=["delegation_policy.updated", "objective_window.set"])
        .order_by("-at")[:20]
    )
    return render(
        request,
        "objectives/policy.html",
        {
            "policy": current,
            "windows": Window.objects.for_workspace(ws).order_by("-fiscal_year"),
            "history": history,
            "default_fy": default_fiscal_year(member),
            "can_edit": member.is_executive,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@member_required("executive", "admin", "lead")
def reconciliation(request: MemberRequest) -> HttpResponse:
    member = request.member
    fy = _fy(request)
    unit = selectors.get_node_for(
        member, forms.page_value("unit", request.GET, request.POST) or None
    )
    preview = None
    status = 200
    form: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if request.method == "POST":
        gap = forms.GapRuleForm(request.POST, currency=member.workspace.currency)
        gap.is_valid()
        form = gap.typed()
        chosen = list(
            Membership.objects.for_workspace(member.workspace).filter(
                uuid__in=gap.cleaned_data["sellers"]
            )
        )
        try:
            if "amount" in gap.errors:
                error = gap.errors.as_data()["amount"][0]
                raise AmountError(
                    str(error.messages[0]), code=error.code or "amount_invalid", field="amount"
                )
            amount = gap.cleaned_data["amount"]
            if gap.cleaned_data["apply"] == "1":
                services.apply_gap_rule(
                    actor=member,
                    unit_id=unit.pk,
                    fiscal_year=fy,
                    kind=gap.cleaned_data["kind"],
                    amount=amount,
                    sellers=chosen,
                    note=gap.cleaned_data["note"],
                )
                messages.success(request, _("Rule applied. Nobody's objective was changed."))
                return redirect(fy_url("objectives:reconciliation", fy, unit=unit.uuid))
            preview = services.preview_gap_rule(
                workspace=member.workspace,
                unit_id=unit.pk,
                fiscal_year=fy,
                kind=gap.cleaned_data["kind"],
                amount=amount,
                sellers=chosen,
            )
        except AmountError as exc:
            errors[exc.field or "amount"] = exc.message
            status = exc.status
        except DomainError as exc:
            messages.error(request, exc.message)
            status = exc.status
    data = selectors.reconciliation(member.workspace, unit, fy)
    currency = member.workspace.currency
    for row in data["sellers"]:
        row["level_sentences"] = level_sentences(row["levels"], currency, subject=row["name"])
    labels = _month_labels(member, fy)
    for row, label in zip(data["months"], labels, strict=True):
        row["label"] = label
    chart = _chart(
        member.workspace.currency,
        labels,
        [
            (_("Target"), [r["target"] for r in data["months"]], "line"),
            (_("Agreed"), [r["agreed"] for r in data["months"]], "bar"),
            (_("Proposed"), [r["proposed"] for r in data["months"]], "bar"),
        ],
    )
    return render(
        request,
        "objectives/reconciliation.html",
        {
            **data,
            "chart": chart,
            "preview": preview,
            "preview_total": sum(r["amount"] for r in preview or []),
            "form": form,
            "errors": errors,
            "kinds": RuleKind.choices,
            "fiscal_years": [fy - 1, fy, fy + 1],
            "units": selectors.reconciliation_units(member).filter(is_active=True).order_by("name"),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@member_required()
def plan(request: MemberRequest, uuid: str) -> HttpResponse:
    member = request.member
    objective = selectors.get_objective_for(member, uuid)
    status = 200
    posted: Any = {}
    if request.method == "POST":
        which = forms.WhichForm(request.POST)
        which.is_valid()
        posted = which.data
        action = which.cleaned_data["action"]
        try:
            if action == "key_result":
                kr_form = forms.KeyResultForm(request.POST)
                if not kr_form.is_valid():
                    raise DomainError(forms.first_error(kr_form), code="date_invalid")
                services.add_key_result(
                    objective=objective,
                    actor=member,
                    name=kr_form.cleaned_data["name"],
                    measure=kr_form.cleaned_data["measure"],
                    target=kr_form.cleaned_data["target"],
                    unit=kr_form.cleaned_data["unit"],
                    due_on=kr_form.cleaned_data["due_on"],
                )
            elif action == "delete_key_result":
                ref = forms.KeyResultRefForm(request.POST)
                ref.is_valid()
                kr = get_scoped(
                    KeyResult.objects.for_workspace(member.workspace).filter(objective=objective),
                    ref.cleaned_data["key_result"] or None,
                )
                services.delete_key_result(key_result=kr, actor=member)
            elif action == "initiative":
                initiative_form = forms.InitiativeForm(request.POST)
                initiative_form.is_valid()
                services.add_initiative(
                    objective=objective, actor=member, text=initiative_form.cleaned_data["text"]
                )
            elif action == "initiative_status":
                status_form = forms.InitiativeStatusForm(request.POST)
                status_form.is_valid()
                initiative = get_scoped(
                    Initiative.objects.for_workspace(member.workspace).filter(objective=objective),
                    status_form.cleaned_data["initiative"] or None,
                )
                services.set_initiative_status(
                    initiative=initiative,
                    actor=member,
                    status=status_form.cleaned_data["status"],
                )
            elif action == "check_in":
                check_in_form = forms.CheckInForm(request.POST)
                check_in_form.is_valid()
                services.check_in(
                    objective=objective,
                    actor=member,
                    confidence=check_in_form.cleaned_data["confidence"],
                    comment=check_in_form.cleaned_data["comment"],
                )
            else:
                raise DomainError(_("Unknown action."), code="action_invalid")
            messages.success(request, _("Saved."))
            return redirect("objectives:plan", uuid=objective.uuid)
        except DomainError as exc:
            messages.error(request, exc.message)
            status = exc.status
    return render(
        request,
        "objectives/plan.html",
        {
            "objective": objective,
            "key_results": objective.key_results.order_by("due_on", "name"),
            "initiatives": objective.initiatives.order_by("created_at"),
            "check_ins": objective.check_ins.select_related("replied_by", "seen_by").order_by(
                "-week"
            )[:52],
            "statuses": InitiativeStatus.choices,
            "is_own": objective.seller_id == member.pk,
            "posted": posted,
        },
        status=status,
    )


@require_GET
@member_required("executive", "admin", "lead")
def check_ins(request: MemberRequest) -> HttpResponse:
    """The team's check-ins; ``?show=unanswered``: those no lead has seen or answered yet. A
    lead marks seen or answers the check-ins of their own team's sellers."""
    member = request.member
    fy = _fy(request)
    unanswered = request.GET.get("show") == "unanswered"
    answerable = set(
        selectors.check_ins_answerable_by(member)
        .filter(objective__fiscal_year=fy, seen_at__isnull=True)
        .values_list("pk", flat=True)
    )
    items = selectors.team_check_ins(member, fy, unanswered=unanswered)
    return render(
        request,
        "objectives/check_ins.html",
        {
            "fy": fy,
            "items": items,
            "unanswered_only": unanswered,
            "unanswered": selectors.unanswered_check_ins(member, fy),
            "to_answer": [c for c in items if c.pk in answerable and c.unanswered],
            "fiscal_years": [fy - 1, fy, fy + 1],
        },
    )


@require_POST
@member_required()
def check_in_answer(request: MemberRequest, uuid: str) -> HttpResponse:
    """Mark a team check-in seen (``action=seen``) or answer it (``action=reply``)."""
    member = request.member
    item = selectors.get_check_in_to_answer(member, uuid)
    form = forms.CheckInReplyForm(request.POST)
    form.is_valid()
    fy = item.objective.fiscal_year
    try:
        if form.cleaned_data["action"] == "reply":
            services.reply_to_check_in(check_in=item, actor=member, text=form.cleaned_data["reply"])
            messages.success(request, _("Reply sent."))
        else:
            services.mark_check_in_seen(check_in=item, actor=member)
            messages.success(request, _("Marked as seen."))
    except DomainError as exc:
        messages.error(request, exc.message)
    show = "unanswered" if form.cleaned_data["show"] == "unanswered" else ""
    return redirect(fy_url("objectives:check_ins", fy, **({"show": show} if show else {})))
