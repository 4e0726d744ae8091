"""The weekly snapshot of calls and open pipeline (schedule kind ``pipeline_snapshot``), and the
accuracy and bias of each seller's and lead's calls once the period has closed.

The snapshot is set-based: a handful of ``INSERT … SELECT`` / ``UPDATE`` statements over the
pipeline cells and the calls (never the deals), whatever the number of deals and sellers."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from pacte.accounts.models import Membership, Workspace
from pacte.lib.fiscal import Period, PeriodKind
from pacte.lib.forecast import ForecastAccuracy, forecast_accuracy
from pacte.pipeline.models import CallLevel, CallSnapshot, Category
from pacte.pipeline.services import week_of

OPEN = (Category.PIPELINE, Category.BEST_CASE, Category.COMMIT)

_SELLERS = """
INSERT INTO pipeline_callsnapshot
    (workspace_id, week, period, member_id, level, pipeline, weighted)
SELECT workspace_id, %s, %s, seller_id, 'seller', SUM(amount), SUM(weighted)
FROM pipeline_pipelinecell
WHERE workspace_id = %s AND month >= %s AND month < %s AND category IN (%s, %s, %s)
GROUP BY workspace_id, seller_id
"""
_CALLERS = """
INSERT INTO pipeline_callsnapshot
    (workspace_id, week, period, member_id, level, pipeline, weighted)
SELECT DISTINCT c.workspace_id, %s, %s, c.member_id, 'seller', 0, 0
FROM pipeline_call c
WHERE c.workspace_id = %s AND c.level = 'seller' AND c.period = %s AND c.week <= %s
  AND NOT EXISTS (
    SELECT 1 FROM pipeline_callsnapshot s
    WHERE s.workspace_id = c.workspace_id AND s.week = %s AND s.period = %s
      AND s.member_id = c.member_id AND s.level = 'seller')
"""
_CALLS = """
UPDATE pipeline_callsnapshot
SET "commit" = (
        SELECT c."commit" FROM pipeline_call c
        WHERE c.workspace_id = pipeline_callsnapshot.workspace_id AND c.level = 'seller'
          AND c.member_id = pipeline_callsnapshot.member_id
          AND c.period = pipeline_callsnapshot.period AND c.week <= pipeline_callsnapshot.week
        ORDER BY c.week DESC LIMIT 1),
    best_case = (
        SELECT c.best_case FROM pipeline_call c
        WHERE c.workspace_id = pipeline_callsnapshot.workspace_id AND c.level = 'seller'
          AND c.member_id = pipeline_callsnapshot.member_id
          AND c.period = pipeline_callsnapshot.period AND c.week <= pipeline_callsnapshot.week
        ORDER BY c.week DESC LIMIT 1)
WHERE workspace_id = %s AND week = %s AND period = %s AND level = 'seller'
"""
_TEAMS = """
INSERT INTO pipeline_callsnapshot
    (workspace_id, week, period, member_id, level, "commit", best_case, pipeline, weighted)
SELECT c.workspace_id, %s, %s, c.member_id, 'team', c."commit", c.best_case, 0, 0
FROM pipeline_call c
WHERE c.workspace_id = %s AND c.level = 'team' AND c.period = %s AND c.week = (
    SELECT MAX(c2.week) FROM pipeline_call c2
    WHERE c2.workspace_id = c.workspace_id AND c2.level = 'team' AND c2.unit_id = c.unit_id
      AND c2.period = c.period AND c2.week <= %s)
ON CONFLICT DO NOTHING
"""


@transaction.atomic
def snapshot_week(*, workspace: Workspace, day: datetime.date) -> int:
    """Snapshot the calls and open pipeline of the quarter holding ``day``, for its week; a
    second run of the same week replaces the first. Returns the rows stored."""
    period = workspace.calendar.period_of(day, PeriodKind.QUARTER)
    week = week_of(day)
    CallSnapshot.objects.for_workspace(workspace).filter(week=week, period=period.key).delete()
    months = period.month_indexes
    ws = workspace.pk
    with connection.cursor() as c:
        c.execute(_SELLERS, [week, period.key, ws, months.start, months.stop, *OPEN])
        c.execute(_CALLERS, [week, period.key, ws, period.key, week, week, period.key])
        c.execute(_CALLS, [ws, week, period.key])
        c.execute(_TEAMS, [week, period.key, ws, period.key, week])
    return (
        CallSnapshot.objects.for_workspace(workspace).filter(week=week, period=period.key).count()
    )


def snapshot_this_week(run: Any) -> int:
    """The schedule kind's entry point: the week of the run's slot, in the workspace's zone."""
    from pacte.insights.schedules import zone_of

    local = run.due_at.astimezone(zone_of(run.workspace)).date()
    return snapshot_week(workspace=run.workspace, day=local)


# --------------------------------------------------------------------------- accuracy


@dataclass
class AccuracyRow:
    member: Membership
    level: str
    actual: int
    last_call: int | None
    accuracy: ForecastAccuracy


