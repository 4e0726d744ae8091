"""Pipeline workflows: a deal edited on a page, stage rules, the seller's call, the lead's
adjusted team call and its submission up the delegation map."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from pacte.accounts.models import Membership, Workspace
from pacte.audit.services import record
from pacte.errors import DomainError, PermissionDenied, StaleVersion, check_version
from pacte.lib.fiscal import Period, PeriodKind
from pacte.org.models import Unit
from pacte.pipeline import ingest
from pacte.pipeline.models import (
    Call,
    CallLevel,
    CallStamp,
    CallStatus,
    Category,
    Deal,
    StageRule,
)

MAX_AMOUNT = 10**14


# --------------------------------------------------------------------------- periods


def week_of(day: datetime.date) -> datetime.date:
    """The Monday of ``day``'s week (calls are weekly)."""
    return day - datetime.timedelta(days=day.weekday())


def parse_period(workspace: Workspace, key: str | None) -> Period:
    """A quarter or month key (``FY2027-Q2``); the current quarter when empty."""
    cal = workspace.calendar
    if not key:
        return cal.current(timezone.localdate(), PeriodKind.QUARTER)
    try:
        period = cal.parse_period(key)
    except ValueError:
        period = None
    if period is None or period.kind is PeriodKind.YEAR:
        raise DomainError(
            _("Unknown period “%(key)s”: use a quarter (FY2027-Q2) or a month (FY2027-M03).")
            % {"key": key},
            code="invalid_period",
            field="period",
        )
    return period


def check_open(period: Period, today: datetime.date | None = None) -> None:
    """A call is made until the period's last day; after it the call is closed."""
    if (today or timezone.localdate()) > period.bounds[1]:
        raise DomainError(
            _("The deadline for calls on %(period)s has passed (its last day).")
            % {"period": period.key},
            code="deadline_passed",
            field="period",
        )


def _amount(value: int, field: str) -> int:
    if value < 0 or value > MAX_AMOUNT:
        raise DomainError(_("Enter an amount from 0 upwards."), code="bad_amount", field=field)
    return value


# --------------------------------------------------------------------------- who may call


def leads_seller(actor: Membership, seller: Membership) -> bool:
    """Whether ``actor`` leads ``seller``'s team (or a team above it) today."""
    from pacte.org.models import Placement
    from pacte.org.visibility import Tree, leads_unit

    if not actor.is_lead or actor.workspace_id != seller.workspace_id:
        return False
    unit_id = (
        Placement.objects.for_workspace(actor.workspace_id)
        .on(timezone.localdate())
        .filter(membership=seller)
        .values_list("unit_id", flat=True)
        .first()
    )
    return leads_unit(actor, Tree.load(actor.workspace), unit_id)


def may_call_for(actor: Membership, seller: Membership) -> bool:
    return actor.pk == seller.pk or leads_seller(actor, seller)


def may_adjust(actor: Membership, unit: Unit) -> bool:
    from pacte.org.visibility import Tree, leads_unit

    return leads_unit(actor, Tree.load(actor.workspace), unit.pk)


# --------------------------------------------------------------------------- deals


