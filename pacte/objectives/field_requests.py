"""Requests decided in one step: a seller disputes a credit or asks to move team; the handler
the delegation map names (``references.handler_for``, as for objectives) accepts or refuses
with a reason. Accepting applies the change through the sales services (the sale's credits,
the cube and an audit event, in the same transaction) or the org services (a dated placement,
audited); refusing changes nothing else. Every refusal is a located ``DomainError`` and
nothing is written."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from pacte.accounts.models import Membership
from pacte.audit.services import record
from pacte.errors import DomainError, PermissionDenied
from pacte.objectives import references
from pacte.objectives.models import FieldRequest, RequestKind, RequestStatus
from pacte.objectives.services import _check_version, may_decide, notify
from pacte.org.models import Unit
from pacte.sales.models import Credit, CreditKind, Sale

REASON_MAX = 2000


def request_url(req: FieldRequest) -> str:
    return reverse("objectives:request_detail", kwargs={"uuid": req.uuid})


def _text(reason: str | None, *, required: bool) -> str:
    text = (reason or "").strip()
    if required and not text:
        raise DomainError(_("Give a reason."), code="reason_required", field="reason")
    if len(text) > REASON_MAX:
        raise DomainError(
            _("Keep the reason under %(max)s characters.") % {"max": REASON_MAX},
            code="reason_too_long",
            field="reason",
        )
    return text


def _handler(seller: Membership) -> Membership:
    handler = references.handler_for(seller)
    if handler is None or handler.pk == seller.pk:
        raise DomainError(
            _("Nobody can decide on your request: ask an admin to set up the organisation."),
            code="no_handler",
        )
    return handler


def _own(actor: Membership, seller: Membership | None) -> None:
    if seller is not None and seller.pk != actor.pk:
        raise DomainError(
            _("You can only dispute your own credits; %(name)s makes their own requests.")
            % {"name": seller.name},
            code="not_your_credit",
            field="seller",
        )


def _already_pending(kind: str) -> DomainError:
    if kind == RequestKind.CREDIT:
        return DomainError(
            _(
                "You already have a dispute about this sale waiting for a decision: wait for "
                "it, or ask your handler to decide it first."
            ),
            code="already_pending",
            field="sale",
        )
    return DomainError(
        _(
            "You already have a team move waiting for a decision: wait for it, or ask your "
            "handler to decide it first."
        ),
        code="already_pending",
        field="unit",
    )


def _pending_exists(seller: Membership, **match: Any) -> None:
    """Refuse a second pending request of the same kind about the same subject (the sale of a
    dispute; the seller for a move). The database's partial unique constraints
    (``request_one_pending_credit``, ``request_one_pending_move``) hold it under races."""
    if (
        FieldRequest.objects.for_workspace(seller.workspace)
        .filter(seller=seller, status=RequestStatus.PENDING, **match)
        .exists()
    ):
        raise _already_pending(match["kind"])


def _open(req: FieldRequest, handler: Membership, params: dict[str, Any]) -> FieldRequest:
    req.handler = handler
    try:
        with transaction.atomic():
            req.save()
    except IntegrityError:
        # Two requests raced past the check: the constraint kept one, this one is refused.
        raise _already_pending(req.kind) from None
    record(
        workspace=req.workspace,
        actor=req.seller,
        action="request.made",
        obj=req,
        after={"kind": req.kind, **{k: str(v) for k, v in params.items()}},
    )
    notify(recipient=handler, kind=f"request_{req.kind}", params=params, url=request_url(req))
    return req


@transaction.atomic
def dispute_credit(
    *,
    actor: Membership,
    sale: Sale,
    credit_kind: str,
    share_bp: int,
    reason: str,
    seller: Membership | None = None,
) -> FieldRequest:
    """``actor`` asks for ``share_bp`` basis points of ``sale`` as a split or overlay credit
    (their own credit, or a sale they believe should credit them). ``seller``, when given,
    must be the actor: a request about another seller's credit is refused."""
    _own(actor, seller)
    if sale.workspace_id != actor.workspace_id:
        raise DomainError(_("Choose a sale of this workspace."), code="not_found", field="sale")
    if credit_kind not in CreditKind.values:
        raise DomainError(_("Choose split or overlay."), code="credit_kind", field="credit_kind")
    if not isinstance(share_bp, int) or not 0 < share_bp <= 10_000:
        raise DomainError(
            _("The share must be above 0 % and at most 100 %."),
            code="share_invalid",
            field="share_bp",
        )
    text = _text(reason, required=True)
    current = (
        Credit.objects.for_workspace(actor.workspace)
        .filter(sale=sale, seller=actor, kind=credit_kind)
        .values_list("basis_points", flat=True)
        .first()
    )
    if current == share_bp:
        raise DomainError(
            _("This sale already credits you %(share)s %%.") % {"share": share_bp / 100},
            code="nothing_to_change",
            field="share_bp",
        )
    if credit_kind == CreditKind.SPLIT and share_bp < 10_000:
        others = (
            Credit.objects.for_workspace(actor.workspace)
            .filter(sale=sale, kind=CreditKind.SPLIT)
            .exclude(seller=actor)
        )
        if not others.exists():
            raise DomainError(
                _("Nobody else shares this sale: ask for 100 %, or for an overlay."),
                code="nobody_to_share",
                field="share_bp",
            )
    _pending_exists(actor, kind=RequestKind.CREDIT, sale=sale)
    handler = _handler(actor)
    req = FieldRequest(
        workspace=actor.workspace,
        seller=actor,
        kind=RequestKind.CREDIT,
        sale=sale,
        credit_kind=credit_kind,
        share_bp=share_bp,
        reason=text,
    )
    params = {
        "seller": actor.name,
        "sale": sale.external_id,
        "share": f"{share_bp / 100:g}",
        "reason": text,
    }
    return _open(req, handler, params)


