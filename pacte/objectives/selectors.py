"""Reads of objectives: who sees what, and the reconciliation of a node (set-based)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from pacte.accounts.access import get_scoped, require_role
from pacte.accounts.models import Membership, Workspace
from pacte.objectives import references
from pacte.objectives.models import (
    CheckIn,
    GapRule,
    Layer,
    Notification,
    Objective,
    ObjectiveCell,
    PeriodReview,
    ReviewStatus,
    Status,
)
from pacte.org.models import Placement, Unit
from pacte.org.selectors import led_subtree_ids, root_unit, subtree_ids


def default_fiscal_year(member: Membership) -> int:
    """The fiscal year being set: an open window's, else next fiscal year."""
    from pacte.objectives.models import Window

    today = timezone.localdate()
    window = (
        Window.objects.for_workspace(member.workspace)
        .filter(closes_on__gte=today)
        .order_by("fiscal_year")
        .first()
    )
    if window is not None:
        return window.fiscal_year
    return member.workspace.calendar.year_of(today) + 1


def led_unit_ids(viewer: Membership) -> list[int]:
    """Units the viewer leads and everything below them."""
    if not viewer.is_lead:
        return []
    return led_subtree_ids(viewer)


def team_seller_ids(viewer: Membership) -> QuerySet[Any, Any]:
    return (
        Placement.objects.for_workspace(viewer.workspace)
        .on(timezone.localdate())
        .filter(unit_id__in=led_unit_ids(viewer))
        .values("membership_id")
    )


def objectives_visible_to(viewer: Membership) -> QuerySet[Objective]:
    """Own objectives; those the viewer handles; their team's (leads); everything (executives
    and admins). Another seller's objective is simply not found."""
    return Objective.objects.visible_to(viewer)


def notifications_of(member: Membership) -> QuerySet[Notification]:
    """The member's own notifications, newest first; anyone else's is simply not found."""
    return (
        Notification.objects.for_workspace(member.workspace)
        .filter(recipient=member)
        .order_by("-created_at", "-pk")
    )


def get_objective_for(viewer: Membership, public_id: Any) -> Objective:
    return get_scoped(
        objectives_visible_to(viewer).select_related("seller", "handler", "seller__user"),
        public_id,
    )


def own_objective(seller: Membership, fy: int) -> Objective | None:
    return (
        Objective.objects.for_workspace(seller.workspace)
        .filter(seller=seller, fiscal_year=fy)
        .first()
    )


def with_references(workspace: Workspace, objectives: Iterable[Objective]) -> list[Objective]:
    """The objectives, each with its seller's current reference share (``o.reference``, from
    :func:`references.references_for`, the one source every page and the API read) and
    ``o.reference_changed``: whether it differs from the reference recorded when it was
    proposed (``o.reference_amount``, what the delegation policy compared against then).
    Two queries per fiscal year among them."""
    items = list(objectives)
    years: dict[int, list[int]] = {}
    for o in items:
        years.setdefault(o.fiscal_year, []).append(o.seller_id)
    refs = {
        # many sellers: read the whole run rather than a list of thousands of ids
        fy: references.references_for(workspace, fy, ids if len(ids) <= 500 else None)
        for fy, ids in years.items()
    }
    for o in items:
        ref = refs[o.fiscal_year].get(o.seller_id) or references.ReferenceShare.none()
        now = ref.annual if ref.exists else None
        o.reference = ref  # type: ignore[attr-defined]
        o.reference_changed = o.proposed_at is not None and now != o.reference_amount  # type: ignore[attr-defined]
    return items


def pending_for(handler: Membership) -> QuerySet[Objective]:
    return (
        Objective.objects.for_workspace(handler.workspace)
        .filter(handler=handler, status=Status.PROPOSED)
        .select_related("seller")
        .order_by("proposed_at")
    )


# --------------------------------------------------------------------------- reconciliation


def reconciliation_units(viewer: Membership) -> QuerySet[Unit]:
    """Nodes the viewer may reconcile: all for executives and admins, led subtrees for leads."""
    qs = Unit.objects.for_workspace(viewer.workspace)
    if viewer.sees_everything:
        return qs
    require_role(viewer, "executive", "admin", "lead")
    return qs.filter(pk__in=led_unit_ids(viewer))