def update_deal(
    *,
    deal: Deal,
    actor: Membership,
    version: int | None,
    **changes: Any,
) -> Deal:
    """Change a deal from a page or the API: the same validation and history as an import.
    Only its owner, their lead, or an admin/executive may change it."""
    if not (actor.sees_everything or may_call_for(actor, deal.owner)):
        raise PermissionDenied(_("Only the deal's owner or their lead may change it."))
    current = {
        "external_id": deal.external_id,
        "name": deal.name,
        "amount": major_text(deal.amount, deal.workspace.currency)
        if deal.currency_amount is None
        else major_text(deal.currency_amount, deal.currency),
        "currency": deal.currency or None,
        "close_date": deal.close_date.isoformat(),
        "stage": deal.stage,
        "probability": str(deal.probability),
        "category": deal.category,
        "status": deal.status,
        "owner": deal.owner.email,
        "channel": deal.channel.code if deal.channel_id and deal.channel else None,
    }
    credits = list(deal.credits.select_related("seller__user").order_by("kind", "pk"))
    splits = [c for c in credits if c.kind == "split"]
    overlays = [c for c in credits if c.kind == "overlay"]
    if len(splits) > 1 or (splits and splits[0].seller_id != deal.owner_id):
        current["split"] = ";".join(f"{c.seller.email}:{c.basis_points / 100:g}" for c in splits)
    if overlays:
        current["overlay"] = ";".join(c.seller.email for c in overlays)
    for key, value in changes.items():
        if key not in ingest.FIELDS or key in ("external_id",):
            raise DomainError(_("Unknown field."), code="column_unexpected", field=key)
        current[key] = None if value is None else str(value)
    frame = ingest.frame_from_records([current])
    ingest.ingest(
        workspace=deal.workspace,
        actor=actor,
        frames=[frame],
        source=deal.source,
        versions={deal.external_id: deal.version if version is None else version},
        origin="page",
    )
    return (
        Deal.objects.for_workspace(deal.workspace)
        .select_related("owner", "channel")
        .get(pk=deal.pk)
    )


def amount_currency(workspace: Workspace, code: str | None) -> str:
    """The currency an amount given in minor units is read in: the row's own when it is a
    known code (an unknown one is refused, located, by the import), else the workspace's."""
    from pacte.lib.currency import is_currency

    code = (code or "").strip().upper()
    return code if is_currency(code) else workspace.currency


def major_text(minor: int, currency: str) -> str:
    """Minor units as the import reads them (major units, decimal point), exactly."""
    from pacte.lib.money import exponent

    e = exponent(currency)
    if e == 0:
        return str(minor)
    return f"{minor // 10**e}.{minor % 10**e:0{e}d}"


@transaction.atomic
def set_stage_rules(
    *, workspace: Workspace, actor: Membership, rules: Mapping[str, Sequence[str]]
) -> None:
    """Replace the workspace's stage → allowed categories rules (audited)."""
    known = set(Category.values)
    clean: dict[str, list[str]] = {}
    for stage, allowed in rules.items():
        name = str(stage).strip()[:100]
        bad = [c for c in allowed if c not in known]
        if not name or bad or not allowed:
            raise DomainError(
                _("Each stage needs at least one known category."), code="bad_rule", field="rules"
            )
        clean[name] = sorted(set(allowed))
    qs = StageRule.objects.for_workspace(workspace)
    before = dict(qs.values_list("stage", "allowed"))
    qs.delete()
    StageRule.objects.bulk_create(
        [StageRule(workspace=workspace, stage=s, allowed=a) for s, a in clean.items()]
    )
    record(
        workspace=workspace,
        actor=actor,
        action="pipeline.stage_rules_set",
        object_type="stagerule",
        before=before,
        after=clean,
    )


# --------------------------------------------------------------------------- calls


