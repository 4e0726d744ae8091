"""Partner workflows: organisations and their seat, their people, and what the people do on
the seat's figures (propose the commitment, check in). Each is atomic and audited."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from pacte.accounts import invitations
from pacte.accounts.access import ADMIN_ROLES
from pacte.accounts.models import Membership, User, Workspace
from pacte.audit.services import record
from pacte.errors import DomainError, PermissionDenied, check_version
from pacte.objectives import reviews as objective_reviews
from pacte.objectives import services as objective_services
from pacte.objectives.models import CheckIn, KeyResult, Objective, PeriodReview
from pacte.org.models import Placement, Unit
from pacte.org.selectors import root_unit
from pacte.org.services import clean_email, create_unit
from pacte.partners import selectors
from pacte.partners.models import Partner, PartnerKind, PartnerPerson
from pacte.sales.models import Channel

FIELDS = ("code", "name", "kind", "channel", "territory", "owner", "is_active")
#: The team every partner's seat is placed in (created with the first partner).
PARTNERS_TEAM = "Partners"


# --------------------------------------------------------------------------- checks


def _clean_code(code: str) -> str:
    cleaned = slugify((code or "").strip()).lower()
    if not cleaned or len(cleaned) > 40:
        raise DomainError(
            _("Give a short code of letters, digits and dashes (40 characters at most)."),
            code="invalid_code",
            field="code",
        )
    return cleaned


def _clean_name(name: str) -> str:
    cleaned = (name or "").strip()
    if not cleaned or len(cleaned) > 200:
        raise DomainError(_("A partner needs a name."), code="required", field="name")
    return cleaned


def _clean_kind(kind: str) -> str:
    if kind not in PartnerKind.values:
        raise DomainError(
            _("Choose distributor, reseller or agent."), code="invalid_kind", field="kind"
        )
    return kind


def _check_channel(workspace: Workspace, channel: Channel | None) -> Channel:
    if channel is None or channel.workspace_id != workspace.pk:
        raise DomainError(
            _("Choose a channel of this workspace."), code="not_found", field="channel"
        )
    return channel


def _check_owner(workspace: Workspace, owner: Membership | None) -> Membership:
    if (
        owner is None
        or owner.workspace_id != workspace.pk
        or not owner.is_active
        or owner.is_partner
        or hasattr_seat(owner)
    ):
        raise DomainError(
            _("Choose an active person of the company as channel manager."),
            code="invalid_owner",
            field="owner",
        )
    return owner


def hasattr_seat(member: Membership) -> bool:
    return Partner.objects.filter(seat=member).exists()


def may_manage(actor: Membership, partner: Partner) -> bool:
    """Admins, executives and the partner's channel manager invite its people."""
    return actor.has_role(*ADMIN_ROLES) or partner.owner_id == actor.pk


def _partners_team(workspace: Workspace, actor: Membership | None) -> Unit:
    """The team of the partners' seats: the one the first partner's seat is placed in, else a
    new team under the company."""
    first = (
        Placement.objects.for_workspace(workspace)
        .filter(membership__partner_seat__isnull=False, valid_to__isnull=True)
        .select_related("unit")
        .first()
    )
    if first is not None:
        return first.unit
    name = PARTNERS_TEAM
    taken = set(Unit.objects.for_workspace(workspace).values_list("name", flat=True))
    n = 1
    while name in taken:
        n += 1
        name = f"{PARTNERS_TEAM} {n}"
    return create_unit(workspace=workspace, actor=actor, name=name, parent=root_unit(workspace))


def _partner_after(partner: Partner) -> dict[str, Any]:
    return {
        "code": partner.code,
        "name": partner.name,
        "kind": partner.kind,
        "channel": partner.channel.code,
        "territory": partner.territory,
        "owner": str(partner.owner.uuid),
        "is_active": partner.is_active,
        "version": partner.version,
    }


# --------------------------------------------------------------------------- organisations