def get_node_for(viewer: Membership, public_id: Any | None) -> Unit:
    """The node to reconcile: the given unit, else the company (executives) or the first team
    the viewer leads."""
    units = reconciliation_units(viewer)
    if public_id:
        return get_scoped(units, public_id)
    if viewer.sees_everything:
        return root_unit(viewer.workspace)
    unit = units.filter(lead=viewer).order_by("name").first()
    if unit is None:
        raise Http404
    return unit


def team_growth(workspace: Workspace, fy: int, seller_ids: list[int]) -> Fraction | None:
    """The team's current proposals (draft excluded) against their actuals of the year before
    (exact: 0.1 is +10 %)."""
    proposals = dict(
        Objective.objects.for_workspace(workspace)
        .filter(fiscal_year=fy, seller_id__in=seller_ids)
        .exclude(status=Status.DRAFT)
        .values_list("seller_id", "amount")
    )
    if not proposals:
        return None
    history = references.actuals_for(workspace, fy - 1, list(proposals))
    base = sum(h.annual for pk, h in history.items() if pk in proposals)
    with_history = sum(v for pk, v in proposals.items() if pk in history and history[pk].annual)
    if base <= 0:
        return None
    return Fraction(with_history, base) - 1


def reconciliation(workspace: Workspace, unit: Unit, fy: int) -> dict[str, Any]:
    """Target, agreed, proposed (pending), missing sellers, reserves and the gap of a node,
    by month, quarter, year and channel, with one row per seller. A handful of queries."""
    from pacte.planning.labels import quarter_label
    from pacte.sales.models import Channel

    months = references.fy_months(workspace, fy)
    sellers = references.sellers_under(workspace, unit.pk)
    channels = list(
        Channel.objects.for_workspace(workspace).order_by("position", "code").values("pk", "code")
    )
    codes = [c["code"] for c in channels] + [""]
    code_of = {c["pk"]: c["code"] for c in channels}

    def grid() -> dict[str, list[int]]:
        return {code: [0] * 12 for code in codes}

    target = grid()
    for t_row in references.unit_targets(workspace, fy, unit.pk):
        if t_row["month"] in months:
            target[str(t_row["code"])][int(t_row["month"]) - months.start] += int(
                t_row["total"] or 0
            )
    layers: dict[str, dict[str, list[int]]] = {Layer.AGREED: grid(), Layer.PROPOSED: grid()}
    cells = (
        ObjectiveCell.objects.for_workspace(workspace)
        .filter(fiscal_year=fy, seller_id__in=sellers)
        .values("layer", "channel_id", "month")
        .annotate(total=Sum("amount"))
    )
    for cell_row in cells:
        row: dict[str, Any] = dict(cell_row)
        code = code_of.get(row["channel_id"], "")
        if row["month"] in months:
            layers[row["layer"]][code][row["month"] - months.start] += int(row["total"])
    per_seller: dict[int, dict[str, Any]] = {
        r["seller_id"]: dict(r)
        for r in ObjectiveCell.objects.for_workspace(workspace)
        .filter(fiscal_year=fy, seller_id__in=sellers)
        .values("seller_id")
        .annotate(
            agreed=Sum("amount", filter=Q(layer=Layer.AGREED)),
            proposed=Sum("amount", filter=Q(layer=Layer.PROPOSED)),
        )
    }
    objectives = {
        o["seller_id"]: o
        for o in Objective.objects.for_workspace(workspace)
        .filter(fiscal_year=fy, seller_id__in=sellers)
        .values("seller_id", "uuid", "status", "amount", "is_late")
    }
    refs = references.references_for(workspace, fy, sellers)
    people = Membership.objects.filter(pk__in=sellers).order_by("name", "pk")
    rows = []
    missing = 0
    for person in people.values("pk", "uuid", "name"):
        obj = objectives.get(person["pk"])
        cell: dict[str, Any] = per_seller.get(person["pk"]) or {}
        has = obj is not None and obj["status"] != Status.DRAFT
        missing += 0 if has else 1
        ref = refs.get(person["pk"])
        rows.append(
            {
                "uuid": person["uuid"],
                "name": person["name"],
                "reference": ref.annual if ref else None,
                "levels": ref.levels if ref else [],
                "agreed": int(cell.get("agreed") or 0),
                "proposed": int(cell.get("proposed") or 0),
                "status": obj["status"] if obj else "",
                "status_label": str(Status(obj["status"]).label) if obj else "",
                "objective": obj["uuid"] if obj else None,
                "is_late": bool(obj and obj["is_late"]),
                "missing": not has,
            }
        )
    reserve_ids = [unit.pk, *[u for u in subtree_ids(unit) if u != unit.pk]]
    rules = GapRule.objects.for_workspace(workspace).filter(fiscal_year=fy, unit_id__in=reserve_ids)
    sums = rules.values("kind").annotate(total=Sum("amount"), n=Count("pk"))
    by_kind = {r["kind"]: int(r["total"] or 0) for r in sums}

    def total(g: dict[str, list[int]]) -> list[int]:
        return [sum(g[c][i] for c in codes) for i in range(12)]

    t_months, a_months, p_months = (
        total(target),
        total(layers[Layer.AGREED]),
        total(layers[Layer.PROPOSED]),
    )
    reserve = by_kind.get("reserve", 0)
    cal = workspace.calendar
    month_rows = [
        {
            "index": months.start + i,
            "number": i + 1,
            "target": t_months[i],
            "agreed": a_months[i],
            "proposed": p_months[i],
            "gap": t_months[i] - a_months[i],
        }
        for i in range(12)
    ]
    quarter_rows: list[dict[str, Any]] = [
        {
            "number": q + 1,
            "label": quarter_label(q + 1),
            "target": sum(t_months[q * 3 : q * 3 + 3]),
            "agreed": sum(a_months[q * 3 : q * 3 + 3]),
            "proposed": sum(p_months[q * 3 : q * 3 + 3]),
        }
        for q in range(4)
    ]
    for q in quarter_rows:
        q["gap"] = q["target"] - q["agreed"]
    channel_rows = []
    for code in codes:
        t, a, p = (
            sum(target[code]),
            sum(layers[Layer.AGREED][code]),
            sum(layers[Layer.PROPOSED][code]),
        )
        if t or a or p:
            channel_rows.append(
                {"code": code, "target": t, "agreed": a, "proposed": p, "gap": t - a}
            )
    year = {
        "target": sum(t_months),
        "agreed": sum(a_months),
        "proposed": sum(p_months),
        "reserve": reserve,
        "stretch_requested": by_kind.get("stretch", 0) + by_kind.get("prorata", 0),
        "gap": sum(t_months) - sum(a_months),
        "gap_after_reserve": sum(t_months) - sum(a_months) - reserve,
        "sellers": len(rows),
        "missing": missing,
    }
    return {
        "fiscal_year": fy,
        "unit": unit,
        "year": year,
        "months": month_rows,
        "quarters": quarter_rows,
        "channels": channel_rows,
        "sellers": rows,
        "calendar": cal,
        "children": list(
            Unit.objects.for_workspace(workspace)
            .filter(parent=unit, is_active=True)
            .order_by("name")
            .values("uuid", "name")
        ),
        "rules": list(rules.select_related("created_by").order_by("-created_at")[:20]),
    }


