"""Reads of partners: the one scoped entry point, a partner's own figures (its people's page
and API), the executives' partner figures by channel then partner, and the import's lookup."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F, Sum

from pacte.accounts.access import get_scoped
from pacte.accounts.models import Membership, Workspace
from pacte.objectives import references
from pacte.objectives.models import CheckIn, KeyResult, Objective, PeriodReview, StretchRequest
from pacte.partners.models import Partner
from pacte.planning.labels import month_label
from pacte.sales.models import Channel, Credit, CubeCell


def visible_partners(viewer: Membership) -> Any:
    return Partner.objects.visible_to(viewer).select_related("channel", "owner", "seat")


def get_partner_for(viewer: Membership, public_id: Any) -> Partner:
    """A partner the viewer may see (executives, admins, its channel manager), else 404."""
    return get_scoped(visible_partners(viewer), public_id)


@dataclass
class PartnerFigures:
    """What a partner's people see: its reference share, commitment, plan, check-ins, sales
    and attainment for one fiscal year; all amounts in minor units."""

    partner: Partner
    fiscal_year: int
    reference: references.ReferenceShare
    objective: Objective | None
    actual: int
    check_ins: list[CheckIn] = field(default_factory=list)
    sales: list[dict[str, Any]] = field(default_factory=list)

    @property
    def attainment(self) -> float | None:
        base = self.objective.amount if self.objective and self.objective.amount else None
        return self.actual / base if base else None

    @property
    def reference_attainment(self) -> float | None:
        return self.actual / self.reference.annual if self.reference.annual else None


def figures_of(partner: Partner, fy: int, *, sales_limit: int = 50) -> PartnerFigures:
    """The partner's own figures (a fixed number of queries)."""
    seat = partner.seat
    workspace = partner.workspace
    objective = (
        Objective.objects.for_workspace(workspace)
        .filter(seller=seat, fiscal_year=fy)
        .prefetch_related("key_results", "initiatives")
        .first()
    )
    actual = references.actuals_for(workspace, fy, [seat.pk]).get(seat.pk)
    check_ins = (
        list(
            CheckIn.objects.for_workspace(workspace)
            .filter(objective=objective)
            .order_by("-week")[:8]
        )
        if objective is not None
        else []
    )
    months = references.fy_months(workspace, fy)
    sales: list[dict[str, Any]] = [
        dict(row)
        for row in Credit.objects.filter(workspace=workspace, seller=seat, kind="split")
        .filter(sale__month__gte=months.start, sale__month__lt=months.stop)
        .order_by("-sale__date", "-sale_id")
        .values(
            "amount",
            external_id=F("sale__external_id"),
            date=F("sale__date"),
            customer=F("sale__customer__name"),
            channel=F("sale__channel__code"),
        )[:sales_limit]
    ]
    return PartnerFigures(
        partner=partner,
        fiscal_year=fy,
        reference=references.reference_for(seat, fy),
        objective=objective,
        actual=actual.annual if actual else 0,
        check_ins=check_ins,
        sales=sales,
    )


def people_of_seat(seat: Membership) -> list[Membership]:
    """The active people of the active partner organisation whose seat is ``seat`` (nobody for
    any other member): who reads the seat's notifications (one query)."""
    return list(
        Membership.objects.for_workspace(seat.workspace)
        .filter(
            partner_link__partner__seat=seat,
            partner_link__partner__is_active=True,
            is_partner=True,
            is_active=True,
            is_pending=False,
        )
        .select_related("user", "workspace")
        .order_by("name", "pk")
    )


def key_results_of(partner: Partner) -> Any:
    """The key results of the partner's own plans (every fiscal year), nobody else's."""
    return KeyResult.objects.for_workspace(partner.workspace).filter(objective__seller=partner.seat)


def get_key_result_for(partner: Partner, public_id: Any) -> KeyResult:
    """One key result of the partner's own plan, else 404 (another partner's, a seller's)."""
    return get_scoped(key_results_of(partner).select_related("objective"), public_id)


def stretch_requests_of(partner: Partner, fy: int) -> list[StretchRequest]:
    """The extras the gap rules of ``fy`` asked the partner for, newest first."""
    return list(
        StretchRequest.objects.for_workspace(partner.workspace)
        .filter(seller=partner.seat, fiscal_year=fy)
        .select_related("rule__created_by")
        .order_by("-created_at", "-pk")
    )


def reviews_of(partner: Partner) -> Any:
    """The period reviews asked of the partner (its seat), nobody else's."""
    return PeriodReview.objects.for_workspace(partner.workspace).filter(seller=partner.seat)


def get_review_for(partner: Partner, public_id: Any) -> PeriodReview:
    """One of the partner's own reviews, else 404 (another partner's, a seller's)."""
    return get_scoped(
        reviews_of(partner).select_related("seller", "unit", "answered_by"), public_id
    )


# --------------------------------------------------------------------------- insights


@dataclass
class Row:
    """One line of the partner figures: a channel (all its partners) or one partner."""

    key: str
    label: str
    uuid: str | None
    reference: int = 0
    objective: int = 0
    actual: int = 0
    partners: int = 0

    @property
    def attainment(self) -> float | None:
        return self.actual / self.objective if self.objective else None

    @property
    def gap(self) -> int:
        return self.objective - self.reference

    @property
    def remaining(self) -> int:
        """What is still to sell to reach the commitment (zero once reached)."""
        return max(self.objective - self.actual, 0)