@transaction.atomic
def create_partner(
    *,
    workspace: Workspace,
    actor: Membership | None,
    code: str,
    name: str,
    kind: str,
    channel: Channel | None,
    owner: Membership | None,
    territory: str = "",
) -> Partner:
    """A partner organisation and its seat: a seller placed in the partners team, handled by
    the channel manager, so the cascade, objectives, gap rules and crediting include it."""
    code = _clean_code(code)
    name = _clean_name(name)
    kind = _clean_kind(kind)
    channel = _check_channel(workspace, channel)
    owner = _check_owner(workspace, owner)
    territory = (territory or "").strip()[:100]
    if Partner.objects.for_workspace(workspace).filter(code=code).exists():
        raise DomainError(
            _("The code %(code)s is already used by another partner.") % {"code": code},
            code="duplicate_code",
            field="code",
        )
    team = _partners_team(workspace, actor)
    user = User(email=f"partner-{workspace.pk}-{code}@seat.pacte.invalid", name=name)
    user.set_unusable_password()
    user.is_active = False  # a seat never signs in: the partner's people act on it
    user.save()
    today = timezone.localdate()
    seat = Membership.objects.create(
        workspace=workspace,
        user=user,
        name=name,
        is_seller=True,
        handled_by=owner,
        joined_on=datetime.date(today.year - 5, 1, 1),  # history imported before it joined
    )
    Placement.objects.create(
        workspace=workspace, membership=seat, unit=team, valid_from=seat.joined_on
    )
    partner = Partner.objects.create(
        workspace=workspace,
        code=code,
        name=name,
        kind=kind,
        channel=channel,
        territory=territory,
        owner=owner,
        seat=seat,
    )
    record(
        workspace=workspace,
        actor=actor,
        action="partner.created",
        obj=partner,
        after={**_partner_after(partner), "seat": str(seat.uuid), "team": str(team.uuid)},
    )
    return partner


@transaction.atomic
def update_partner(
    *,
    partner: Partner,
    actor: Membership,
    version: int | None,
    name: str | None = None,
    kind: str | None = None,
    channel: Channel | None = None,
    territory: str | None = None,
    owner: Membership | None = None,
    is_active: bool | None = None,
) -> Partner:
    """Change a partner (admins and executives); a new channel manager handles its seat."""
    if not actor.has_role(*ADMIN_ROLES):
        raise PermissionDenied(_("Your role does not allow this action."))
    partner = (
        Partner.objects.select_for_update()
        .select_related("channel", "owner", "seat")
        .get(pk=partner.pk)
    )
    check_version(partner, version)
    before = _partner_after(partner)
    workspace = partner.workspace
    if name is not None:
        partner.name = _clean_name(name)
    if kind is not None:
        partner.kind = _clean_kind(kind)
    if channel is not None:
        partner.channel = _check_channel(workspace, channel)
    if territory is not None:
        partner.territory = territory.strip()[:100]
    if owner is not None:
        partner.owner = _check_owner(workspace, owner)
    if is_active is not None:
        partner.is_active = is_active
    after = _partner_after(partner)
    if after == before:
        return partner
    partner.version += 1
    partner.save()
    seat = partner.seat
    seat.name = partner.name
    seat.handled_by = partner.owner
    seat.is_active = partner.is_active
    seat.version += 1
    seat.save(update_fields=["name", "handled_by", "is_active", "version"])
    record(
        workspace=workspace,
        actor=actor,
        action="partner.updated",
        obj=partner,
        before=before,
        after=_partner_after(partner),
    )
    return partner


# --------------------------------------------------------------------------- people


@transaction.atomic
def invite_person(
    *,
    partner: Partner,
    actor: Membership,
    email: str,
    name: str,
    password: str | None = None,
) -> PartnerPerson:
    """Add one of the partner's people (the channel manager or an admin): a membership with
    the partner role only, placed in no team. They sign in by password or the workspace's
    single sign-on; a login of another workspace accepts an invitation first."""
    if not may_manage(actor, partner):
        raise PermissionDenied(
            _("Only the channel manager or an admin invites a partner's people.")
        )
    workspace = partner.workspace
    email = clean_email(email)
    name = (name or "").strip()
    if not name:
        raise DomainError(_("A person needs a name."), code="required", field="name")
    if Membership.objects.for_workspace(workspace).filter(user__email=email).exists():
        raise DomainError(
            _("%(email)s is already a member of this workspace.") % {"email": email},
            code="duplicate_email",
            field="email",
        )
    user = User.objects.filter(email=email).first()
    invited = user is not None and invitations.needs_invitation(user, workspace.pk)
    if user is None:
        user = User(email=email, name=name)
        if password:
            try:
                validate_password(password, user)
            except ValidationError as exc:
                raise DomainError(
                    " ".join(exc.messages), code="weak_password", field="password"
                ) from None
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
    member = Membership.objects.create(workspace=workspace, user=user, name=name, is_partner=True)
    person = PartnerPerson.objects.create(
        workspace=workspace, partner=partner, membership=member, invited_by=actor
    )
    record(
        workspace=workspace,
        actor=actor,
        action="partner.person_added",
        obj=partner,
        after={"member": str(member.uuid), "email": email, "name": name},
    )
    if invited:
        invitations.invite(member=member, actor=actor)
    return person


# --------------------------------------------------------------------------- the people's actions


def partner_of(member: Membership) -> Partner:
    """The organisation a partner's person acts for (``DomainError`` for anyone else)."""
    link = (
        PartnerPerson.objects.for_workspace(member.workspace)
        .select_related("partner__seat__workspace", "partner__owner", "partner__channel")
        .filter(membership=member, partner__is_active=True)
        .first()
    )
    if link is None or not member.is_partner:
        raise PermissionDenied(_("Only a partner's people act on its figures."))
    return link.partner