def _team_check_ins(viewer: Membership, fy: int) -> QuerySet[CheckIn]:
    if viewer.sees_everything:
        objectives = Objective.objects.for_workspace(viewer.workspace)
    else:
        require_role(viewer, "lead")
        objectives = Objective.objects.for_workspace(viewer.workspace).filter(
            seller_id__in=team_seller_ids(viewer)
        )
    return CheckIn.objects.for_workspace(viewer.workspace).filter(
        objective__in=objectives.filter(fiscal_year=fy)
    )


def team_check_ins(viewer: Membership, fy: int, *, unanswered: bool = False) -> list[CheckIn]:
    """The latest check-ins of the sellers the viewer leads (or everyone for executives);
    ``unanswered``: only those no lead has seen or answered yet."""
    qs = _team_check_ins(viewer, fy)
    if unanswered:
        qs = qs.filter(seen_at__isnull=True)
    return list(
        qs.select_related("objective__seller", "replied_by")
        .annotate(seller_name=F("objective__seller__name"))
        .order_by("-week", "seller_name")[:500]
    )


def unanswered_check_ins(viewer: Membership, fy: int) -> int:
    """How many of the team's check-ins no lead has seen or answered yet (one query)."""
    return _team_check_ins(viewer, fy).filter(seen_at__isnull=True).count()


def check_ins_answerable_by(viewer: Membership) -> QuerySet[CheckIn]:
    """Check-ins the viewer may mark seen or answer: those of the sellers placed today in the
    teams they lead (the same rule as the team check-ins page), their own apart. Any other
    check-in is simply not found, executives' included unless they lead the seller's team."""
    return (
        CheckIn.objects.for_workspace(viewer.workspace)
        .filter(
            objective__seller_id__in=team_seller_ids(viewer),
        )
        .exclude(objective__seller=viewer)
        .select_related("objective__seller__user", "objective__seller__workspace")
    )


