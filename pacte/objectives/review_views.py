"""Period review pages: the list (mine, my team's, everyone's), one review (the seller writes,
the lead answers), the executives' reasons summary with its export, and the reasons list."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from pacte.accounts.access import ADMIN_ROLES
from pacte.accounts.decorators import MemberRequest, member_required
from pacte.accounts.models import Membership
from pacte.errors import DomainError
from pacte.objectives import forms, reviews, selectors
from pacte.objectives.models import PeriodReview, ReviewStatus

BY = ("team", "channel", "period")


def _period(request: MemberRequest) -> tuple[int, int | None, forms.ReviewPeriodForm]:
    """The page's fiscal year (default: the year of the last closed quarter) and quarter."""
    form = forms.ReviewPeriodForm(request.GET)
    form.is_valid()
    ws = request.member.workspace
    today = timezone.localdate()
    default_fy, _q = reviews.last_closed_quarter(ws, today)
    current = ws.calendar.year_of(today)
    try:
        fy = int(form.cleaned_data["fy"] or default_fy)
        quarter = int(form.cleaned_data["quarter"]) if form.cleaned_data["quarter"] else None
    except ValueError:
        raise Http404 from None
    if not current - 5 <= fy <= current + 1 or quarter not in (None, 1, 2, 3, 4):
        raise Http404
    return fy, quarter, form


def _labelled(member: Membership, items: list[PeriodReview]) -> list[PeriodReview]:
    labels = reviews.reason_labels(member.workspace)
    for r in items:
        r.reason_labels = [labels.get(c, c) for c in r.reasons]  # type: ignore[attr-defined]
    return items


@require_GET
@member_required()
def review_list(request: MemberRequest) -> HttpResponse:
    """My reviews; for a lead, the team's, with those waiting for an answer first; for
    executives and admins, everyone's (``?status=`` filters)."""
    member = request.member
    fy, quarter, form = _period(request)
    qs = selectors.reviews_visible_to(member).filter(fiscal_year=fy)
    if quarter:
        qs = qs.filter(quarter=quarter)
    status = form.cleaned_data["status"]
    if status in ReviewStatus.values:
        qs = qs.filter(status=status)
    items = list(
        qs.select_related("seller", "unit").order_by("-quarter", "status", "seller__name")[:500]
    )
    answerable = set(
        selectors.reviews_answerable_by(member)
        .filter(fiscal_year=fy, status=ReviewStatus.SUBMITTED)
        .values_list("pk", flat=True)
    )
    return render(
        request,
        "objectives/reviews.html",
        {
            "fy": fy,
            "quarter": quarter,
            "status": status,
            "statuses": ReviewStatus.choices,
            "mine": [r for r in items if r.seller_id == member.pk],
            "others": [r for r in items if r.seller_id != member.pk],
            "to_answer": len(answerable),
            "fiscal_years": [fy - 1, fy, fy + 1],
            "quarters": [1, 2, 3, 4],
            "is_admin": member.has_role(*ADMIN_ROLES),
        },
    )


@require_http_methods(["GET", "POST"])
@member_required()
def review_detail(request: MemberRequest, uuid: str) -> HttpResponse:
    """One review: the seller writes it (until it is answered), the seller's lead answers."""
    member = request.member
    review = selectors.get_review_for(member, uuid)
    can_answer = selectors.reviews_answerable_by(member).filter(pk=review.pk).exists()
    status, errors, posted = 200, {}, {}
    if request.method == "POST":
        try:
            if request.POST.get("action") == "answer":
                answer_form = forms.ReviewAnswerForm(request.POST)
                answer_form.is_valid()
                posted = answer_form.cleaned_data
                if not can_answer:
                    raise Http404
                reviews.answer_review(
                    review=review,
                    actor=member,
                    answer=answer_form.cleaned_data["answer"],
                    version=answer_form.cleaned_data["version"],
                )
                messages.success(request, _("Answer sent."))
            else:
                form = forms.ReviewForm(request.POST)
                form.is_valid()
                posted = form.cleaned_data
                reviews.submit_review(
                    review=review,
                    actor=member,
                    reasons=form.cleaned_data["reasons"] or [],
                    text=form.cleaned_data["text"],
                    next_change=form.cleaned_data["next_change"],
                    version=form.cleaned_data["version"],
                )
                messages.success(request, _("Review sent to your lead."))
            return redirect("objectives:review", uuid=review.uuid)
        except DomainError as exc:
            shown = exc.field if exc.field in ("reasons", "text", "next_change", "answer") else None
            errors = {shown or "form": exc.message}
            status = exc.status
            review.refresh_from_db()
    labels = reviews.reason_labels(member.workspace)
    chosen = posted.get("reasons") if posted.get("reasons") is not None else review.reasons
    return render(
        request,
        "objectives/review.html",
        {
            "review": _labelled(member, [review])[0],
            "period": member.workspace.calendar.quarter(review.fiscal_year, review.quarter),
            "is_own": review.seller_id == member.pk,
            "can_write": review.seller_id == member.pk and review.status != ReviewStatus.ANSWERED,
            "can_answer": can_answer and review.status != ReviewStatus.REQUESTED,
            "reasons": [
                (r, r.code in (chosen or []))
                for r in reviews.reasons_of(member.workspace)
                if r.is_active or r.code in review.reasons
            ],
            "labels": labels,
            "errors": errors,
            "posted": posted,
            "channels": _channel_gaps(member, review),
        },
        status=status,
    )