def find_sale(member: Any, raw: str) -> Sale:
    """A sale by its public id (the sales list's link) or its external id (a sale that does
    not credit the seller yet)."""
    raw = (raw or "").strip()
    qs = Sale.objects.for_workspace(member.workspace)
    found = None
    try:
        found = qs.filter(uuid=uuid.UUID(raw)).first()
    except ValueError:  # not a public id: look the external id up
        found = None
    found = found or qs.filter(external_id=raw).order_by("pk").first()
    if found is None:
        raise DomainError(
            _("No sale has this reference: copy it from the sales list or your CRM."),
            code="not_found",
            field="sale",
        )
    return found


def _check_move(member: Membership, unit: Unit, effective: datetime.date) -> None:
    """The refusals of a move before anything is written: those of ``move_member`` (which
    checks them again when the move is applied), and a date in a closed month."""
    from pacte.insights.selectors import is_month_closed
    from pacte.org.services import check_move

    check_move(member, unit, effective)
    if is_month_closed(member.workspace, effective.year * 12 + effective.month - 1):
        raise DomainError(
            _("The move is dated %(date)s, in a closed month: choose a date in an open month.")
            % {"date": effective},
            code="period_closed",
            field="effective",
        )


@transaction.atomic
def ask_move(
    *, actor: Membership, unit: Unit, effective: datetime.date, reason: str = ""
) -> FieldRequest:
    """``actor`` asks to move to ``unit`` from ``effective``."""
    text = _text(reason, required=False)
    _check_move(actor, unit, effective)
    _pending_exists(actor, kind=RequestKind.MOVE)
    handler = _handler(actor)
    req = FieldRequest(
        workspace=actor.workspace,
        seller=actor,
        kind=RequestKind.MOVE,
        unit=unit,
        effective=effective,
        reason=text,
    )
    params = {
        "seller": actor.name,
        "team": unit.name,
        "effective": effective.isoformat(),
        "reason": text,
    }
    return _open(req, handler, params)


@transaction.atomic
def decide(
    *,
    request: FieldRequest,
    actor: Membership,
    accept: bool,
    reason: str,
    version: int | None,
) -> FieldRequest:
    """The handler accepts or refuses, with a reason, in one step."""
    from pacte.org.services import move_member
    from pacte.sales.services import set_seller_credit

    req = (
        FieldRequest.objects.select_for_update(of=("self",))
        .select_related("seller", "seller__user", "sale", "unit")
        .get(pk=request.pk)
    )
    if not may_decide(actor, req):
        raise PermissionDenied(_("Only the handler of this seller decides on this request."))
    _check_version(req.version, version, _("request"))
    if req.status != RequestStatus.PENDING:
        raise DomainError(_("This request is already decided."), code="illegal_transition")
    text = _text(reason, required=True)
    if accept and req.kind == RequestKind.CREDIT:
        assert req.sale is not None
        assert req.share_bp is not None
        set_seller_credit(
            sale=req.sale,
            seller=req.seller,
            kind=req.credit_kind,
            basis_points=req.share_bp,
            actor=actor,
            reason=text,
        )
    elif accept:
        assert req.unit is not None
        assert req.effective is not None
        _check_move(req.seller, req.unit, req.effective)
        move_member(
            member=req.seller,
            actor=actor,
            unit=req.unit,
            effective=req.effective,
            version=Membership.objects.get(pk=req.seller_id).version,
        )
    req.status = RequestStatus.ACCEPTED if accept else RequestStatus.REFUSED
    req.decision_reason = text
    req.decided_by = actor
    req.decided_at = timezone.now()
    req.version += 1
    req.save()
    record(
        workspace=req.workspace,
        actor=actor,
        action=f"request.{req.status}",
        obj=req,
        before={"status": RequestStatus.PENDING},
        after={"status": req.status, "reason": text},
    )
    notify(
        recipient=req.seller,
        kind=f"request_{req.status}",
        params={"actor": actor.name, "what": summary(req), "reason": text},
        url=request_url(req),
    )
    return req


def summary(req: FieldRequest) -> str:
    """One line saying what was asked, in the active language."""
    if req.kind == RequestKind.CREDIT:
        kind = CreditKind(req.credit_kind).label if req.credit_kind in CreditKind.values else ""
        return _("%(share)s %% of sale %(sale)s as %(kind)s") % {
            "share": f"{(req.share_bp or 0) / 100:g}",
            "sale": req.sale.external_id if req.sale else "—",
            "kind": str(kind).lower(),
        }
    return _("a move to “%(team)s” from %(date)s") % {
        "team": req.unit.name if req.unit else "—",
        "date": req.effective,
    }


def pending_for(handler: Membership) -> list[FieldRequest]:
    """The requests waiting for ``handler``'s decision, oldest first, each with its summary."""
    items = list(
        FieldRequest.objects.for_workspace(handler.workspace)
        .filter(handler=handler, status=RequestStatus.PENDING)
        .select_related("seller", "sale", "unit")
        .order_by("created_at")
    )
    for r in items:
        r.summary = summary(r)  # type: ignore[attr-defined]
    return items
