"""Who sees what of the organisation: teams, and whose individual figures.

One rule, called by every page, API route and export that shows a seller's own figures:

- a member sees their own figures;
- executives and admins see everyone's;
- a lead sees the sellers placed (today) in a team they lead or in any team below it;
- everyone sees everyone's when the workspace turns its leaderboard on.

Teams' totals are visible to every member; inactive teams to executives and admins only.
Not visible → 404, as everywhere (``pacte.accounts.access``).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from pacte.accounts.access import ADMIN_ROLES, get_scoped, require_role
from pacte.accounts.models import Membership, Workspace
from pacte.org.models import Placement, Unit


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
def sees_every_seller(viewer: Membership) -> bool:
    """Executives and admins, and everyone when the workspace's leaderboard is on."""
    return viewer.sees_everything or viewer.workspace.leaderboard_enabled


def leads_unit(viewer: Membership, tree: Tree, unit_id: int | None) -> bool:
    """Whether ``viewer`` leads ``unit_id`` or one of the units above it."""
    return viewer.is_lead and any(
        tree.units[u].lead_id == viewer.pk for u in tree.ancestors(unit_id)
    )


def led_unit_ids(viewer: Membership, tree: Tree) -> set[int]:
    """The units ``viewer`` leads and every unit below them."""
    return {
        uid
        for top, unit in tree.units.items()
        if unit.lead_id == viewer.pk
        for uid in tree.subtree(top)
    }


def sees_sellers_of(viewer: Membership, tree: Tree, unit_id: int) -> bool:
    """Whether the viewer sees the individual figures of every seller of a unit."""
    return sees_every_seller(viewer) or leads_unit(viewer, tree, unit_id)


def _today(day: datetime.date | None) -> datetime.date:
    return day or timezone.localdate()


def can_see_seller(
    viewer: Membership,
    seller: Membership,
    *,
    tree: Tree | None = None,
    day: datetime.date | None = None,
) -> bool:
    """Whether ``viewer`` may see ``seller``'s individual figures (see the module's rule);
    ``day`` is the day the seller's team is read on (today by default)."""
    if seller.workspace_id != viewer.workspace_id:
        return False
    if seller.pk == viewer.pk or sees_every_seller(viewer):
        return True
    if not viewer.is_lead:
        return False
    unit_id = (
        Placement.objects.for_workspace(viewer.workspace_id)
        .on(_today(day))
        .filter(membership=seller)
        .values_list("unit_id", flat=True)
        .first()
    )
    return leads_unit(viewer, tree or Tree.load(viewer.workspace), unit_id)


def get_seller_for(
    viewer: Membership,
    public_id: Any,
    *,
    tree: Tree | None = None,
    day: datetime.date | None = None,
) -> Membership:
    """A member whose individual figures the viewer may see, else 404."""
    seller = get_scoped(Membership.objects.for_workspace(viewer.workspace), public_id)
    if not can_see_seller(viewer, seller, tree=tree, day=day):
        raise Http404
    return seller


def visible_sellers(
    viewer: Membership, *, tree: Tree | None = None, day: datetime.date | None = None
) -> QuerySet[Membership]:
    """The members whose individual figures ``viewer`` may see (the same rule as
    :func:`can_see_seller`, as one query)."""
    members = Membership.objects.for_workspace(viewer.workspace)
    if sees_every_seller(viewer):
        return members
    condition = Q(pk=viewer.pk)
    if viewer.is_lead:
        led = led_unit_ids(viewer, tree or Tree.load(viewer.workspace))
        if led:
            placed = (
                Placement.objects.for_workspace(viewer.workspace)
                .on(_today(day))
                .filter(unit_id__in=sorted(led))
                .values("membership_id")
            )
            condition |= Q(pk__in=placed)
    return members.filter(condition)