@transaction.atomic
def set_call(
    *,
    actor: Membership,
    seller: Membership,
    period_key: str,
    commit: int,
    best_case: int,
    note: str = "",
    deal_ids: Sequence[Any] = (),
    version: int | None = None,
    today: datetime.date | None = None,
) -> Call:
    """The seller's call on a period for this week (made by the seller or their lead)."""
    if not may_call_for(actor, seller):
        raise PermissionDenied(
            _("Only the seller or their lead may make this call."), code="not_owner_or_lead"
        )
    ws = seller.workspace
    today = today or timezone.localdate()
    period = parse_period(ws, period_key)
    check_open(period, today)
    _amount(commit, "commit")
    _amount(best_case, "best_case")
    if best_case < commit:
        raise DomainError(
            _("The best case cannot be below the commit."),
            code="best_case_below",
            field="best_case",
        )
    uuids = sorted({str(u) for u in deal_ids})
    if uuids:
        from pacte.accounts.access import parse_uuid

        for u in uuids:
            parse_uuid(u)
        found = Deal.objects.for_workspace(ws).filter(owner=seller, uuid__in=uuids).count()
        if found != len(uuids):
            raise DomainError(
                _("A deal behind the call is not one of the seller's deals."),
                code="unknown_deal",
                field="deals",
            )
    week = week_of(today)
    call = (
        Call.objects.for_workspace(ws)
        .select_for_update()
        .filter(member=seller, level=CallLevel.SELLER, period=period.key, week=week)
        .first()
    )
    before = None
    if call is None:
        call = Call(
            workspace=ws, member=seller, level=CallLevel.SELLER, period=period.key, week=week
        )
    else:
        check_version(call, version)
        before = {"commit": call.commit, "best_case": call.best_case, "note": call.note}
        call.version += 1
    call.commit, call.best_case, call.note = commit, best_case, note.strip()[:4000]
    call.deal_ids = uuids
    call.updated_at = timezone.now()
    _save_new_or_stale(call)
    mark_latest(call)
    record(
        workspace=ws,
        actor=actor,
        action="pipeline.call_set",
        obj=call,
        object_repr=f"{seller.name} {period.key}",
        before=before,
        after={"commit": commit, "best_case": best_case, "note": call.note},
    )
    touch_calls(ws.pk)
    return call


def _save_new_or_stale(call: Call) -> None:
    """Two people creating the same week's call at once: the second is told to reload."""
    try:
        with transaction.atomic():
            call.save()
    except IntegrityError:
        raise StaleVersion(
            _("This call was just made by someone else. Reload and try again.")
        ) from None


def touch_calls(workspace_id: int) -> None:
    """Bump the workspace's :class:`CallStamp` in the current transaction (a call was written):
    the cached team roll-ups of the calls are read again. Last in the services' transactions,
    which holds the stamp's row lock the shortest."""
    stamps = CallStamp.objects.for_workspace(workspace_id)
    if stamps.update(version=F("version") + 1):
        return
    try:
        with transaction.atomic():
            CallStamp.objects.create(workspace_id=workspace_id, version=1)
    except IntegrityError:  # created by a concurrent first write: bump it after all
        stamps.update(version=F("version") + 1)


def calls_stamp(workspace_id: int) -> int:
    """The version of the workspace's calls (0 before the first call written by a service)."""
    return (
        CallStamp.objects.for_workspace(workspace_id).values_list("version", flat=True).first() or 0
    )


def mark_latest(call: Call) -> None:
    """Flag the most recent week's call of ``call``'s seller (or team) on its period as the
    latest, and only that one (three indexed statements on a handful of rows)."""
    same = Call.objects.for_workspace(call.workspace_id).filter(
        level=call.level, period=call.period
    )
    if call.level == CallLevel.SELLER:
        same = same.filter(member_id=call.member_id)
    else:
        same = same.filter(Q(unit_id=call.unit_id))
    last = same.order_by("-week").values_list("pk", flat=True).first()
    if last is None:
        return
    same.filter(latest=True).exclude(pk=last).update(latest=False)
    same.filter(pk=last, latest=False).update(latest=True)
    call.latest = call.pk == last


def latest_seller_calls(
    workspace: Workspace, period_key: str, seller_ids: Sequence[int] | None = None
) -> dict[int, Call]:
    """The latest call of each seller on a period (one query)."""
    qs = Call.objects.for_workspace(workspace).filter(level=CallLevel.SELLER, period=period_key)
    if seller_ids is not None:
        qs = qs.filter(member_id__in=list(seller_ids))
    out: dict[int, Call] = {}
    for call in qs.order_by("member_id", "-week"):
        out.setdefault(call.member_id, call)
    return out


