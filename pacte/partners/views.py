"""Partner pages: the partners' list and page (admins, executives, channel managers), the
executives' partner figures, and the partner's own page for its people (``partner:`` URLs)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pacte.accounts.access import ADMIN_ROLES, get_scoped
from pacte.accounts.decorators import MemberRequest, member_required
from pacte.errors import DomainError
from pacte.objectives import reviews as objective_reviews
from pacte.objectives import services as objective_services
from pacte.objectives.forms import ReviewForm
from pacte.objectives.models import ReviewStatus
from pacte.objectives.selectors import default_fiscal_year, notifications_of
from pacte.partners import selectors, services
from pacte.partners.forms import (
    CheckInForm,
    KeyResultForm,
    PartnerForm,
    PersonForm,
    ProposeForm,
)
from pacte.partners.models import Partner, PartnerPerson
from pacte.sales.models import Channel


def _form_error(form: Any, exc: DomainError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def _fy(request: MemberRequest) -> int:
    """The fiscal year of the page (``?fy=``, within five years), else the one being set."""
    raw = request.GET.get("fy") or request.POST.get("fy")
    if not raw:
        return default_fiscal_year(request.member)
    current = request.member.workspace.calendar.year_of(timezone.localdate())
    try:
        fy = int(raw)
    except ValueError:
        raise Http404 from None
    if not current - 5 <= fy <= current + 5:
        raise Http404
    return fy


# --------------------------------------------------------------------------- company side


@require_GET
@member_required()
def partners(request: MemberRequest) -> HttpResponse:
    """The partners the member may see: all of them (admins, executives), their own (a
    channel manager), none (anyone else)."""
    member = request.member
    rows = list(selectors.visible_partners(member).order_by("name"))
    return render(
        request,
        "partners/list.html",
        {"partners": rows, "can_create": member.has_role(*ADMIN_ROLES)},
    )


@require_http_methods(["GET", "POST"])
@member_required(*ADMIN_ROLES)
def partner_create(request: MemberRequest) -> HttpResponse:
    member = request.member
    form = PartnerForm(request.POST or None, workspace=member.workspace)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            partner = services.create_partner(
                workspace=member.workspace,
                actor=member,
                code=data["code"],
                name=data["name"],
                kind=data["kind"],
                channel=data["channel"],
                territory=data["territory"],
                owner=data["owner"],
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Partner added."))
            return redirect("partners:detail", uuid=partner.uuid)
    return render(request, "partners/form.html", {"form": form, "partner": None})


@require_http_methods(["GET", "POST"])
@member_required(*ADMIN_ROLES)
def partner_edit(request: MemberRequest, uuid: str) -> HttpResponse:
    member = request.member
    partner = selectors.get_partner_for(member, uuid)
    initial = {
        "code": partner.code,
        "name": partner.name,
        "kind": partner.kind,
        "channel": partner.channel.uuid,
        "territory": partner.territory,
        "owner": partner.owner.uuid,
        "version": partner.version,
    }
    form = PartnerForm(request.POST or None, initial=initial, workspace=member.workspace)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.update_partner(
                partner=partner,
                actor=member,
                version=data["version"],
                name=data["name"],
                kind=data["kind"],
                channel=data["channel"],
                territory=data["territory"],
                owner=data["owner"],
            )
        except DomainError as exc:
            _form_error(form, exc)
            context = {"form": form, "partner": partner}
            return render(request, "partners/form.html", context, status=exc.status)
        else:
            messages.success(request, _("Partner saved."))
            return redirect("partners:detail", uuid=partner.uuid)
    return render(request, "partners/form.html", {"form": form, "partner": partner})


@require_GET
@member_required()
def partner_detail(request: MemberRequest, uuid: str) -> HttpResponse:
    """A partner's page for the company: its figures and its people (404 unless the viewer is
    an admin, an executive or its channel manager)."""
    member = request.member
    partner = selectors.get_partner_for(member, uuid)
    return _detail(request, partner, PersonForm())


def _detail(
    request: MemberRequest, partner: Partner, form: PersonForm, status: int = 200
) -> HttpResponse:
    fy = _fy(request)
    people = (
        PartnerPerson.objects.for_workspace(partner.workspace)
        .filter(partner=partner)
        .select_related("membership__user")
        .order_by("membership__name")
    )
    return render(
        request,
        "partners/detail.html",
        {
            "partner": partner,
            "figures": selectors.figures_of(partner, fy),
            "fy": fy,
            "people": people,
            "form": form,
            "can_invite": services.may_manage(request.member, partner),
            "can_edit": request.member.has_role(*ADMIN_ROLES),
        },
        status=status,
    )


@require_POST
@member_required()
def person_add(request: MemberRequest, uuid: str) -> HttpResponse:
    member = request.member
    partner = selectors.get_partner_for(member, uuid)
    form = PersonForm(request.POST)
    if form.is_valid():
        try:
            services.invite_person(
                partner=partner,
                actor=member,
                email=form.cleaned_data["email"],
                name=form.cleaned_data["name"],
            )
        except DomainError as exc:
            if exc.status == 403:
                raise
            _form_error(form, exc)
        else:
            messages.success(request, _("Person added to the partner."))
            return redirect("partners:detail", uuid=partner.uuid)
    return _detail(request, partner, form, status=400)


@require_GET
@member_required()
def figures(request: MemberRequest) -> HttpResponse:
    """The partners' figures by channel, then (``?channel=``) by partner, then (``?partner=``)
    one partner's by month: every partner for executives and admins, their own for a channel
    manager (another's partner is not found), none for anyone else."""
    member = request.member
    fy = _fy(request)
    channel = None
    partner = None
    if request.GET.get("partner"):
        partner = selectors.get_partner_for(member, request.GET["partner"])
        channel = partner.channel
        rows, total = selectors.partner_months(member, fy, partner)
    else:
        if request.GET.get("channel"):
            channel = get_scoped(
                Channel.objects.for_workspace(member.workspace), request.GET["channel"]
            )
        rows, total = selectors.partner_figures(member, fy, channel)
    return render(
        request,
        "partners/figures.html",
        {"rows": rows, "total": total, "channel": channel, "partner": partner, "fy": fy},
    )


# --------------------------------------------------------------------------- the partner's people


def _partner_or_404(request: MemberRequest) -> Partner:
    try:
        return services.partner_of(request.member)
    except DomainError:
        raise Http404 from None


@require_GET
@member_required()
def home(request: MemberRequest) -> HttpResponse:
    """The partner's own page: reference share, commitment, plan, check-ins, sales and
    attainment of its organisation, nothing else."""
    partner = _partner_or_404(request)
    fy = _fy(request)
    return _home(request, partner, fy)


def _home(
    request: MemberRequest,
    partner: Partner,
    fy: int,
    *,
    propose_form: ProposeForm | None = None,
    check_in_form: CheckInForm | None = None,
    key_result_form: KeyResultForm | None = None,
    status: int = 200,
) -> HttpResponse:
    data = selectors.figures_of(partner, fy)
    currency = partner.workspace.currency
    if propose_form is None:
        initial: dict[str, Any] = {}
        if data.objective is not None:
            initial = {
                "amount": data.objective.amount,
                "narrative": data.objective.narrative,
                "version": data.objective.version,
            }
        elif data.reference.exists:
            initial = {"amount": data.reference.annual}
        propose_form = ProposeForm(initial=initial, currency=currency)
    return render(
        request,
        "partners/home.html",
        {
            "partner": partner,
            "figures": data,
            "fy": fy,
            "propose_form": propose_form,
            "check_in_form": check_in_form or CheckInForm(),
            "key_result_form": key_result_form or KeyResultForm(),
            "stretch_requests": selectors.stretch_requests_of(partner, fy),
            "reviews": list(
                selectors.reviews_of(partner)
                .filter(fiscal_year__in=(fy - 1, fy))
                .order_by("-fiscal_year", "-quarter")
            ),
            "notices": _notices(request),
        },
        status=status,
    )


def _notices(request: MemberRequest) -> list[dict[str, Any]]:
    """The person's unread notifications (what their seat was told), newest first."""
    member = request.member
    unread = notifications_of(member).filter(read_at__isnull=True)[:20]
    currency = member.workspace.currency
    return [
        dict(zip(("subject", "body"), objective_services.render_notice(n, currency), strict=True))
        | {"created_at": n.created_at}
        for n in unread
    ]


@require_POST
@member_required()
def propose(request: MemberRequest) -> HttpResponse:
    partner = _partner_or_404(request)
    fy = _fy(request)
    form = ProposeForm(request.POST, currency=partner.workspace.currency)
    if form.is_valid():
        try:
            objective = services.propose(
                person=request.member,
                fiscal_year=fy,
                amount=form.cleaned_data["amount"],
                narrative=form.cleaned_data["narrative"],
                version=form.cleaned_data["version"],
            )
        except DomainError as exc:
            _form_error(form, exc)
            return _home(request, partner, fy, propose_form=form, status=exc.status)
        if objective.status == "agreed":
            messages.success(request, _("Your commitment is agreed."))
        else:
            messages.success(request, _("Your commitment is sent to your channel manager."))
        return redirect(reverse("partner:home") + f"?fy={fy}")
    return _home(request, partner, fy, propose_form=form, status=400)


@require_POST
@member_required()
def check_in(request: MemberRequest) -> HttpResponse:
    partner = _partner_or_404(request)
    fy = _fy(request)
    form = CheckInForm(request.POST)
    if form.is_valid():
        try:
            services.check_in(
                person=request.member,
                fiscal_year=fy,
                confidence=form.cleaned_data["confidence"],
                comment=form.cleaned_data["comment"],
            )
        except DomainError as exc:
            _form_error(form, exc)
            return _home(request, partner, fy, check_in_form=form, status=exc.status)
        messages.success(request, _("Check-in saved."))
        return redirect(reverse("partner:home") + f"?fy={fy}")
    return _home(request, partner, fy, check_in_form=form, status=400)


@require_POST
@member_required()
def key_result_add(request: MemberRequest) -> HttpResponse:
    """A key result in the partner's plan of the year."""
    partner = _partner_or_404(request)
    fy = _fy(request)
    form = KeyResultForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.add_key_result(
                person=request.member,
                fiscal_year=fy,
                name=data["name"],
                measure=data["measure"],
                target=data["target"],
                unit=data["unit"],
                due_on=data["due_on"],
            )
        except DomainError as exc:
            _form_error(form, exc)
            return _home(request, partner, fy, key_result_form=form, status=exc.status)
        messages.success(request, _("Key result added."))
        return redirect(reverse("partner:home") + f"?fy={fy}#plan")
    return _home(request, partner, fy, key_result_form=form, status=400)


@require_POST
@member_required()
def key_result_delete(request: MemberRequest, uuid: str) -> HttpResponse:
    """Remove a key result of the partner's own plan (anyone else's is not found)."""
    _partner_or_404(request)
    fy = _fy(request)
    services.delete_key_result(person=request.member, key_result_id=uuid)
    messages.success(request, _("Key result removed."))
    return redirect(reverse("partner:home") + f"?fy={fy}#plan")


@require_POST
@member_required()
def notifications_read(request: MemberRequest) -> HttpResponse:
    """Mark every unread notification of the person read."""
    _partner_or_404(request)
    fy = _fy(request)
    objective_services.mark_read(member=request.member)
    return redirect(reverse("partner:home") + f"?fy={fy}")


@require_http_methods(["GET", "POST"])
@member_required()
def review(request: MemberRequest, uuid: str) -> HttpResponse:
    """One of the partner's period reviews: its people write it (until the channel manager
    answers) and read the answer; any other review is not found."""
    partner = _partner_or_404(request)
    item = selectors.get_review_for(partner, uuid)
    status, errors, posted = 200, {}, {}
    if request.method == "POST":
        form = ReviewForm(request.POST)
        form.is_valid()
        posted = form.cleaned_data
        try:
            services.submit_review(
                person=request.member,
                review_id=item.uuid,
                reasons=form.cleaned_data["reasons"] or [],
                text=form.cleaned_data["text"],
                next_change=form.cleaned_data["next_change"],
                version=form.cleaned_data["version"],
            )
        except DomainError as exc:
            shown = exc.field if exc.field in ("reasons", "text", "next_change") else None
            errors = {shown or "form": exc.message}
            status = exc.status
            item.refresh_from_db()
        else:
            messages.success(request, _("Review sent to your channel manager."))
            return redirect("partner:review", uuid=item.uuid)
    workspace = partner.workspace
    labels = objective_reviews.reason_labels(workspace)
    chosen = posted.get("reasons") if posted.get("reasons") is not None else item.reasons
    return render(
        request,
        "partners/review.html",
        {
            "partner": partner,
            "review": item,
            "reason_labels": [labels.get(c, c) for c in item.reasons],
            "can_write": item.status != ReviewStatus.ANSWERED,
            "reasons": [
                (r, r.code in (chosen or []))
                for r in objective_reviews.reasons_of(workspace)
                if r.is_active or r.code in item.reasons
            ],
            "errors": errors,
            "posted": posted,
        },
        status=status,
    )