def _figure_partners(viewer: Membership) -> Any:
    """The active partners whose figures the viewer reads: every one for executives and
    admins, the ones they manage for a channel manager, none for anyone else."""
    qs = Partner.objects.for_workspace(viewer.workspace).filter(is_active=True)
    return qs if viewer.sees_everything else qs.filter(owner=viewer)


def _rows(
    workspace: Workspace, fy: int, partners: list[Partner], *, by_channel: bool
) -> tuple[list[Row], Row]:
    """The partners' reference shares, commitments and actuals of ``fy``, one row per channel
    (``by_channel``) or per partner, and the total line (three queries, sums in SQL)."""
    if not partners:
        return [], Row(key="total", label="", uuid=None)
    seats = [p.seat_id for p in partners]
    refs = references.references_for(workspace, fy, seats)
    objectives = dict(
        Objective.objects.for_workspace(workspace)
        .filter(seller_id__in=seats, fiscal_year=fy)
        .values_list("seller_id", "amount")
    )
    actuals = _actuals(workspace, fy, seats)
    rows: dict[str, Row] = {}
    for p in partners:
        if by_channel:
            key, label, public = p.channel.code, p.channel.label, str(p.channel.uuid)
        else:
            key, label, public = p.code, p.name, str(p.uuid)
        row = rows.setdefault(key, Row(key=key, label=label, uuid=public))
        ref = refs.get(p.seat_id)
        row.reference += ref.annual if ref else 0
        row.objective += int(objectives.get(p.seat_id) or 0)
        row.actual += actuals.get(p.seat_id, 0)
        row.partners += 1
    total = Row(key="total", label="", uuid=None)
    for row in rows.values():
        total.reference += row.reference
        total.objective += row.objective
        total.actual += row.actual
        total.partners += row.partners
    return list(rows.values()), total


def partner_figures(
    viewer: Membership, fy: int, channel: Channel | None = None
) -> tuple[list[Row], Row]:
    """The partners' reference shares, commitments and actuals of ``fy`` by channel, or with
    ``channel`` by partner of that channel; and the total line. Executives and admins read
    every partner, a channel manager the partners they manage. Four queries whatever the
    number of partners (shares, objectives and cube cells summed in SQL)."""
    qs = _figure_partners(viewer).select_related("channel")
    if channel is not None:
        qs = qs.filter(channel=channel)
    partners = list(qs.order_by("channel__position", "channel__code", "name"))
    return _rows(viewer.workspace, fy, partners, by_channel=channel is None)


def managed_figures(viewer: Membership, manager: Membership, fy: int) -> tuple[list[Row], Row]:
    """The figures of ``fy`` of the partners ``manager`` is the channel manager of, one row a
    partner, as the viewer may read them (their own; every one for executives and admins;
    none for anyone else): the partners' part of a channel manager's cockpit (four queries)."""
    partners = list(
        _figure_partners(viewer)
        .filter(owner=manager)
        .select_related("channel")
        .order_by("channel__position", "channel__code", "name")
    )
    return _rows(viewer.workspace, fy, partners, by_channel=False)


def partner_months(viewer: Membership, fy: int, partner: Partner) -> tuple[list[Row], Row]:
    """The third level of the partner figures, one partner's reference share, commitment and
    actuals of ``fy`` by fiscal month, and the year's line (three queries); ``partner`` comes
    from :func:`get_partner_for` (executives, admins, its channel manager)."""
    workspace = partner.workspace
    seat = partner.seat
    months = references.fy_months(workspace, fy)
    reference = references.reference_for(seat, fy)
    objective = (
        Objective.objects.for_workspace(workspace)
        .filter(seller=seat, fiscal_year=fy)
        .values_list("months", flat=True)
        .first()
    )
    phased = [int(v) for v in objective] if objective and len(objective) == 12 else [0] * 12
    actual = dict(
        CubeCell.objects.for_workspace(workspace)
        .filter(seller=seat, month__gte=months.start, month__lt=months.stop)
        .values("month")
        .annotate(total=Sum("split_amount"))
        .values_list("month", "total")
    )
    rows = [
        Row(
            key=str(month),
            label=month_label(month),
            uuid=None,
            reference=reference.by_month[k] if reference.exists else 0,
            objective=phased[k],
            actual=int(actual.get(month) or 0),
            partners=1,
        )
        for k, month in enumerate(months)
    ]
    total = Row(key="total", label="", uuid=None, partners=1)
    for row in rows:
        total.reference += row.reference
        total.objective += row.objective
        total.actual += row.actual
    return rows, total


def _actuals(workspace: Workspace, fy: int, seats: Iterable[int]) -> dict[int, int]:
    """Split actuals of the seats (what the partners sold; the channel managers' overlays
    are theirs, not the partners')."""
    months = references.fy_months(workspace, fy)
    rows = (
        CubeCell.objects.for_workspace(workspace)
        .filter(seller_id__in=list(seats), month__gte=months.start, month__lt=months.stop)
        .values("seller_id")
        .annotate(total=Sum("split_amount"))
    )
    return {row["seller_id"]: int(row["total"] or 0) for row in rows}


# --------------------------------------------------------------------------- imports


def import_lookup(workspace: Workspace) -> list[tuple[str, str, str]]:
    """``(partner code, seat e-mail, channel manager e-mail)`` of the active partners: what a
    sales import's ``partner`` column resolves to (one query)."""
    return [
        (code.lower(), seat_email.lower(), owner_email.lower())
        for code, seat_email, owner_email in Partner.objects.for_workspace(workspace)
        .filter(is_active=True)
        .values_list("code", "seat__user__email", "owner__user__email")
    ]