def team_gross(workspace: Workspace, unit: Unit, period_key: str) -> tuple[int, int]:
    """The roll-up of the latest calls of the sellers placed today in ``unit``'s subtree."""
    from pacte.objectives.references import sellers_under

    calls = latest_seller_calls(workspace, period_key, sellers_under(workspace, unit.pk))
    return sum(c.commit for c in calls.values()), sum(c.best_case for c in calls.values())


@transaction.atomic
def adjust_team_call(
    *,
    actor: Membership,
    unit: Unit,
    period_key: str,
    adjustment: int,
    note: str = "",
    version: int | None = None,
    today: datetime.date | None = None,
) -> Call:
    """The lead's call for their team this week: the gross roll-up (recomputed, never changed
    by hand) and an adjustment of the commit with a note. A stale version → 412."""
    if not may_adjust(actor, unit):
        raise PermissionDenied(
            _("Only the team's lead may adjust its call."), code="not_owner_or_lead"
        )
    ws = actor.workspace
    today = today or timezone.localdate()
    period = parse_period(ws, period_key)
    check_open(period, today)
    if abs(adjustment) > MAX_AMOUNT:
        raise DomainError(
            _("Enter an amount from 0 upwards."), code="bad_amount", field="adjustment"
        )
    if adjustment and not note.strip():
        raise DomainError(
            _("Say why the team call differs from the roll-up."), code="note_required", field="note"
        )
    gross_commit, gross_best = team_gross(ws, unit, period.key)
    if gross_commit + adjustment < 0:
        raise DomainError(
            _("The adjusted call cannot be below zero."), code="bad_amount", field="adjustment"
        )
    week = week_of(today)
    call = (
        Call.objects.for_workspace(ws)
        .select_for_update()
        .filter(unit=unit, level=CallLevel.TEAM, period=period.key, week=week)
        .first()
    )
    before = None
    if call is None:
        call = Call(workspace=ws, unit=unit, level=CallLevel.TEAM, period=period.key, week=week)
    else:
        check_version(call, version)
        before = {"adjustment": call.adjustment, "note": call.note, "status": call.status}
        call.version += 1
    call.member = actor
    call.gross_commit, call.gross_best_case = gross_commit, gross_best
    call.adjustment = adjustment
    call.commit = gross_commit + adjustment
    call.best_case = max(gross_best, call.commit)
    call.note = note.strip()[:4000]
    call.status = CallStatus.DRAFT
    call.updated_at = timezone.now()
    _save_new_or_stale(call)
    mark_latest(call)
    record(
        workspace=ws,
        actor=actor,
        action="pipeline.team_call_adjusted",
        obj=call,
        object_repr=f"{unit.name} {period.key}",
        before=before,
        after={"gross": gross_commit, "adjustment": adjustment, "note": call.note},
    )
    touch_calls(ws.pk)
    return call


@transaction.atomic
def submit_team_call(
    *, actor: Membership, call: Call, version: int | None, today: datetime.date | None = None
) -> Call:
    """Send the team call up the delegation map (the lead's own handler)."""
    from pacte.org.structure import handler_for

    call = Call.objects.select_for_update(of=("self",)).select_related("unit").get(pk=call.pk)
    if call.level != CallLevel.TEAM or call.unit is None or not may_adjust(actor, call.unit):
        raise PermissionDenied(
            _("Only the team's lead may submit its call."), code="not_owner_or_lead"
        )
    check_version(call, version)
    check_open(parse_period(actor.workspace, call.period), today)
    call.status = CallStatus.SUBMITTED
    call.submitted_to = handler_for(actor)
    call.submitted_at = timezone.now()
    call.version += 1
    call.save()
    record(
        workspace=actor.workspace,
        actor=actor,
        action="pipeline.team_call_submitted",
        obj=call,
        object_repr=f"{call.unit.name} {call.period}",
        after={"commit": call.commit, "to": call.submitted_to},
    )
    touch_calls(call.workspace_id)
    return call