def get_check_in_to_answer(viewer: Membership, public_id: Any) -> CheckIn:
    return get_scoped(check_ins_answerable_by(viewer), public_id)


# --------------------------------------------------------------------------- home page


@dataclass(frozen=True)
class Waiting:
    """What waits for a member, shown on the home page.

    ``fiscal_year`` is the year being set (proposals), ``current_year`` the year in progress
    (weekly check-ins on its agreed objectives). ``own_*`` are the member's own, as a seller;
    ``scope`` is ``"team"`` for a lead (the sellers of the teams they lead, themselves apart),
    ``"company"`` for executives and admins, else None."""

    fiscal_year: int
    current_year: int
    decisions: int
    unread: int
    is_seller: bool
    own_status: str | None
    own_objective: Any
    check_in_objective: Any
    check_in_due: bool
    scope: str | None
    sellers: int
    missing: int
    check_ins_due: int


def waiting_for(member: Membership) -> Waiting:
    """Counts for the home page in a fixed number of queries (at most six, whatever the size of
    the team or the company)."""
    from pacte.objectives.services import week_of

    ws = member.workspace
    today = timezone.localdate()
    week = week_of(today)
    fy = default_fiscal_year(member)
    current = ws.calendar.year_of(today)
    decisions = (
        Objective.objects.for_workspace(ws).filter(handler=member, status=Status.PROPOSED).count()
    )
    unread = (
        Notification.objects.for_workspace(ws)
        .filter(recipient=member, read_at__isnull=True)
        .count()
    )

    own: dict[int, Any] = {}
    if member.is_seller:
        checked = CheckIn.objects.for_workspace(ws).filter(objective=OuterRef("pk"), week=week)
        own = {
            row["fiscal_year"]: row
            for row in Objective.objects.for_workspace(ws)
            .filter(seller=member, fiscal_year__in={fy, current})
            .annotate(checked=Exists(checked))
            .values("fiscal_year", "uuid", "status", "checked")
        }
    setting, running = own.get(fy), own.get(current)
    check_in = running if running is not None and running["status"] == Status.AGREED else None

    scope: str | None = None
    counts = {"sellers": 0, "missing": 0, "due": 0}
    if member.sees_everything or member.is_lead:
        sellers = Membership.objects.for_workspace(ws).active().filter(is_seller=True)
        if member.sees_everything:
            scope = "company"
        else:
            scope = "team"
            placed = (
                Placement.objects.for_workspace(ws)
                .on(today)
                .filter(unit_id__in=led_subtree_ids(member))
            )
            sellers = sellers.filter(pk__in=placed.values("membership_id")).exclude(pk=member.pk)
        proposed = (
            Objective.objects.for_workspace(ws)
            .filter(fiscal_year=fy, seller=OuterRef("pk"))
            .exclude(status=Status.DRAFT)
        )
        agreed = Objective.objects.for_workspace(ws).filter(
            fiscal_year=current, seller=OuterRef("pk"), status=Status.AGREED
        )
        checked_in = CheckIn.objects.for_workspace(ws).filter(
            week=week, objective__fiscal_year=current, objective__seller=OuterRef("pk")
        )
        counts = sellers.aggregate(
            sellers=Count("pk"),
            missing=Count("pk", filter=~Exists(proposed)),
            due=Count("pk", filter=Exists(agreed) & ~Exists(checked_in)),
        )
    return Waiting(
        fiscal_year=fy,
        current_year=current,
        decisions=decisions,
        unread=unread,
        is_seller=member.is_seller,
        own_status=setting["status"] if setting else None,
        own_objective=setting["uuid"] if setting else None,
        check_in_objective=check_in["uuid"] if check_in else None,
        check_in_due=check_in is not None and not check_in["checked"],
        scope=scope,
        sellers=counts["sellers"],
        missing=counts["missing"],
        check_ins_due=counts["due"],
    )


# --------------------------------------------------------------------------- period reviews


def _managed_seats(viewer: Membership) -> Q:
    """The seats of the active partner organisations the viewer is the channel manager of (a
    partner's review goes to its channel manager as a seller's to their lead)."""
    return Q(seller__partner_seat__owner=viewer, seller__partner_seat__is_active=True)