@transaction.atomic
def propose(
    *,
    person: Membership,
    fiscal_year: int,
    amount: int,
    months: Sequence[int] | None = None,
    narrative: str | None = None,
    version: int | None = None,
) -> Objective:
    """The partner's commitment, proposed by one of its people for the seat: agreed at once
    when the delegation policy allows, else sent to the channel manager (the seat's handler)."""
    partner = partner_of(person)
    objective = objective_services.propose(
        seller=partner.seat,
        fiscal_year=fiscal_year,
        amount=amount,
        months=months,
        narrative=narrative,
        version=version,
    )
    record(
        workspace=partner.workspace,
        actor=person,
        action="partner.proposed",
        obj=objective,
        object_repr=f"{partner.name} FY{fiscal_year}",
        after={"amount": objective.amount, "status": objective.status, "partner": partner.code},
    )
    return objective


@transaction.atomic
def check_in(
    *, person: Membership, fiscal_year: int, confidence: object, comment: str = ""
) -> CheckIn:
    """This week's check-in on the partner's objective, by one of its people."""
    partner = partner_of(person)
    objective = (
        Objective.objects.for_workspace(partner.workspace)
        .filter(seller=partner.seat, fiscal_year=fiscal_year)
        .first()
    )
    if objective is None:
        raise DomainError(
            _("Propose the commitment before checking in."), code="no_objective", field="fy"
        )
    item = objective_services.check_in(
        objective=objective, actor=partner.seat, confidence=confidence, comment=comment
    )
    record(
        workspace=partner.workspace,
        actor=person,
        action="partner.checked_in",
        obj=item,
        object_repr=f"{partner.name} {item.week}",
        after={"confidence": item.confidence, "partner": partner.code},
    )
    return item


def _objective_of(partner: Partner, fiscal_year: int) -> Objective:
    objective = (
        Objective.objects.for_workspace(partner.workspace)
        .filter(seller=partner.seat, fiscal_year=fiscal_year)
        .first()
    )
    if objective is None:
        raise DomainError(
            _("Propose the commitment before writing its plan."), code="no_objective", field="fy"
        )
    return objective


@transaction.atomic
def add_key_result(
    *,
    person: Membership,
    fiscal_year: int,
    name: str,
    measure: str,
    target: object,
    unit: str = "",
    due_on: datetime.date | None = None,
) -> KeyResult:
    """A key result in the partner's plan of ``fiscal_year``, written by one of its people (the
    seller's rules: a name, a target of zero or more with two decimals at most)."""
    partner = partner_of(person)
    objective = _objective_of(partner, fiscal_year)
    kr = objective_services.add_key_result(
        objective=objective,
        actor=partner.seat,
        name=name,
        measure=measure,
        target=target,
        unit=unit,
        due_on=due_on,
    )
    record(
        workspace=partner.workspace,
        actor=person,
        action="partner.key_result_added",
        obj=kr,
        object_repr=f"{partner.name} FY{fiscal_year}",
        after={"name": kr.name, "target": kr.target, "partner": partner.code},
    )
    return kr


@transaction.atomic
def delete_key_result(*, person: Membership, key_result_id: object) -> None:
    """Remove a key result of the partner's own plan (another's answers 404)."""
    partner = partner_of(person)
    kr = selectors.get_key_result_for(partner, key_result_id)
    record(
        workspace=partner.workspace,
        actor=person,
        action="partner.key_result_removed",
        obj=kr,
        object_repr=f"{partner.name} FY{kr.objective.fiscal_year}",
        before={"name": kr.name, "target": kr.target, "partner": partner.code},
    )
    objective_services.delete_key_result(key_result=kr, actor=partner.seat)


@transaction.atomic
def submit_review(
    *,
    person: Membership,
    review_id: object,
    reasons: object,
    text: object = "",
    next_change: object = "",
    version: int | None = None,
) -> PeriodReview:
    """The partner's review of a closed quarter, written by one of its people for the seat (the
    seller's rules: reasons from the list, text for "other", what changes next quarter, until
    the channel manager answers); the channel manager is notified. Another's review is 404."""
    partner = partner_of(person)
    review = selectors.get_review_for(partner, review_id)
    review = objective_reviews.submit_review(
        review=review,
        actor=partner.seat,
        reasons=reasons,
        text=text,
        next_change=next_change,
        version=version,
    )
    record(
        workspace=partner.workspace,
        actor=person,
        action="partner.review_submitted",
        obj=review,
        object_repr=f"{partner.name} Q{review.quarter} FY{review.fiscal_year}",
        after={"reasons": review.reasons, "partner": partner.code},
    )
    return review
