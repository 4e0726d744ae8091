"""Reads of attainment and forecasts: the cube, snapshots and targets, never raw sales.

The figures of a *scope* (the company, a team, a seller, optionally one channel) are built
from monthly arrays (:mod:`pacte.insights.monthly`) over the period asked for
(:mod:`pacte.insights.periods`); this module holds the settings and the period close, the
filters a page or the API names, and the figures drawn from a frame.

Public hooks for the sales app (period close):

- ``closed_month_policy(workspace) -> (frozenset of closed Month.index, policy)``
- ``is_month_closed(workspace, month_index) -> bool``
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from django.db.models import Sum
from django.http import Http404
from django.utils.translation import gettext as _

from pacte.accounts.access import get_scoped
from pacte.accounts.models import Membership, Workspace
from pacte.errors import DomainError
from pacte.insights import sources
from pacte.insights.models import (
    ClosedMonth,
    DigestPreference,
    ForecastSnapshot,
    InsightSettings,
    Judgment,
    LatePolicy,
)
from pacte.insights.monthly import Frame
from pacte.lib import forecast as fc
from pacte.lib.fiscal import Month
from pacte.org import visibility
from pacte.org.models import Placement, Unit
from pacte.org.visibility import Tree
from pacte.sales.models import Channel


# ------------------------------------------------------------------ settings and close
def settings_of(workspace: Workspace) -> InsightSettings:
    found = InsightSettings.objects.for_workspace(workspace).first()
    return found or InsightSettings(workspace=workspace)


def closed_month_policy(workspace: Workspace) -> tuple[frozenset[int], str]:
    """Closed months (``Month.index``) of the workspace and what to do with a late sale:
    ``"refuse"`` or ``"next_open"`` (book it to the first open month after its own)."""
    months = frozenset(ClosedMonth.objects.for_workspace(workspace).values_list("month", flat=True))
    policy = (
        InsightSettings.objects.for_workspace(workspace)
        .values_list("late_sale_policy", flat=True)
        .first()
    )
    return months, policy or LatePolicy.REFUSE


def is_month_closed(workspace: Workspace, month_index: int) -> bool:
    return ClosedMonth.objects.for_workspace(workspace).filter(month=month_index).exists()


def next_open_month(closed: Iterable[int], month_index: int) -> int:
    """The first month at or after ``month_index`` that is not closed."""
    shut = set(closed)
    while month_index in shut:
        month_index += 1
    return month_index


# ------------------------------------------------------------------ visibility
def current_unit_ids(
    workspace: Workspace,
    seller_ids: Iterable[int] | None = None,
    *,
    units: Iterable[int] | None = None,
) -> dict[int, int]:
    qs = Placement.objects.for_workspace(workspace).on(sources.today())
    if seller_ids is not None:
        qs = qs.filter(membership_id__in=list(seller_ids))
    if units is not None:
        qs = qs.filter(unit_id__in=list(units))
    return dict(qs.values_list("membership_id", "unit_id"))


def current_team(workspace: Workspace, seller: Membership) -> Unit | None:
    """The team a seller is placed in today (one query), ``None`` when unplaced."""
    placement = (
        Placement.objects.for_workspace(workspace)
        .filter(membership=seller)
        .on(sources.today())
        .select_related("unit")
        .first()
    )
    return placement.unit if placement else None


def get_team_for(viewer: Membership, public_id: Any) -> Unit:
    """Any unit of the viewer's workspace (team totals are visible to every member)."""
    return get_scoped(Unit.objects.for_workspace(viewer.workspace), public_id)


def get_seller_for(viewer: Membership, public_id: Any, tree: Tree | None = None) -> Membership:
    """A member whose individual figures the viewer may see (teams read on the insights'
    today), else 404."""
    return visibility.get_seller_for(viewer, public_id, tree=tree, day=sources.today())


def get_channel_for(viewer: Membership, public_id: Any) -> Channel:
    return get_scoped(Channel.objects.visible_to(viewer), public_id)


class UnknownFilter(DomainError):
    """A filter naming a team, seller or channel that does not exist (or is not visible)."""

    status = 404


def resolve_filters(
    viewer: Membership,
    *,
    team: Any = None,
    seller: Any = None,
    channel: Any = None,
    tree: Tree | None = None,
) -> tuple[Unit | None, Membership | None, Channel | None]:
    """Turn filter ids into objects: malformed → 400, unknown or not visible → 404."""
    found: list[Any] = []
    lookups = (
        ("team", team, lambda v: get_team_for(viewer, v), _("Unknown team.")),
        ("seller", seller, lambda v: get_seller_for(viewer, v, tree), _("Unknown seller.")),
        ("channel", channel, lambda v: get_channel_for(viewer, v), _("Unknown channel.")),
    )
    for name, value, getter, message in lookups:
        if value in (None, ""):
            found.append(None)
            continue
        parse_filter_uuid(value, name)
        try:
            found.append(getter(value))
        except Http404:
            raise UnknownFilter(message, code=f"unknown_{name}", field=name) from None
    return found[0], found[1], found[2]