def reviews_visible_to(viewer: Membership) -> QuerySet[PeriodReview]:
    """Own reviews; those of the teams a lead leads and of the partners a channel manager
    manages; every one for executives and admins. Another seller's review is simply not found."""
    qs = PeriodReview.objects.for_workspace(viewer.workspace)
    if viewer.sees_everything:
        return qs
    condition = Q(seller=viewer) | _managed_seats(viewer)
    if viewer.is_lead:
        condition |= Q(seller_id__in=team_seller_ids(viewer))
    return qs.filter(condition)


def reviews_answerable_by(viewer: Membership) -> QuerySet[PeriodReview]:
    """Reviews the viewer may answer: their team's sellers' (the teams they lead and below,
    placed today) and their partners' (as channel manager), their own apart."""
    return (
        PeriodReview.objects.for_workspace(viewer.workspace)
        .filter(Q(seller_id__in=team_seller_ids(viewer)) | _managed_seats(viewer))
        .exclude(seller=viewer)
    )


def get_review_for(viewer: Membership, public_id: Any) -> PeriodReview:
    return get_scoped(
        reviews_visible_to(viewer).select_related("seller", "unit", "answered_by"), public_id
    )


@dataclass(frozen=True)
class ReasonRow:
    """One reason within one group (a team, a channel or a period): how many reviews gave it
    and the part of their gaps behind it (a review's gap is split evenly over its reasons,
    exactly, so the amounts of a group add up to its reviews' gaps)."""

    group: str
    group_label: str
    reason: str
    reason_label: str
    reviews: int
    gap: int


def _even(amount: int, n: int) -> list[int]:
    q, r = divmod(amount, n)
    return [q + 1 if i < r else q for i in range(n)]


def reason_summary(
    viewer: Membership, fiscal_year: int, quarter: int | None = None, by: str = "team"
) -> list[ReasonRow]:
    """The reasons of the written reviews of a fiscal year (or one quarter), by ``team``,
    ``channel`` or ``period``: largest gap first within each group (executives and admins)."""
    from pacte.accounts.access import ADMIN_ROLES
    from pacte.objectives.reviews import reason_labels
    from pacte.planning.labels import period_label
    from pacte.sales.models import Channel

    require_role(viewer, *ADMIN_ROLES)
    ws = viewer.workspace
    qs = (
        PeriodReview.objects.for_workspace(ws)
        .filter(fiscal_year=fiscal_year)
        .exclude(status=ReviewStatus.REQUESTED)
    )
    if quarter is not None:
        qs = qs.filter(quarter=quarter)
    rows = list(
        qs.values_list("quarter", "unit_id", "unit__name", "reasons", "gap", "gap_by_channel")
    )
    labels = reason_labels(ws)
    cal = ws.calendar
    channels = {c.code: c.label for c in Channel.objects.for_workspace(ws)}
    cells: dict[tuple[str, str], list[int]] = {}
    group_labels: dict[str, str] = {}
    for q, unit_id, unit_name, reasons, gap, by_channel in rows:
        codes = [str(c) for c in reasons or []] or ["other"]
        if by == "channel":
            parts = {str(k): int(v) for k, v in (by_channel or {}).items()} or {"": gap}
            for code in parts:
                group_labels[code] = channels.get(code, code) or _no_channel()
        elif by == "period":
            parts = {str(q): gap}
            group_labels[str(q)] = period_label(cal.quarter(fiscal_year, q))
        else:
            key = str(unit_id or "")
            parts = {key: gap}
            group_labels[key] = unit_name or _no_team()
        for group, amount in parts.items():
            for code, share in zip(codes, _even(amount, len(codes)), strict=True):
                cell = cells.setdefault((group, code), [0, 0])
                cell[0] += 1
                cell[1] += share
    out = [
        ReasonRow(group, group_labels[group], code, labels.get(code, code), n, gap)
        for (group, code), (n, gap) in cells.items()
    ]
    totals: dict[str, int] = {}
    for row in out:
        totals[row.group] = totals.get(row.group, 0) + row.gap
    out.sort(key=lambda r: (-totals[r.group], r.group_label, -r.gap, -r.reviews, r.reason_label))
    return out


def _no_channel() -> str:
    from django.utils.translation import gettext

    return gettext("No channel")


def _no_team() -> str:
    from django.utils.translation import gettext

    return gettext("No team")
