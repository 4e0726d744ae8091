"""Who sees what of the organisation: teams, and whose individual figures.

Teams' totals are visible to every member; inactive teams to executives and admins only.
Not visible → 404, as everywhere (``pacte.accounts.access``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from pacte.accounts.access import ADMIN_ROLES, get_scoped, require_role
from pacte.accounts.models import Membership, Workspace
from pacte.org.models import Unit


# ------------------------------------------------------------------ teams
def visible_units(viewer: Membership) -> QuerySet[Unit]:
    return Unit.objects.visible_to(viewer)


def get_unit_for(viewer: Membership, public_id: Any, *, write: bool = False) -> Unit:
    unit = get_scoped(visible_units(viewer).select_related("lead", "parent"), public_id)
    if write:
        require_role(viewer, *ADMIN_ROLES)
    return unit


@dataclass
class Tree:
    """The units of a workspace, loaded once per request."""

    units: dict[int, Unit]
    children: dict[int | None, list[int]]

    @classmethod
    def load(cls, workspace: Workspace) -> Tree:
        units = {
            u.pk: u
            for u in Unit.objects.for_workspace(workspace).only(
                "pk", "uuid", "name", "parent_id", "lead_id", "is_active"
            )
        }
        children: dict[int | None, list[int]] = defaultdict(list)
        for u in sorted(units.values(), key=lambda u: u.name):
            children[u.parent_id].append(u.pk)
        return cls(units, children)

    @property
    def root(self) -> Unit:
        return self.units[self.children[None][0]]

    def subtree(self, unit_id: int) -> list[int]:
        out, stack = [], [unit_id]
        while stack:
            uid = stack.pop()
            out.append(uid)
            stack.extend(self.children.get(uid, []))
        return out

    def ancestors(self, unit_id: int | None) -> list[int]:
        out: list[int] = []
        while unit_id is not None and unit_id in self.units and len(out) < 1000:
            out.append(unit_id)
            unit_id = self.units[unit_id].parent_id
        return out

    def group_of(self, top: int) -> dict[int, int]:
        """Map every unit under ``top`` to the child of ``top`` it sits under (or ``top``)."""
        mapping = {top: top}
        for child in self.children.get(top, []):
            for uid in self.subtree(child):
                mapping[uid] = child
        return mapping


# ------------------------------------------------------------------ sellers' figures
def leads_unit(viewer: Membership, tree: Tree, unit_id: int | None) -> bool:
    """Whether ``viewer`` leads ``unit_id`` or one of the units above it."""
    return viewer.is_lead and any(
        tree.units[u].lead_id == viewer.pk for u in tree.ancestors(unit_id)
    )


def sees_sellers_of(viewer: Membership, tree: Tree, unit_id: int) -> bool:
    """Whether the viewer sees the individual figures of every seller of a unit."""
    return (
        viewer.sees_everything
        or viewer.workspace.leaderboard_enabled
        or leads_unit(viewer, tree, unit_id)
    )
