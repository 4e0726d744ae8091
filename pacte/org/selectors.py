"""Reads of the organisation: subtrees and chains with recursive CTEs, members as of a day."""

from __future__ import annotations

import datetime

from django.db import connection
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from pacte.accounts.models import Membership, Workspace
from pacte.org.models import Placement, Unit

_SUBTREE_SQL = """
WITH RECURSIVE subtree(id) AS (
    SELECT id FROM org_unit WHERE id = %s AND workspace_id = %s
    UNION ALL
    SELECT u.id FROM org_unit u JOIN subtree s ON u.parent_id = s.id WHERE u.workspace_id = %s
)
SELECT id FROM subtree
"""

_LED_SUBTREE_SQL = """
WITH RECURSIVE subtree(id) AS (
    SELECT id FROM org_unit WHERE lead_id = %s AND workspace_id = %s AND is_active = %s
    UNION
    SELECT u.id FROM org_unit u JOIN subtree s ON u.parent_id = s.id WHERE u.workspace_id = %s
)
SELECT id FROM subtree
"""

_ANCESTORS_SQL = """
WITH RECURSIVE chain(id, parent_id, depth) AS (
    SELECT id, parent_id, 0 FROM org_unit WHERE id = %s AND workspace_id = %s
    UNION ALL
    SELECT u.id, u.parent_id, c.depth + 1
    FROM org_unit u JOIN chain c ON u.id = c.parent_id
    WHERE u.workspace_id = %s AND c.depth < 1000
)
SELECT id FROM chain ORDER BY depth
"""

_DEPTHS_SQL = """
WITH RECURSIVE tree(id, depth) AS (
    SELECT id, 0 FROM org_unit WHERE workspace_id = %s AND parent_id IS NULL
    UNION ALL
    SELECT u.id, t.depth + 1 FROM org_unit u JOIN tree t ON u.parent_id = t.id
    WHERE u.workspace_id = %s
)
SELECT id, depth FROM tree
"""


def subtree_ids(unit: Unit) -> list[int]:
    """Ids of ``unit`` and every unit below it (one recursive query)."""
    with connection.cursor() as cursor:
        cursor.execute(_SUBTREE_SQL, [unit.pk, unit.workspace_id, unit.workspace_id])
        return [row[0] for row in cursor.fetchall()]


def led_subtree_ids(member: Membership) -> list[int]:
    """Ids of the active units ``member`` leads and of every unit below them (one recursive
    query, however many teams they lead)."""
    with connection.cursor() as cursor:
        cursor.execute(
            _LED_SUBTREE_SQL, [member.pk, member.workspace_id, True, member.workspace_id]
        )
        return sorted(row[0] for row in cursor.fetchall())


def ancestor_ids(unit: Unit) -> list[int]:
    """Ids from ``unit`` up to the root, nearest first (one recursive query)."""
    with connection.cursor() as cursor:
        cursor.execute(_ANCESTORS_SQL, [unit.pk, unit.workspace_id, unit.workspace_id])
        return [row[0] for row in cursor.fetchall()]


def unit_depths(workspace: Workspace) -> dict[int, int]:
    """Depth of every unit reachable from the root (root = 0)."""
    with connection.cursor() as cursor:
        cursor.execute(_DEPTHS_SQL, [workspace.pk, workspace.pk])
        return dict(cursor.fetchall())


def root_unit(workspace: Workspace) -> Unit:
    return Unit.objects.for_workspace(workspace).get(parent__isnull=True)


def current_placement_unit_id(day: datetime.date | None = None) -> Subquery:
    """A subquery giving the unit id of ``OuterRef('pk')`` (a membership) on ``day``."""
    day = day or timezone.localdate()
    return Subquery(
        Placement.objects.on(day).filter(membership=OuterRef("pk")).values("unit_id")[:1]
    )


def members_with_unit(
    workspace: Workspace, day: datetime.date | None = None
) -> QuerySet[Membership]:
    """Members of ``workspace`` annotated with ``unit_id`` and ``unit_name`` on ``day``."""
    day = day or timezone.localdate()
    placement = Placement.objects.on(day).filter(membership=OuterRef("pk"))
    return Membership.objects.for_workspace(workspace).annotate(
        unit_id=Subquery(placement.values("unit_id")[:1]),
        unit_name=Subquery(placement.values("unit__name")[:1]),
        unit_uuid=Subquery(placement.values("unit__uuid")[:1]),
    )


def unit_of(member: Membership, day: datetime.date | None = None) -> Unit | None:
    placement = (
        Placement.objects.on(day or timezone.localdate())
        .filter(membership=member)
        .select_related("unit")
        .first()
    )
    return placement.unit if placement else None


def units_with_counts(workspace: Workspace, day: datetime.date | None = None) -> QuerySet[Unit]:
    """Units annotated with the number of active members placed in them on ``day``."""
    from django.db.models import Count, Q

    day = day or timezone.localdate()
    in_force = Q(placements__valid_from__lte=day) & (
        Q(placements__valid_to__isnull=True) | Q(placements__valid_to__gt=day)
    )
    return (
        Unit.objects.for_workspace(workspace)
        .select_related("lead", "parent")
        .annotate(
            member_count=Count(
                "placements", filter=in_force & Q(placements__membership__is_active=True)
            )
        )
    )


def tree_rows(workspace: Workspace, day: datetime.date | None = None) -> list[tuple[Unit, int]]:
    """Units in depth-first order with their depth, for an indented tree."""
    units = list(units_with_counts(workspace, day).order_by("name"))
    children: dict[int | None, list[Unit]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)
    rows: list[tuple[Unit, int]] = []
    stack = [(unit, 0) for unit in reversed(children.get(None, []))]
    while stack:
        unit, depth = stack.pop()
        rows.append((unit, depth))
        stack.extend((child, depth + 1) for child in reversed(children.get(unit.pk, [])))
    return rows


def filter_members(
    qs: QuerySet[Membership],
    *,
    q: str = "",
    unit: object = None,
    role: str = "",
    status: str = "active",
) -> QuerySet[Membership]:
    """The one definition of the people filters, shared by the list page and the API."""
    from django.db.models import Q

    from pacte.accounts.models import ROLE_FIELDS

    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(user__email__icontains=q))
    if unit:
        qs = qs.filter(**{"unit_uuid": unit})  # an annotation of members_with_unit
    if role in ROLE_FIELDS:
        qs = qs.filter(**{ROLE_FIELDS[role]: True})
    if status == "inactive":
        qs = qs.filter(is_active=False)
    elif status != "all":
        qs = qs.filter(is_active=True)
    return qs
