"""Workflows of objectives: draft, propose, decide, counter, accept; policy, windows, gap rules,
plans and check-ins. Every change writes an audit event in its own transaction."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from pacte.accounts.models import Membership, Workspace
from pacte.amounts import check_amount
from pacte.audit.services import record
from pacte.errors import DomainError, PermissionDenied, StaleVersion
from pacte.lib.dates import format_day, parse_iso_day
from pacte.lib.money import MAX_MINOR, MoneyInputError, format_money, parse_decimal
from pacte.links import absolute
from pacte.objectives import maths, references
from pacte.objectives.models import (
    Action,
    CheckIn,
    DelegationPolicy,
    FieldRequest,
    GapRule,
    Initiative,
    InitiativeStatus,
    KeyResult,
    Layer,
    Notification,
    Objective,
    ObjectiveCell,
    ObjectiveVersion,
    RuleKind,
    Status,
    StretchRequest,
    Window,
)
from pacte.webhooks.events import emit

logger = logging.getLogger(__name__)

FIELDS = ("status", "amount", "months", "channel_split", "narrative", "reason", "counter_amount")


# --------------------------------------------------------------------------- parsing


def check_months(values: Sequence[int] | None, currency: str) -> list[int] | None:
    """Twelve monthly amounts in minor units (``None`` or empty: phase like the reference)."""
    if values is None or len(values) == 0:
        return None
    if len(values) != 12:
        raise DomainError(
            _("Give exactly 12 monthly amounts."), code="phasing_length", field="months"
        )
    return [check_amount(v, currency, field=f"month_{i + 1}") for i, v in enumerate(values)]


def parse_split(
    values: Mapping[str, object] | None, channel_codes: Sequence[str]
) -> dict[str, int]:
    """Channel percentages (``{"field": "60"}``) as basis points; blank entries are dropped."""
    out: dict[str, int] = {}
    for code, raw in (values or {}).items():
        if raw is None or str(raw).strip() == "":
            continue
        if code not in channel_codes:
            raise DomainError(
                _("Unknown channel “%(code)s”.") % {"code": code},
                code="channel_unknown",
                field="channel_split",
            )
        try:
            pct = Decimal(str(raw).strip().replace(",", "."))
        except InvalidOperation:
            pct = Decimal("NaN")
        if not pct.is_finite() or pct < 0 or pct != pct.quantize(Decimal("0.01")):
            raise DomainError(
                _("A channel share is a percentage from 0 to 100 with at most two decimals."),
                code="split_invalid",
                field="channel_split",
            )
        bp = int(pct * 100)
        if bp:
            out[code] = bp
    if sum(out.values()) > maths.BP:
        raise DomainError(
            _("The channel split adds up to more than 100 %."),
            code="split_over_100",
            field="channel_split",
        )
    return out


def channel_codes(workspace: Workspace) -> list[str]:
    from pacte.sales.models import Channel

    return list(
        Channel.objects.for_workspace(workspace)
        .filter(is_active=True)
        .order_by("position", "code")
        .values_list("code", flat=True)
    )


# --------------------------------------------------------------------------- policy and windows


def policy_of(workspace: Workspace) -> DelegationPolicy:
    policy, _created = DelegationPolicy.objects.get_or_create(workspace=workspace)
    return policy


def _check_version(current: int, sent: int | None, what: str) -> None:
    if sent is None or int(sent) != current:
        raise StaleVersion(
            _(
                "Someone changed this %(what)s since you opened it. Your input is kept below: "
                "review the current version and save again."
            )
            % {"what": what}
        )


@transaction.atomic
def set_policy(
    *,
    workspace: Workspace,
    actor: Membership,
    auto_agree: bool,
    tolerance_pct: object,
    version: int | None,
) -> DelegationPolicy:
    policy = DelegationPolicy.objects.select_for_update().get(pk=policy_of(workspace).pk)
    _check_version(policy.version, version, _("policy"))
    try:
        tolerance = Decimal(str(tolerance_pct).strip().replace(",", "."))
    except InvalidOperation:
        tolerance = Decimal("NaN")
    if not tolerance.is_finite() or not (0 <= tolerance <= 100):
        raise DomainError(
            _("The tolerance is a percentage from 0 to 100."),
            code="tolerance_invalid",
            field="tolerance_pct",
        )
    before = {"auto_agree": policy.auto_agree, "tolerance_pct": str(policy.tolerance_pct)}
    policy.auto_agree = bool(auto_agree)
    policy.tolerance_pct = tolerance.quantize(Decimal("0.01"))
    policy.version += 1
    policy.updated_by = actor
    policy.updated_at = timezone.now()
    policy.save()
    record(
        workspace=workspace,
        actor=actor,
        action="delegation_policy.updated",
        obj=policy,
        object_type="delegation_policy",
        object_id=str(workspace.uuid),
        object_repr=_("Delegation policy"),
        before=before,
        after={
            "auto_agree": policy.auto_agree,
            "tolerance_pct": str(policy.tolerance_pct),
            "version": policy.version,
        },
    )
    return policy


@transaction.atomic
def set_window(
    *,
    workspace: Workspace,
    actor: Membership,
    fiscal_year: int,
    opens_on: datetime.date,
    closes_on: datetime.date,
    version: int | None = None,
) -> Window:
    if closes_on < opens_on:
        raise DomainError(
            _("The window closes before it opens."), code="window_range", field="closes_on"
        )
    window = (
        Window.objects.for_workspace(workspace)
        .select_for_update()
        .filter(fiscal_year=fiscal_year)
        .first()
    )
    before = None
    if window is None:
        window = Window(
            workspace=workspace, fiscal_year=fiscal_year, opens_on=opens_on, closes_on=closes_on
        )
    else:
        _check_version(window.version, version, _("window"))
        before = {"opens_on": window.opens_on, "closes_on": window.closes_on}
        window.opens_on, window.closes_on = opens_on, closes_on
        window.version += 1
    window.save()
    record(
        workspace=workspace,
        actor=actor,
        action="objective_window.set",
        obj=window,
        before=before,
        after={"fiscal_year": fiscal_year, "opens_on": opens_on, "closes_on": closes_on},
    )
    return window


def window_of(workspace: Workspace, fy: int) -> Window | None:
    return Window.objects.for_workspace(workspace).filter(fiscal_year=fy).first()


# --------------------------------------------------------------------------- notifications


def _notice_texts() -> dict[str, tuple[str, str]]:
    """Subject and body of each notification kind (translated in the active language)."""
    return {
        "sync_failed": (
            _("The sync of data source “%(name)s” failed"),
            _(
                "The sync of data source “%(name)s” failed: %(message)s Nothing was written "
                "and the next sync starts from the same point. Open the data source's status "
                "page for each record in error."
            ),
        ),
        "proposed": (
            _("%(seller)s proposed an objective"),
            _(
                "%(seller)s proposed %(amount)s for FY%(fy)s (reference %(reference)s). "
                "You handle this proposal: agree, return it with a reason, or counter-propose."
            ),
        ),
        "auto_agreed": (
            _("Your objective is agreed"),
            _(
                "Your objective of %(amount)s for FY%(fy)s is at or near your reference share "
                "and was agreed automatically."
            ),
        ),
        "agreed": (
            _("Your objective is agreed"),
            _("%(actor)s agreed your objective of %(amount)s for FY%(fy)s."),
        ),
        "returned": (
            _("Your objective was returned"),
            _("%(actor)s returned your objective for FY%(fy)s: %(reason)s"),
        ),
        "countered": (
            _("A counter-proposal for your objective"),
            _(
                "%(actor)s counter-proposes %(amount)s for FY%(fy)s: %(reason)s. "
                "Accept it or revise your proposal."
            ),
        ),
        "accepted": (
            _("%(seller)s accepted your counter-proposal"),
            _("%(seller)s accepted %(amount)s for FY%(fy)s."),
        ),
        "stretch": (
            _("A stretch request"),
            _(
                "To close the gap of FY%(fy)s, %(actor)s asks whether you could add %(amount)s "
                "to your objective. Your objective is unchanged until you revise it."
            ),
        ),
        "period_closed": (
            _("Q%(quarter)s FY%(fy)s is closed"),
            _(
                "Q%(quarter)s FY%(fy)s is closed: you reached %(amount)s of the %(reference)s "
                "your objective puts in it. Say in your next check-in what changes next quarter."
            ),
        ),
        "check_in_seen": (
            _("%(actor)s saw your check-in"),
            _("%(actor)s saw your check-in of the week of %(week)s."),
        ),
        "check_in_reply": (
            _("%(actor)s answered your check-in"),
            _("%(actor)s answered your check-in of the week of %(week)s: %(reason)s"),
        ),
        "review_requested": (
            _("Q%(quarter)s FY%(fy)s: your review"),
            _(
                "Q%(quarter)s FY%(fy)s is closed: you reached %(amount)s of the %(reference)s "
                "you committed. Say why, from the list of reasons, and what you change next "
                "quarter; your lead will answer."
            ),
        ),
        "review_reminder": (
            _("Q%(quarter)s FY%(fy)s: your review is waiting"),
            _(
                "Your review of Q%(quarter)s FY%(fy)s is still waiting: you reached "
                "%(amount)s of the %(reference)s you committed."
            ),
        ),
        "review_submitted": (
            _("%(seller)s reviewed Q%(quarter)s FY%(fy)s"),
            _(
                "%(seller)s reached %(amount)s of %(reference)s in Q%(quarter)s FY%(fy)s and "
                "wrote their review. Answer it or coach them."
            ),
        ),
        "review_answered": (
            _("%(actor)s answered your review"),
            _("%(actor)s answered your review of Q%(quarter)s FY%(fy)s: %(reason)s"),
        ),
        "invitation_declined": (
            _("%(name)s declined the invitation"),
            _(
                "%(name)s (%(email)s) declined the invitation to join the workspace: they are "
                "inactive in the directory. Reactivate them to invite them again."
            ),
        ),
        "request_credit": (
            _("%(seller)s disputes a credit"),
            _(
                "%(seller)s asks for %(share)s %% of sale %(sale)s: %(reason)s. Accept or "
                "refuse it, with a reason."
            ),
        ),
        "request_move": (
            _("%(seller)s asks to move team"),
            _(
                "%(seller)s asks to move to “%(team)s” from %(effective)s. %(reason)s Accept "
                "or refuse it, with a reason."
            ),
        ),
        "request_accepted": (
            _("%(actor)s accepted your request"),
            _("%(actor)s accepted your request (%(what)s): %(reason)s"),
        ),
        "request_refused": (
            _("%(actor)s refused your request"),
            _("%(actor)s refused your request (%(what)s): %(reason)s"),
        ),
        "webhook_disabled": (
            _("A webhook was turned off"),
            _(
                "The webhook “%(name)s” failed %(failures)s times in a row and was turned off. "
                "Check its address, then turn it on again: what waited is sent then."
            ),
        ),
        "reminder": (
            _("Your objective is waiting"),
            _(
                "You have not proposed your objective for FY%(fy)s yet. The window closes on "
                "%(closes_on)s."
            ),
        ),
    }


def render_notice(notice: Notification, currency: str) -> tuple[str, str]:
    """Subject and body of a notification in the active language."""
    subject, body = _notice_texts().get(notice.kind, (notice.kind, ""))
    params = dict(notice.params)
    lang = translation.get_language()
    for key in ("amount", "reference"):
        if key in params:
            params[key] = format_money(params[key], currency, lang)
    for key in ("closes_on", "week", "effective"):
        day = parse_iso_day(params.get(key))
        if day is not None:
            params[key] = format_day(day, lang)
    params.setdefault("reason", "")
    try:
        return subject % params, body % params
    except (KeyError, TypeError, ValueError):
        return subject, body


def notify(
    *,
    recipient: Membership,
    kind: str,
    params: dict[str, Any],
    url: str = "",
    partner_url: str = "",
) -> Notification:
    """An in-app notification and an e-mail in the recipient's language, sent on commit.

    A partner organisation's seat never signs in (its login is inactive): its notification is
    kept, e-mailed to nobody, and delivered to each of the partner's active people, pointing to
    ``partner_url`` (one of their partner pages, the only pages they open), else their
    partner page."""
    notice = _deliver(recipient=recipient, kind=kind, params=params, url=url)
    if not recipient.user.is_active:
        # Partners sit above objectives: imported when a seat is notified, not at load.
        from pacte.partners.selectors import people_of_seat

        people = people_of_seat(recipient)
        if people:
            home = partner_url or (
                reverse("partner:home") + (f"?fy={params['fy']}" if "fy" in params else "")
            )
            for person in people:
                _deliver(recipient=person, kind=kind, params=params, url=home)
    return notice


def _deliver(*, recipient: Membership, kind: str, params: dict[str, Any], url: str) -> Notification:
    notice = Notification.objects.create(
        workspace=recipient.workspace, recipient=recipient, kind=kind, params=params, url=url
    )
    user = recipient.user
    if not user.is_active:
        return notice
    workspace = recipient.workspace

    def send() -> None:
        with translation.override(user.language or workspace.language):
            subject, body = render_notice(notice, workspace.currency)
            if notice.url:
                body += "\n\n" + absolute(notice.url)
        try:
            send_mail(subject, body, None, [user.email])
        except OSError:  # the in-app notification stands; a mail outage never blocks a decision
            logger.warning("Could not e-mail notification %s to %s", notice.pk, user.pk)

    transaction.on_commit(send)
    return notice


def mark_read(*, member: Membership, notice: Notification | None = None) -> int:
    """Mark ``notice`` (one of ``member``'s own notifications) read, or every unread one of
    theirs when ``notice`` is None; returns how many changed (reading twice changes nothing)."""
    unread = Notification.objects.for_workspace(member.workspace).filter(
        recipient=member, read_at__isnull=True
    )
    if notice is not None:
        if notice.recipient_id != member.pk or notice.workspace_id != member.workspace_id:
            raise PermissionDenied(_("This notification is someone else's."))
        unread = unread.filter(pk=notice.pk)
    return unread.update(read_at=timezone.now())


# --------------------------------------------------------------------------- objectives


def default_months(*, seller: Membership, fiscal_year: int, amount: int) -> list[int]:
    """``amount`` phased like the seller's reference share, else like last year's actuals:
    the months of an objective given without them (the page and the API alike)."""

    def history() -> list[int]:
        return (
            references.actuals_for(seller.workspace, fiscal_year - 1, [seller.pk])
            .get(seller.pk, references.Actuals())
            .by_month
        )

    reference = references.reference_for(seller, fiscal_year)
    return maths.phase_like_reference(amount, reference.by_month, history)


def _check_phasing(amount: int, months: list[int]) -> None:
    if maths.phasing_gap(amount, months):
        total = sum(months)
        raise DomainError(
            _(
                "The months add up to %(months)s but the annual amount is %(annual)s: "
                "adjust a month or the annual amount."
            )
            % {"months": total, "annual": amount},
            code="phasing_mismatch",
            field="months",
        )


def _write_cells(objective: Objective) -> None:
    """Rewrite the reconciliation cells of one objective (agreed and pending layers)."""
    ObjectiveCell.objects.for_workspace(objective.workspace).filter(objective=objective).delete()
    from pacte.sales.models import Channel

    channel_ids = dict(Channel.objects.for_workspace(objective.workspace).values_list("code", "pk"))
    first = references.fy_months(objective.workspace, objective.fiscal_year).start
    cells: list[ObjectiveCell] = []

    def add(layer: str, months: list[int], split: dict[str, int]) -> None:
        for i, month_amount in enumerate(months):
            for code, part in maths.split_by_channel(month_amount, split):
                cells.append(
                    ObjectiveCell(
                        workspace=objective.workspace,
                        objective=objective,
                        seller_id=objective.seller_id,
                        fiscal_year=objective.fiscal_year,
                        layer=layer,
                        channel_id=channel_ids.get(code) if code else None,
                        month=first + i,
                        amount=part,
                    )
                )

    agreed = objective.versions.filter(status=Status.AGREED).order_by("-number").first()
    if agreed is not None:
        add(Layer.AGREED, agreed.months, agreed.channel_split)
    if objective.status in (Status.PROPOSED, Status.COUNTERED):
        add(Layer.PROPOSED, objective.months, objective.channel_split)
    ObjectiveCell.objects.bulk_create(cells, batch_size=2000)


def _is_late(workspace: Workspace, fy: int) -> bool:
    window = window_of(workspace, fy)
    return window is not None and timezone.localdate() > window.closes_on


def objective_url(objective: Objective) -> str:
    return reverse("objectives:detail", kwargs={"uuid": objective.uuid})


def _advance(
    objective: Objective, *, action: str, actor: Membership | None, before: dict[str, Any]
) -> Objective:
    """Bump the version, snapshot it, refresh the cells, write one audit event."""
    objective.version += 1
    objective.updated_at = timezone.now()
    objective.save()
    ObjectiveVersion.objects.create(
        workspace=objective.workspace,
        objective=objective,
        number=objective.version,
        action=action,
        status=objective.status,
        amount=objective.amount,
        months=objective.months,
        channel_split=objective.channel_split,
        narrative=objective.narrative,
        reason=objective.reason,
        counter_amount=objective.counter_amount,
        author=actor,
        is_late=objective.is_late,
    )
    _write_cells(objective)
    record(
        workspace=objective.workspace,
        actor=actor,
        action=f"objective.{action}",
        obj=objective,
        object_repr=f"{objective.seller.name} FY{objective.fiscal_year}",
        before=before or None,
        after={**{f: getattr(objective, f) for f in FIELDS}, "version": objective.version},
    )
    if code := _EVENTS.get(action):
        emit(
            objective.workspace,
            code,
            lambda: {
                "objective": str(objective.uuid),
                "seller": objective.seller.name,
                "seller_email": objective.seller.user.email,
                "fiscal_year": objective.fiscal_year,
                "amount": objective.amount,
                "currency": objective.workspace.currency,
                "status": objective.status,
                "reason": objective.reason,
                "by": actor.name if actor else "",
                "url": objective_url(objective),
            },
        )
    return objective


#: Objective actions other tools can subscribe to (``pacte.webhooks``).
_EVENTS: dict[str, str] = {
    Action.PROPOSED: "objective.proposed",
    Action.AUTO_AGREED: "objective.agreed",
    Action.AGREED: "objective.agreed",
    Action.ACCEPTED: "objective.agreed",
    Action.RETURNED: "objective.returned",
}


def _locked(seller: Membership, fy: int) -> Objective | None:
    return (
        Objective.objects.for_workspace(seller.workspace)
        .select_for_update()
        .filter(seller=seller, fiscal_year=fy)
        .first()
    )


def _apply_input(
    objective: Objective,
    *,
    seller: Membership,
    amount: int,
    months: Sequence[int] | None,
    channel_split: Mapping[str, object] | None,
    narrative: str | None,
) -> None:
    ws = seller.workspace
    minor = check_amount(amount, ws.currency)
    parsed = check_months(months, ws.currency)
    if parsed is None:
        parsed = default_months(seller=seller, fiscal_year=objective.fiscal_year, amount=minor)
    _check_phasing(minor, parsed)
    objective.channel_split = parse_split(channel_split, channel_codes(ws))
    objective.amount = minor
    objective.months = parsed
    if narrative is not None:
        objective.narrative = narrative.strip()


def _start(seller: Membership, fy: int) -> Objective:
    if not seller.is_seller:
        raise PermissionDenied(_("Only sellers set their own objective."))
    return Objective(workspace=seller.workspace, seller=seller, fiscal_year=fy, amount=0, version=0)


def _snapshot(objective: Objective) -> dict[str, Any]:
    if objective.pk is None:
        return {}
    return {**{f: getattr(objective, f) for f in FIELDS}, "version": objective.version}


def _edit(
    seller: Membership,
    fiscal_year: int,
    version: int | None,
    pending_message: str,
    **inputs: Any,
) -> tuple[Objective, dict[str, Any]]:
    """Lock (or start) the seller's objective, refuse a stale version or a pending proposal
    (with ``pending_message``), and apply the seller's inputs. Returns it with its snapshot
    from before the edit, for the audit event."""
    objective = _locked(seller, fiscal_year)
    if objective is None:
        objective = _start(seller, fiscal_year)
    else:
        _check_version(objective.version, version, _("objective"))
        if objective.status == Status.PROPOSED:
            raise DomainError(pending_message, code="illegal_transition")
    before = _snapshot(objective)
    _apply_input(objective, seller=seller, **inputs)
    return objective, before


@transaction.atomic
def save_draft(
    *,
    seller: Membership,
    fiscal_year: int,
    amount: int,
    months: Sequence[int] | None = None,
    channel_split: Mapping[str, object] | None = None,
    narrative: str | None = None,
    version: int | None = None,
) -> Objective:
    """Save the seller's own objective as a draft (any status but pending)."""
    objective, before = _edit(
        seller,
        fiscal_year,
        version,
        _("Your proposal is with your handler: wait for the decision."),
        amount=amount,
        months=months,
        channel_split=channel_split,
        narrative=narrative,
    )
    objective.status = Status.DRAFT
    objective.counter_amount = None
    objective.counter_months = []
    return _advance(objective, action=Action.SAVED, actor=seller, before=before)


@transaction.atomic
def propose(
    *,
    seller: Membership,
    fiscal_year: int,
    amount: int,
    months: Sequence[int] | None = None,
    channel_split: Mapping[str, object] | None = None,
    narrative: str | None = None,
    version: int | None = None,
) -> Objective:
    """Propose: agreed at once when the delegation policy allows, else sent to the handler."""
    objective, before = _edit(
        seller,
        fiscal_year,
        version,
        _("Your proposal is already with your handler."),
        amount=amount,
        months=months,
        channel_split=channel_split,
        narrative=narrative,
    )
    ws = seller.workspace
    policy = policy_of(ws)
    reference = references.reference_for(seller, fiscal_year)
    objective.reference_amount = reference.annual if reference.exists else None
    objective.is_late = _is_late(ws, fiscal_year)
    objective.proposed_at = timezone.now()
    objective.reason = ""
    objective.counter_amount = None
    objective.counter_months = []
    tolerance_bp = int(policy.tolerance_pct * 100)
    params = {
        "seller": seller.name,
        "amount": objective.amount,
        "fy": fiscal_year,
        "reference": reference.annual,
    }
    if maths.auto_agrees(objective.amount, reference.annual, tolerance_bp, policy.auto_agree):
        objective.status = Status.AGREED
        objective.handler = None
        objective.agreed_amount = objective.amount
        objective.agreed_at = timezone.now()
        _advance(objective, action=Action.AUTO_AGREED, actor=seller, before=before)
        notify(recipient=seller, kind="auto_agreed", params=params, url=objective_url(objective))
        return objective
    handler = references.handler_for(seller)
    if handler is None or handler.pk == seller.pk:
        raise DomainError(
            _("Nobody can decide on your proposal: ask an admin to set up the organisation."),
            code="no_handler",
        )
    objective.status = Status.PROPOSED
    objective.handler = handler
    _advance(objective, action=Action.PROPOSED, actor=seller, before=before)
    notify(recipient=handler, kind="proposed", params=params, url=objective_url(objective))
    return objective


def may_decide(actor: Membership, objective: Objective | FieldRequest) -> bool:
    """The one person who decides: the handler the proposal (or request) was sent to, or
    whoever the delegation map names today (a deputy standing in)."""
    if objective.handler_id == actor.pk:
        return True
    current = references.handler_for(objective.seller)
    return current is not None and current.pk == actor.pk


def _decision_start(objective: Objective, actor: Membership, version: int | None) -> Objective:
    locked = Objective.objects.select_for_update().select_related("seller").get(pk=objective.pk)
    if not may_decide(actor, locked):
        raise PermissionDenied(_("Only the handler of this seller decides on this proposal."))
    _check_version(locked.version, version, _("objective"))
    if locked.status != Status.PROPOSED:
        raise DomainError(_("Only a proposed objective can be decided."), code="illegal_transition")
    return locked


@transaction.atomic
def agree(*, objective: Objective, actor: Membership, version: int | None) -> Objective:
    objective = _decision_start(objective, actor, version)
    before = _snapshot(objective)
    objective.status = Status.AGREED
    objective.agreed_amount = objective.amount
    objective.agreed_at = timezone.now()
    objective.reason = ""
    _advance(objective, action=Action.AGREED, actor=actor, before=before)
    notify(
        recipient=objective.seller,
        kind="agreed",
        params={"actor": actor.name, "amount": objective.amount, "fy": objective.fiscal_year},
        url=objective_url(objective),
    )
    return objective


def _reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise DomainError(_("Give a reason."), code="reason_required", field="reason")
    return text


@transaction.atomic
def return_objective(
    *, objective: Objective, actor: Membership, reason: str, version: int | None
) -> Objective:
    text = _reason(reason)
    objective = _decision_start(objective, actor, version)
    before = _snapshot(objective)
    objective.status = Status.RETURNED
    objective.reason = text
    _advance(objective, action=Action.RETURNED, actor=actor, before=before)
    notify(
        recipient=objective.seller,
        kind="returned",
        params={"actor": actor.name, "reason": text, "fy": objective.fiscal_year},
        url=objective_url(objective),
    )
    return objective


@transaction.atomic
def counter_propose(
    *,
    objective: Objective,
    actor: Membership,
    amount: int,
    reason: str,
    version: int | None,
) -> Objective:
    """The handler suggests another amount (phased like the proposal); the seller decides."""
    minor = check_amount(amount, objective.workspace.currency)
    text = _reason(reason)
    objective = _decision_start(objective, actor, version)
    before = _snapshot(objective)
    objective.status = Status.COUNTERED
    objective.reason = text
    objective.counter_amount = minor
    objective.counter_months = maths.phase(minor, objective.months)
    _advance(objective, action=Action.COUNTERED, actor=actor, before=before)
    notify(
        recipient=objective.seller,
        kind="countered",
        params={"actor": actor.name, "amount": minor, "reason": text, "fy": objective.fiscal_year},
        url=objective_url(objective),
    )
    return objective


@transaction.atomic
def accept_counter(*, seller: Membership, objective: Objective, version: int | None) -> Objective:
    objective = Objective.objects.select_for_update().get(pk=objective.pk)
    if objective.seller_id != seller.pk:
        raise PermissionDenied(_("Only the seller accepts a counter-proposal."))
    _check_version(objective.version, version, _("objective"))
    if objective.status != Status.COUNTERED or objective.counter_amount is None:
        raise DomainError(_("There is no counter-proposal to accept."), code="illegal_transition")
    before = _snapshot(objective)
    objective.amount = objective.counter_amount
    objective.months = objective.counter_months or maths.phase(objective.amount, objective.months)
    objective.channel_split = objective.channel_split
    objective.status = Status.AGREED
    objective.agreed_amount = objective.amount
    objective.agreed_at = timezone.now()
    _advance(objective, action=Action.ACCEPTED, actor=seller, before=before)
    if objective.handler is not None:
        notify(
            recipient=objective.handler,
            kind="accepted",
            params={"seller": seller.name, "amount": objective.amount, "fy": objective.fiscal_year},
            url=objective_url(objective),
        )
    return objective


# --------------------------------------------------------------------------- gap rules


def preview_gap_rule(
    *,
    workspace: Workspace,
    unit_id: int,
    fiscal_year: int,
    kind: str,
    amount: int,
    sellers: Sequence[Membership] = (),
) -> list[dict[str, Any]]:
    """How a rule would share ``amount``: ``[{"seller", "name", "amount", "headroom"}]``.

    A seller the published run holds or excludes has no headroom and takes nothing. Stretch:
    over the chosen sellers (held or excluded ones listed with 0). Pro-rata: over the node's
    sellers with headroom, each capped at it (the run's upper bound minus what is already
    agreed; none without a bound). Both split in proportion to the run's weight shares (its
    reference shares when the run has no weights, equally when those are zero too), exactly
    (largest remainder, :func:`pacte.lib.allocation.capped_split`); what nobody can take stays
    unallocated and the preview's total shows it. Reserve: nobody, the node holds it. Refused
    when nobody can take anything.
    """
    minor = check_amount(amount, workspace.currency)
    if kind not in RuleKind.values:
        raise DomainError(_("Choose a rule."), code="rule_invalid", field="kind")
    if minor == 0:
        raise DomainError(_("The amount must be above zero."), code="amount_zero", field="amount")
    if kind == RuleKind.RESERVE:
        return []
    under = set(references.sellers_under(workspace, unit_id))
    if kind == RuleKind.STRETCH:
        people = [s for s in sellers if s.pk in under]
        if not people:
            raise DomainError(
                _("Choose at least one seller of this team."),
                code="sellers_required",
                field="sellers",
            )
    else:
        people = list(Membership.objects.filter(pk__in=under).order_by("name", "pk"))
    refs = references.references_for(workspace, fiscal_year, [p.pk for p in people])
    agreed = dict(
        Objective.objects.for_workspace(workspace)
        .filter(fiscal_year=fiscal_year, seller_id__in=[p.pk for p in people])
        .values_list("seller_id", "agreed_amount")
    )
    prorata = kind == RuleKind.PRORATA
    candidates = [(p, _gap_candidate(p, refs.get(p.pk), agreed.get(p.pk))) for p in people]
    if prorata:
        candidates = [(p, c) for p, c in candidates if maths.headroom(c, prorata=True) != 0]
    if all(maths.headroom(c, prorata=prorata) == 0 for _p, c in candidates):
        raise DomainError(
            _("Nobody here has headroom left: held and excluded sellers take no extra."),
            code="no_headroom",
        )
    shares = maths.gap_split(minor, [c for _p, c in candidates], prorata=prorata)
    return [
        {
            "seller": str(p.uuid),
            "name": p.name,
            "amount": share,
            "headroom": maths.headroom(c, prorata=prorata),
        }
        for (p, c), share in zip(candidates, shares, strict=True)
    ]


def _gap_candidate(
    member: Membership, ref: references.ReferenceShare | None, agreed: int | None
) -> maths.GapCandidate:
    if ref is None:
        return maths.GapCandidate(
            key=member.pk, weight_share=None, reference=0, upper=None, agreed=int(agreed or 0)
        )
    return maths.GapCandidate(
        key=member.pk,
        weight_share=ref.weight_share,
        reference=ref.annual,
        upper=ref.upper,
        held=ref.held,
        excluded=ref.excluded,
        agreed=int(agreed or 0),
    )


@transaction.atomic
def apply_gap_rule(
    *,
    actor: Membership,
    unit_id: int,
    fiscal_year: int,
    kind: str,
    amount: int,
    sellers: Sequence[Membership] = (),
    note: str = "",
) -> GapRule:
    """Record the rule; stretch and pro-rata send each seller a suggested extra. No objective
    is changed: the seller revises it, or not."""
    ws = actor.workspace
    allocations = preview_gap_rule(
        workspace=ws,
        unit_id=unit_id,
        fiscal_year=fiscal_year,
        kind=kind,
        amount=amount,
        sellers=sellers,
    )
    minor = check_amount(amount, ws.currency)
    rule = GapRule.objects.create(
        workspace=ws,
        unit_id=unit_id,
        fiscal_year=fiscal_year,
        kind=kind,
        amount=minor if kind == RuleKind.RESERVE else sum(a["amount"] for a in allocations),
        allocations=allocations,
        note=note.strip(),
        created_by=actor,
    )
    people = {
        str(m.uuid): m
        for m in Membership.objects.for_workspace(ws)
        .filter(uuid__in=[a["seller"] for a in allocations])
        .select_related("user", "workspace")
    }
    StretchRequest.objects.bulk_create(
        [
            StretchRequest(
                workspace=ws,
                rule=rule,
                seller=people[a["seller"]],
                fiscal_year=fiscal_year,
                amount=a["amount"],
            )
            for a in allocations
            if a["amount"] > 0
        ]
    )
    for a in allocations:
        if a["amount"] > 0:
            notify(
                recipient=people[a["seller"]],
                kind="stretch",
                params={"actor": actor.name, "amount": a["amount"], "fy": fiscal_year},
                url=reverse("objectives:mine") + f"?fy={fiscal_year}",
            )
    record(
        workspace=ws,
        actor=actor,
        action="gap_rule.applied",
        obj=rule,
        object_repr=str(rule.get_kind_display()),
        after={"kind": kind, "amount": rule.amount, "unit": unit_id, "allocations": allocations},
    )
    return rule


# --------------------------------------------------------------------------- plans and check-ins


def _own(objective: Objective, seller: Membership) -> None:
    if objective.seller_id != seller.pk:
        raise PermissionDenied(_("Only the seller writes their own plan."))


@transaction.atomic
def add_key_result(
    *,
    objective: Objective,
    actor: Membership,
    name: str,
    measure: str,
    target: object,
    unit: str = "",
    due_on: datetime.date | None = None,
) -> KeyResult:
    _own(objective, actor)
    if not (name or "").strip():
        raise DomainError(_("Name the key result."), code="name_required", field="name")
    value = _key_result_target(target)
    kr = KeyResult.objects.create(
        workspace=objective.workspace,
        objective=objective,
        name=name.strip()[:200],
        measure=(measure or "").strip()[:200],
        target=value.quantize(Decimal("0.01")),
        unit=(unit or "").strip()[:40],
        due_on=due_on,
    )
    record(
        workspace=objective.workspace,
        actor=actor,
        action="key_result.created",
        obj=kr,
        after={"name": kr.name, "measure": kr.measure, "target": kr.target, "unit": kr.unit},
    )
    return kr


def _key_result_target(target: object) -> Decimal:
    """A key result's target: a string is read as the person typed it, in the active language
    (``1 250,5`` in French, ``1,250.5`` in English); a number is taken as it is. Zero or more,
    at most two decimals (nothing is rounded)."""
    if isinstance(target, str):
        try:
            return parse_decimal(target, translation.get_language(), places=2)
        except MoneyInputError as exc:
            if exc.code == "too_precise":
                raise DomainError(
                    _("The target has at most two decimals."),
                    code="target_invalid",
                    field="target",
                ) from None
            raise DomainError(
                _("The target is a number, zero or more."), code="target_invalid", field="target"
            ) from None
    try:
        value = Decimal(str(target)) if not isinstance(target, bool) else Decimal("NaN")
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value < 0 or value > MAX_MINOR:
        raise DomainError(
            _("The target is a number, zero or more."), code="target_invalid", field="target"
        )
    if value != value.quantize(Decimal("0.01")):
        raise DomainError(
            _("The target has at most two decimals."), code="target_invalid", field="target"
        )
    return value


@transaction.atomic
def delete_key_result(*, key_result: KeyResult, actor: Membership) -> None:
    _own(key_result.objective, actor)
    record(
        workspace=key_result.workspace,
        actor=actor,
        action="key_result.deleted",
        obj=key_result,
        before={"name": key_result.name},
    )
    key_result.delete()


@transaction.atomic
def add_initiative(*, objective: Objective, actor: Membership, text: str) -> Initiative:
    _own(objective, actor)
    if not (text or "").strip():
        raise DomainError(_("Describe the initiative."), code="text_required", field="text")
    initiative = Initiative.objects.create(
        workspace=objective.workspace, objective=objective, text=text.strip()[:500]
    )
    record(
        workspace=objective.workspace,
        actor=actor,
        action="initiative.created",
        obj=initiative,
        after={"text": initiative.text},
    )
    return initiative


@transaction.atomic
def set_initiative_status(*, initiative: Initiative, actor: Membership, status: str) -> Initiative:
    _own(initiative.objective, actor)
    if status not in InitiativeStatus.values:
        raise DomainError(_("Unknown status."), code="status_invalid", field="status")
    before = {"status": initiative.status}
    initiative.status = status
    initiative.save(update_fields=["status"])
    record(
        workspace=initiative.workspace,
        actor=actor,
        action="initiative.updated",
        obj=initiative,
        before=before,
        after={"status": status},
    )
    return initiative


def week_of(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


@transaction.atomic
def check_in(
    *,
    objective: Objective,
    actor: Membership,
    confidence: object,
    comment: str = "",
    day: datetime.date | None = None,
) -> CheckIn:
    """This week's check-in (a second one the same week replaces it). A comment is required
    when confidence drops below the previous week's."""
    _own(objective, actor)
    try:
        score = int(str(confidence).strip())
    except (TypeError, ValueError):
        score = -1
    if not 0 <= score <= 10:
        raise DomainError(
            _("Confidence is a whole number from 0 to 10."),
            code="confidence_invalid",
            field="confidence",
        )
    week = week_of(day or timezone.localdate())
    previous = (
        CheckIn.objects.for_workspace(objective.workspace)
        .filter(objective=objective, week__lt=week)
        .order_by("-week")
        .first()
    )
    text = (comment or "").strip()
    if previous is not None and score < previous.confidence and not text:
        raise DomainError(
            _("Your confidence dropped since last time (%(before)s → %(now)s): say why.")
            % {"before": previous.confidence, "now": score},
            code="comment_required",
            field="comment",
        )
    item, _created = CheckIn.objects.update_or_create(
        workspace=objective.workspace,
        objective=objective,
        week=week,
        defaults={"confidence": score, "comment": text},
    )
    if not _created and item.seen_at is not None:  # rewritten since the lead saw it
        CheckIn.objects.filter(pk=item.pk).update(seen_at=None, seen_by=None)
        item.seen_at, item.seen_by = None, None
    record(
        workspace=objective.workspace,
        actor=actor,
        action="check_in.recorded",
        obj=item,
        object_repr=f"{objective.seller.name} {week}",
        after={"week": week, "confidence": score, "comment": text},
    )
    return item


def _check_in_url(item: CheckIn) -> str:
    return reverse("objectives:plan", kwargs={"uuid": item.objective.uuid}) + "#check-ins"


@transaction.atomic
def mark_check_in_seen(*, check_in: CheckIn, actor: Membership) -> CheckIn:
    """The seller's lead marks a check-in seen (``check_in`` comes from
    :func:`selectors.check_ins_answerable_by`, so nobody else reaches this); the seller is
    notified once. Seeing it again changes nothing."""
    if check_in.seen_at is not None:
        return check_in
    check_in.seen_at, check_in.seen_by = timezone.now(), actor
    check_in.save(update_fields=["seen_at", "seen_by"])
    seller = check_in.objective.seller
    record(
        workspace=check_in.workspace,
        actor=actor,
        action="check_in.seen",
        obj=check_in,
        object_repr=f"{seller.name} {check_in.week}",
        after={"seen_by": actor.name},
    )
    notify(
        recipient=seller,
        kind="check_in_seen",
        params={"actor": actor.name, "week": check_in.week.isoformat()},
        url=_check_in_url(check_in),
    )
    return check_in


@transaction.atomic
def reply_to_check_in(*, check_in: CheckIn, actor: Membership, text: object) -> CheckIn:
    """The seller's lead answers a check-in (which marks it seen); the seller is notified.
    A second reply replaces the first."""
    reply = str(text or "").strip()
    if not reply:
        raise DomainError(_("Write a reply."), code="reply_required", field="reply")
    if len(reply) > 4000:
        raise DomainError(
            _("A reply is at most 4,000 characters."), code="reply_too_long", field="reply"
        )
    before = {"reply": check_in.reply}
    now = timezone.now()
    check_in.reply, check_in.replied_by, check_in.replied_at = reply, actor, now
    check_in.seen_at, check_in.seen_by = now, actor
    check_in.save(update_fields=["reply", "replied_by", "replied_at", "seen_at", "seen_by"])
    seller = check_in.objective.seller
    record(
        workspace=check_in.workspace,
        actor=actor,
        action="check_in.replied",
        obj=check_in,
        object_repr=f"{seller.name} {check_in.week}",
        before=before,
        after={"reply": reply},
    )
    notify(
        recipient=seller,
        kind="check_in_reply",
        params={"actor": actor.name, "week": check_in.week.isoformat(), "reason": reply},
        url=_check_in_url(check_in),
    )
    return check_in


# --------------------------------------------------------------------------- reminders


def remind(
    *,
    workspace: Workspace,
    fiscal_year: int,
    exclude: Collection[int] = (),
    notified: Callable[[list[Membership]], object] | None = None,
) -> int:
    """Notify active sellers who have not proposed for ``fiscal_year``; returns how many.

    ``exclude`` are member ids to leave out (already reminded by this scheduled run);
    ``notified`` receives the reminded members inside the notifications' transaction."""
    window = window_of(workspace, fiscal_year)
    done = (
        Objective.objects.for_workspace(workspace)
        .filter(fiscal_year=fiscal_year)
        .exclude(status=Status.DRAFT)
    )
    pending = (
        Membership.objects.for_workspace(workspace)
        .active()
        .filter(is_seller=True)
        .exclude(pk__in=done.values("seller_id"))
        .exclude(pk__in=list(exclude))
        .select_related("user", "workspace")
    )
    reminded = []
    with transaction.atomic():
        for seller in pending:
            notify(
                recipient=seller,
                kind="reminder",
                params={
                    "fy": fiscal_year,
                    "closes_on": window.closes_on.isoformat() if window else "—",
                },
                url=reverse("objectives:mine") + f"?fy={fiscal_year}",
            )
            reminded.append(seller)
        if notified is not None:
            notified(reminded)
    return len(reminded)