def parse_filter_uuid(value: Any, name: str) -> Any:
    """Malformed ids in filters are a clear 400, not a 404."""
    import uuid

    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        raise DomainError(
            _("“%(value)s” is not a valid identifier.") % {"value": value},
            code=f"invalid_{name}",
            field=name,
        ) from None


# ------------------------------------------------------------------ figures
def ratio(numerator: int, denominator: int | None) -> float | None:
    if not denominator:
        return None
    return numerator / denominator


def figures(
    frame: Frame, i: int, positions: range, *, forecast: int | None = None
) -> dict[str, Any]:
    """The three numbers, attainment, gap and forecast of group ``i`` over ``positions``."""
    sl = slice(positions.start, positions.stop)
    target = int(frame.target[i, sl].sum()) if frame.has_target[i] else None
    objective = int(frame.objective[i, sl].sum()) if frame.has_objective[i] else None
    actual = int(frame.actual[i, sl].sum())
    fcst = int(frame.forecast_by_month[i, sl].sum()) if frame.forecast_valid[i] else None
    if forecast is not None and positions == range(0, 12):
        fcst = forecast
    return three_numbers(target, objective, actual, fcst)


def three_numbers(
    target: int | None, objective: int | None, actual: int, forecast: int | None
) -> dict[str, Any]:
    """The row of one group: the three numbers, attainment and gap against both, forecast."""
    return {
        "target": target,
        "objective": objective,
        "actual": actual,
        "attainment_target": ratio(actual, target),
        "attainment_objective": ratio(actual, objective),
        "gap_target": None if target is None else actual - target,
        "gap_objective": None if objective is None else actual - objective,
        "forecast": forecast,
    }


def period_figures_matrix(frame: Frame, positions: range) -> dict[str, Any]:
    """Vectorised figures of every group over ``positions`` (arrays)."""
    sl = slice(positions.start, positions.stop)
    return {
        "target": frame.target[:, sl].sum(axis=1),
        "objective": frame.objective[:, sl].sum(axis=1),
        "actual": frame.actual[:, sl].sum(axis=1),
        "forecast": frame.forecast_by_month[:, sl].sum(axis=1),
    }


def judgments(workspace: Workspace, fy: int, seller_ids: Sequence[int]) -> dict[int, Judgment]:
    return {
        j.seller_id: j
        for j in Judgment.objects.for_workspace(workspace).filter(
            fiscal_year=fy, seller_id__in=list(seller_ids)
        )
    }


def blended_year_forecast(
    frame: Frame, i: int, judgment: Judgment | None, weight_percent: int
) -> int | None:
    run_rate = int(frame.forecast_by_month[i].sum()) if frame.forecast_valid[i] else None
    if judgment is None or (judgment.committed is None and judgment.best_case is None):
        return run_rate
    return fc.blend_with_judgment(
        run_rate, judgment.committed, judgment.best_case, weight_percent / 100
    )


def accuracy(
    workspace: Workspace, *, seller_ids: Sequence[int] | None, fy: int, final_actual: int | None
) -> dict[str, Any]:
    """The monthly snapshots of the year forecast of a set of sellers (all when ``None``) and,
    once the year is over (``final_actual`` given), how far they were from the actual."""
    from pacte.planning.labels import month_label

    qs = ForecastSnapshot.objects.for_workspace(workspace).filter(fiscal_year=fy)
    if seller_ids is not None:
        qs = qs.filter(seller_id__in=list(seller_ids))
    rows = list(
        qs.values("month").annotate(f=Sum("forecast"), a=Sum("actual_to_date")).order_by("month")
    )
    out: dict[str, Any] = {
        "months": [
            {
                "month": str(Month.from_index(r["month"])),
                "label": month_label(r["month"]),
                "forecast": int(r["f"] or 0),
                "actual_to_date": int(r["a"] or 0),
            }
            for r in rows
        ],
        "n": len(rows),
        "wape": None,
        "bias": None,
        "actual": final_actual,
    }
    if rows and final_actual is not None:
        snaps = np.array([int(r["f"] or 0) for r in rows], dtype=np.int64)
        acc = fc.forecast_accuracy(snaps, np.int64(final_actual))
        out.update(wape=acc.wape, bias=acc.bias)
    return out


def digest_preference(member: Membership) -> DigestPreference:
    return DigestPreference.objects.filter(member=member).first() or DigestPreference(
        workspace_id=member.workspace_id, member=member
    )