def _channel_gaps(member: Membership, review: PeriodReview) -> list[tuple[str, int]]:
    from pacte.sales.models import Channel

    names = {c.code: c.label for c in Channel.objects.for_workspace(member.workspace)}
    return [
        (names.get(code, code) or _("No channel"), int(amount))
        for code, amount in sorted(review.gap_by_channel.items(), key=lambda kv: -int(kv[1]))
    ]


@require_http_methods(["GET", "POST"])
@member_required(*ADMIN_ROLES)
def review_summary(request: MemberRequest) -> HttpResponse:
    """Top reasons by team, channel or period with the gaps behind them; executives may ask
    for the reviews of a closed quarter now (the schedule does it each week)."""
    member = request.member
    fy, quarter, form = _period(request)
    by = form.cleaned_data["by"] if form.cleaned_data["by"] in BY else "team"
    status = 200
    if request.method == "POST":
        asked = forms.ReviewPeriodForm(request.POST)
        asked.is_valid()
        try:
            created = reviews.request_reviews(
                workspace=member.workspace,
                fiscal_year=asked.cleaned_data["fy"],
                quarter=asked.cleaned_data["quarter"],
                actor=member,
            )
            messages.success(
                request,
                ngettext(
                    "%(count)s seller asked for a review.",
                    "%(count)s sellers asked for a review.",
                    len(created),
                )
                % {"count": len(created)},
            )
            return redirect(request.get_full_path())
        except DomainError as exc:
            messages.error(request, exc.message)
            status = exc.status
    rows = selectors.reason_summary(member, fy, quarter, by)
    counts = dict(
        selectors.reviews_visible_to(member)
        .filter(fiscal_year=fy, **({"quarter": quarter} if quarter else {}))
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    groups: list[dict[str, Any]] = []
    for row in rows:
        if not groups or groups[-1]["key"] != row.group:
            groups.append({"key": row.group, "label": row.group_label, "rows": [], "gap": 0})
        groups[-1]["rows"].append(row)
        groups[-1]["gap"] += row.gap
    return render(
        request,
        "objectives/review_summary.html",
        {
            "fy": fy,
            "quarter": quarter,
            "by": by,
            "groups": groups,
            "counts": counts,
            "fiscal_years": [fy - 1, fy, fy + 1],
            "quarters": [1, 2, 3, 4],
            "export": reverse("objectives:review_export"),
        },
        status=status,
    )


@require_GET
@member_required(*ADMIN_ROLES)
def review_export(request: MemberRequest) -> HttpResponse:
    """The summary as CSV or XLSX, through the insights export writers (a cell a spreadsheet
    would run as a formula is written as text)."""
    from pacte.insights.exports import Table, to_csv, to_xlsx
    from pacte.lib.money import from_minor

    member = request.member
    fy, quarter, form = _period(request)
    by = form.cleaned_data["by"] if form.cleaned_data["by"] in BY else "team"
    fmt = form.cleaned_data["format"] or "csv"
    if fmt not in ("csv", "xlsx"):
        raise Http404
    rows = selectors.reason_summary(member, fy, quarter, by)
    head = {"team": _("Team"), "channel": _("Channel"), "period": _("Period")}[by]
    currency = member.workspace.currency
    table = Table(
        [head, _("Reason"), _("Reviews"), _("Gap")],
        [[r.group_label, r.reason_label, r.reviews, from_minor(r.gap, currency)] for r in rows],
        ["text", "text", "number", "money"],
    )
    name = f"pacte-review-reasons-{by}-FY{fy}{f'-Q{quarter}' if quarter else ''}.{fmt}"
    if fmt == "csv":
        response = HttpResponse(to_csv(table, bom=True), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            to_xlsx(table, _("Review reasons")),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_http_methods(["GET", "POST"])
@member_required(*ADMIN_ROLES)
def review_reasons(request: MemberRequest) -> HttpResponse:
    """The workspace's list of review reasons, in both languages (audited)."""
    member = request.member
    items = reviews.reasons_of(member.workspace)
    status, error = 200, None
    if request.method == "POST":
        try:
            count = int(request.POST.get("count", "0"))
        except ValueError:
            count = 0
        try:
            reviews.set_reasons(
                workspace=member.workspace,
                actor=member,
                reasons=forms.reason_rows(request.POST, min(count, 200)),
            )
            messages.success(request, _("Saved."))
            return redirect("objectives:review_reasons")
        except DomainError as exc:
            error, status = exc, exc.status
    return render(
        request,
        "objectives/review_reasons.html",
        {"items": items, "count": len(items) + 1, "error": error},
        status=status,
    )