def accuracy(
    workspace: Workspace,
    period: Period,
    members: list[Membership],
    *,
    viewer: Membership | None = None,
) -> list[AccuracyRow]:
    """For a closed period: each member's weekly commit calls (snapshots) against what they
    sold (a lead's team calls against the sales of the sellers placed today in the teams they
    lead). Empty while the period is open. A fixed number of queries: the snapshots, the teams
    and placements when a team call was snapshotted, and the actuals of those sellers. With ``viewer``, only the calls the viewer may see."""
    if timezone.localdate() <= period.bounds[1] or not members:
        return []
    ids = [m.pk for m in members]
    snaps: dict[tuple[int, str], list[int]] = defaultdict(list)
    scope = (
        CallSnapshot.objects.for_workspace(workspace)
        if viewer is None
        else CallSnapshot.objects.visible_to(viewer)
    )
    for member_id, level, commit in (
        scope.filter(period=period.key, member_id__in=ids, commit__isnull=False)
        .order_by("week", "pk")
        .values_list("member_id", "level", "commit")
    ):
        if commit is not None:
            snaps[(member_id, level)].append(commit)
    if not snaps:
        return []
    teams = _sellers_of_leads(workspace, [m for (m, level) in snaps if level == CallLevel.TEAM])
    actual = _actuals(workspace, period, {m for (m, _level) in snaps}.union(*teams.values()))
    rows = []
    for m in members:
        for level in (CallLevel.SELLER, CallLevel.TEAM):
            calls = snaps.get((m.pk, level))
            if not calls:
                continue
            if level == CallLevel.TEAM and m.pk in teams:
                sold = sum(actual.get(s, 0) for s in teams[m.pk])
            else:
                sold = actual.get(m.pk, 0)
            rows.append(
                AccuracyRow(
                    m,
                    level,
                    sold,
                    calls[-1],
                    forecast_accuracy(np.asarray(calls, dtype=np.int64), sold),
                )
            )
    return rows


def callers_visible_to(
    viewer: Membership, period: Period
) -> QuerySet[CallSnapshot, tuple[int, str]]:
    """The (member id, level) of every snapshotted call on ``period`` that ``viewer`` may see
    (their own; a lead's sellers' and the team calls under them; executives and admins all),
    by name: the rows of the accuracy list, paged before any accuracy is computed."""
    return (
        CallSnapshot.objects.visible_to(viewer)
        .filter(period=period.key, commit__isnull=False)
        .values_list("member_id", "level")
        .distinct()
        .order_by("member__name", "member_id", "level")
    )


def accuracy_of(
    viewer: Membership, period: Period, pairs: list[tuple[int, str]]
) -> list[AccuracyRow]:
    """The accuracy rows of ``pairs`` (member id, level: from :func:`callers_visible_to`), in
    their order; a fixed number of queries whatever their number."""
    members = list(
        Membership.objects.for_workspace(viewer.workspace).filter(pk__in={m for m, _l in pairs})
    )
    rows = {
        (r.member.pk, r.level): r
        for r in accuracy(viewer.workspace, period, members, viewer=viewer)
    }
    return [rows[pair] for pair in pairs if pair in rows]


def _actuals(workspace: Workspace, period: Period, seller_ids: set[int]) -> dict[int, int]:
    """The actual over the period (split and overlay: their own attainment) of ``seller_ids``
    (one query over the cube)."""
    from pacte.pipeline.selectors import actuals_for

    return actuals_for(workspace, period, sorted(seller_ids))


def _sellers_of_leads(workspace: Workspace, lead_ids: list[int]) -> dict[int, set[int]]:
    """The active sellers placed today under the teams each lead leads (two queries)."""
    if not lead_ids:
        return {}
    from pacte.org.models import Placement
    from pacte.org.visibility import Tree

    tree = Tree.load(workspace)
    units_of: dict[int, set[int]] = defaultdict(set)
    for unit in tree.units.values():
        if unit.lead_id in lead_ids:
            units_of[unit.lead_id].update(tree.subtree(unit.pk))
    wanted = set().union(*units_of.values()) if units_of else set()
    by_unit: dict[int, list[int]] = defaultdict(list)
    for member_id, unit_id in (
        Placement.objects.for_workspace(workspace)
        .on(timezone.localdate())
        .filter(unit_id__in=sorted(wanted), membership__is_active=True, membership__is_seller=True)
        .values_list("membership_id", "unit_id")
    ):
        by_unit[unit_id].append(member_id)
    return {
        lead: {s for u in units for s in by_unit.get(u, ())} for lead, units in units_of.items()
    }


def previous_quarter(workspace: Workspace, day: datetime.date) -> Period:
    """The quarter before the one holding ``day`` (the last closed one when ``day`` is today)."""
    start = workspace.calendar.period_of(day, PeriodKind.QUARTER).bounds[0]
    return workspace.calendar.period_of(start - datetime.timedelta(days=1), PeriodKind.QUARTER)


def accuracy_context(
    viewer: Membership, period: Period, members: list[Membership]
) -> dict[str, Any]:
    """The template context of ``pipeline/_accuracy.html``: the accuracy of the calls of the
    quarter before ``period`` (closed) that ``viewer`` may see."""
    from pacte.planning.labels import period_label

    workspace = viewer.workspace
    previous = previous_quarter(workspace, period.bounds[0])
    return {
        "accuracy": accuracy(workspace, previous, members, viewer=viewer),
        "accuracy_period": period_label(previous),
    }
