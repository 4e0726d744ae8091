"""Reads of the organisation's shape as of a date: arrays for pacte.lib.orgshape, metrics,
trend, chains of leads, the delegation map, and the team of each seller on each day.

Rules (see docs/organisation.md):

* The tree on a day comes from ``UnitLink`` rows in force that day; a team without any link
  has always had its current ``Unit.parent`` / ``Unit.lead``.
* People on a day are the active members with a placement in force that day.
* A lead counts only when they are placed that day (else the team has no lead that day).
  A lead placed outside the team they lead and its parent team is counted in the team they
  lead (leadership takes precedence, as in ``orgshape``).
"""

from __future__ import annotations

import bisect
import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from pacte.accounts.models import Membership, Workspace
from pacte.lib import orgshape
from pacte.org.models import Deputy, OrgSettings, Placement, Unit, UnitLink


def shape_settings(workspace: Workspace) -> OrgSettings:
    """The workspace's target shape (defaults, unsaved, until an executive sets it)."""
    found = OrgSettings.objects.for_workspace(workspace).first()
    return found or OrgSettings(workspace=workspace)


def tree_on(workspace: Workspace, day: datetime.date) -> dict[int, tuple[int | None, int | None]]:
    """``{unit pk: (parent pk, lead pk)}`` in force on ``day`` (two queries)."""
    tree: dict[int, tuple[int | None, int | None]] = {
        pk: (parent, lead)
        for pk, parent, lead in Unit.objects.for_workspace(workspace).values_list(
            "pk", "parent_id", "lead_id"
        )
    }
    for unit_id, parent, lead in (
        UnitLink.objects.for_workspace(workspace)
        .on(day)
        .values_list("unit_id", "parent_id", "lead_id")
    ):
        tree[unit_id] = (parent, lead)
    return tree


@dataclass
class Snapshot:
    """The organisation of one workspace on one day, as ``OrgArrays`` plus the ids behind it."""

    day: datetime.date
    org: orgshape.OrgArrays
    member_pk: np.ndarray  # person index -> Membership pk
    unit_pk: np.ndarray  # unit index -> Unit pk
    member_uuid: list[str]
    member_name: list[str]
    member_roles: list[tuple[bool, bool, bool, bool]]  # executive, lead, seller, admin
    unit_uuid: list[str]
    unit_name: list[str]
    placed_unit: np.ndarray  # person index -> unit index of the placement (before lead fix)

    _derived: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    @property
    def n_people(self) -> int:
        return self.org.n_people

    def person_index(self, pk: int) -> int | None:
        i = int(np.searchsorted(self.member_pk, pk))
        return i if i < self.member_pk.size and self.member_pk[i] == pk else None

    def unit_index(self, pk: int) -> int | None:
        i = int(np.searchsorted(self.unit_pk, pk))
        return i if i < self.unit_pk.size and self.unit_pk[i] == pk else None

    def derived(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(manager, layers, spans) per person."""
        if self._derived is None:
            self._derived = (
                orgshape.manager_of(self.org),
                orgshape.layers(self.org),
                orgshape.spans(self.org),
            )
        return self._derived

    def subtree(self, unit_pk: int) -> Snapshot:
        """The part of the organisation at and below ``unit_pk`` (that team becomes the root)."""
        root = self.unit_index(unit_pk)
        if root is None:
            return self
        parent = self.org.unit_parent
        inside = np.zeros(parent.size, dtype=bool)
        inside[root] = True
        for _ in range(parent.size):
            grow = inside | ((parent >= 0) & inside[np.maximum(parent, 0)])
            if np.array_equal(grow, inside):
                break
            inside = grow
        units = np.flatnonzero(inside)
        new_index = np.full(parent.size, -1, dtype=np.int64)
        new_index[units] = np.arange(units.size)
        new_parent = np.where(parent[units] >= 0, new_index[np.maximum(parent[units], 0)], -1)
        new_parent[units == root] = -1
        lead = self.org.unit_lead[units]
        person_unit = self.org.person_unit.copy()
        # the root team's lead may sit in the team above: count them in the team they lead
        root_lead = self.org.unit_lead[root]
        if root_lead >= 0:
            person_unit[root_lead] = root
        people = np.flatnonzero(inside[person_unit])
        new_person = np.full(person_unit.size, -1, dtype=np.int64)
        new_person[people] = np.arange(people.size)
        new_lead = np.where(lead >= 0, new_person[np.maximum(lead, 0)], -1)
        org = orgshape.OrgArrays(
            unit_parent=new_parent,
            unit_lead=new_lead,
            person_unit=new_index[person_unit[people]],
            is_seller=self.org.is_seller[people],
            person_ids=[self.member_uuid[i] for i in people],
            unit_ids=[self.unit_uuid[u] for u in units],
        )
        return Snapshot(
            day=self.day,
            org=org,
            member_pk=self.member_pk[people],
            unit_pk=self.unit_pk[units],
            member_uuid=[self.member_uuid[i] for i in people],
            member_name=[self.member_name[i] for i in people],
            member_roles=[self.member_roles[i] for i in people],
            unit_uuid=[self.unit_uuid[u] for u in units],
            unit_name=[self.unit_name[u] for u in units],
            placed_unit=new_index[self.placed_unit[people]],
        )


def snapshot(workspace: Workspace, day: datetime.date | None = None) -> Snapshot:
    """The organisation on ``day`` (today by default) in four set-based queries."""
    day = day or timezone.localdate()
    units = list(
        Unit.objects.for_workspace(workspace).order_by("pk").values_list("pk", "uuid", "name")
    )
    tree = tree_on(workspace, day)
    unit_pk = np.array([u[0] for u in units], dtype=np.int64)
    rows = list(
        Placement.objects.for_workspace(workspace)
        .on(day)
        .filter(membership__is_active=True)
        .order_by("membership_id")
        .values_list(
            "membership_id",
            "unit_id",
            "membership__uuid",
            "membership__name",
            "membership__is_executive",
            "membership__is_lead",
            "membership__is_seller",
            "membership__is_admin",
        )
    )
    member_pk = np.array([r[0] for r in rows], dtype=np.int64)
    # one placement in force per member (history is never overlapping); keep the first
    if member_pk.size:
        keep = np.concatenate([[True], member_pk[1:] != member_pk[:-1]])
        rows = [r for r, k in zip(rows, keep, strict=True) if k]
        member_pk = member_pk[keep]

    def index(pks: np.ndarray, values: Iterable[int | None]) -> np.ndarray:
        arr = np.array([-1 if v is None else v for v in values], dtype=np.int64)
        pos = np.searchsorted(pks, arr)
        pos = np.minimum(pos, max(pks.size - 1, 0))
        ok = (arr >= 0) & (pks.size > 0)
        if pks.size:
            ok &= pks[pos] == arr
        return np.where(ok, pos, -1)

    parent = index(unit_pk, (tree[u][0] for u in unit_pk.tolist()))
    lead = index(member_pk, (tree[u][1] for u in unit_pk.tolist()))
    person_unit = index(unit_pk, (r[1] for r in rows))
    placed = person_unit.copy()
    # a person leads one team at most: keep the first team they lead that day
    led = np.flatnonzero(lead >= 0)
    _, first = np.unique(lead[led], return_index=True)
    dup = np.setdiff1d(led, led[first])
    lead[dup] = -1
    led = np.flatnonzero(lead >= 0)
    home = person_unit[lead[led]]
    outside = led[(home != led) & (home != parent[led])]
    person_unit[lead[outside]] = outside
    org = orgshape.OrgArrays(
        unit_parent=parent,
        unit_lead=lead,
        person_unit=person_unit,
        is_seller=np.array([bool(r[6]) for r in rows], dtype=bool),
        person_ids=[str(r[2]) for r in rows],
        unit_ids=[str(u[1]) for u in units],
    )
    return Snapshot(
        day=day,
        org=org,
        member_pk=member_pk,
        unit_pk=unit_pk,
        member_uuid=[str(r[2]) for r in rows],
        member_name=[r[3] for r in rows],
        member_roles=[(bool(r[4]), bool(r[5]), bool(r[6]), bool(r[7])) for r in rows],
        unit_uuid=[str(u[1]) for u in units],
        unit_name=[u[2] for u in units],
        placed_unit=placed,
    )


def scope_for(member: Membership, snap: Snapshot) -> Snapshot:
    """What ``member`` may analyse: everything (executives, admins), else their subtree."""
    if member.sees_everything:
        return snap
    i = snap.person_index(member.pk)
    if i is None:
        return _empty(snap)
    led = np.flatnonzero(snap.org.unit_lead == i)
    if led.size == 0:
        return _empty(snap)
    return snap.subtree(int(snap.unit_pk[led[0]]))


def _empty(snap: Snapshot) -> Snapshot:
    root = int(np.flatnonzero(snap.org.unit_parent == -1)[0])
    org = orgshape.OrgArrays(
        unit_parent=np.array([-1]),
        unit_lead=np.array([-1]),
        person_unit=np.array([], dtype=np.int64),
        is_seller=np.array([], dtype=bool),
        person_ids=[],
        unit_ids=[snap.unit_uuid[root]],
    )
    return Snapshot(
        day=snap.day,
        org=org,
        member_pk=np.array([], dtype=np.int64),
        unit_pk=snap.unit_pk[[root]],
        member_uuid=[],
        member_name=[],
        member_roles=[],
        unit_uuid=[snap.unit_uuid[root]],
        unit_name=[snap.unit_name[root]],
        placed_unit=np.array([], dtype=np.int64),
    )


def can_analyse(member: Membership) -> bool:
    """Executives and admins analyse the whole organisation, leads their own subtree."""
    return member.sees_everything or member.is_lead


def metrics_of(snap: Snapshot, settings: OrgSettings) -> dict[str, Any]:
    """Structure metrics of ``snap`` against the workspace's target shape, JSON-ready."""
    m = orgshape.metrics(
        snap.org,
        max_layers=settings.max_layers,
        span_min=settings.span_min,
        span_max=settings.span_max,
    )
    data = m.as_dict()
    data["on"] = snap.day.isoformat()
    names = dict(zip(snap.member_uuid, snap.member_name, strict=True))
    units = dict(zip(snap.unit_uuid, snap.unit_name, strict=True))
    for key in ("too_narrow", "too_wide"):
        for row in data["span"][key]:
            row["lead_name"] = names.get(row["lead"], "")
            row["unit_name"] = units.get(row["unit"], "")
    data["sellers_beyond_max_layers"]["names"] = [
        names.get(x, "") for x in data["sellers_beyond_max_layers"]["sellers"][:50]
    ]
    return data


def month_ends(today: datetime.date, months: int = 12) -> list[datetime.date]:
    """The last day of each of the ``months`` months ending with the current one (today)."""
    days: list[datetime.date] = []
    year, month = today.year, today.month
    for _ in range(months):
        first_next = datetime.date(year + (month == 12), month % 12 + 1, 1)
        days.append(min(first_next - datetime.timedelta(days=1), today))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return sorted(days)


def trend(
    member: Membership, *, months: int = 12, today: datetime.date | None = None
) -> list[dict[str, Any]]:
    """Key figures at each month end (the last point is today), drawn from the dated history."""
    settings = shape_settings(member.workspace)
    out = []
    for day in month_ends(today or timezone.localdate(), months):
        m = metrics_of(scope_for(member, snapshot(member.workspace, day)), settings)
        out.append(
            {
                "on": day.isoformat(),
                "people": m["people"],
                "sellers": m["sellers"],
                "leads": m["leads"],
                "layers_max": m["layers"]["max"],
                "layers_mean": m["layers"]["mean"],
                "span_mean": m["span"]["mean"],
                "managers_per_seller": m["managers_per_seller"],
                "sellers_beyond": m["sellers_beyond_max_layers"]["count"],
            }
        )
    return out


# --------------------------------------------------------------------------- delegation


def _executive_fallback(workspace: Workspace, exclude: int | None) -> Membership | None:
    root = (
        Unit.objects.for_workspace(workspace)
        .filter(parent__isnull=True)
        .select_related("lead")
        .first()
    )
    if (
        root is not None
        and root.lead is not None
        and root.lead.is_active
        and root.lead_id != exclude
    ):
        return root.lead
    qs = Membership.objects.for_workspace(workspace).active().filter(is_executive=True)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return qs.order_by("name", "pk").first()


def deputies_on(workspace: Workspace, day: datetime.date) -> dict[int, Membership]:
    """``{principal pk: deputy}`` for the deputies in force on ``day`` (active deputies only)."""
    rows = (
        Deputy.objects.for_workspace(workspace)
        .filter(starts_on__lte=day, deputy__is_active=True)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day))
        .select_related("deputy")
    )
    return {row.principal_id: row.deputy for row in rows}


def handler_for(member: Membership, on: datetime.date | None = None) -> Membership | None:
    """The one person who handles ``member``'s exceptions on ``on`` (today by default).

    Their lead; else the next lead up (a team without a lead, or whose lead is not placed
    that day, passes to the team above); else an executive (the company's lead, else the
    first active executive by name). A lead's handler is the lead above their own team.
    A deputy in force for that person that day replaces them (one substitution, no chain).
    ``None`` only in a workspace without any active executive. A few queries, no loop per
    person of the organisation: use ``handlers_on`` for everyone at once.
    """
    day = on or timezone.localdate()
    workspace = member.workspace
    if member.handled_by_id is not None:  # a partner's seat: its channel manager
        named = Membership.objects.filter(pk=member.handled_by_id, is_active=True).first()
        if named is not None:
            return deputies_on(workspace, day).get(named.pk, named)
    placement = (
        Placement.objects.on(day)
        .filter(membership=member)
        .values_list("unit_id", flat=True)
        .first()
    )
    handler: Membership | None = None
    if placement is not None:
        tree = tree_on(workspace, day)
        lead_ids = {lead for _p, lead in tree.values() if lead is not None}
        placed = set(
            Placement.objects.on(day)
            .filter(membership_id__in=lead_ids, membership__is_active=True)
            .values_list("membership_id", flat=True)
        )
        led = [u for u, (_p, lead) in tree.items() if lead == member.pk and member.pk in placed]
        unit: int | None = tree[led[0]][0] if led else placement
        seen = 0
        while unit is not None and seen <= len(tree):
            seen += 1
            parent, lead = tree[unit]
            if lead is not None and lead in placed and lead != member.pk:
                handler = Membership.objects.get(pk=lead)
                break
            unit = parent
    if handler is None:
        handler = _executive_fallback(workspace, exclude=member.pk)
    if handler is None:
        return None
    return deputies_on(workspace, day).get(handler.pk, handler)


def handlers_on(snap: Snapshot, workspace: Workspace) -> dict[int, Membership | None]:
    """``{member pk: handler}`` for every person of ``snap`` (same rules as ``handler_for``)."""
    manager, _layers, _spans = snap.derived()
    needed = {int(snap.member_pk[m]) for m in manager.tolist() if m >= 0}
    people = {m.pk: m for m in Membership.objects.filter(pk__in=needed)}
    deputies = deputies_on(workspace, snap.day)
    fallback_cache: dict[int | None, Membership | None] = {}
    out: dict[int, Membership | None] = {}
    named = dict(
        Membership.objects.filter(
            pk__in=snap.member_pk.tolist(), handled_by__isnull=False, handled_by__is_active=True
        ).values_list("pk", "handled_by_id")
    )
    named_people = {m.pk: m for m in Membership.objects.filter(pk__in=set(named.values()))}
    for i, pk in enumerate(snap.member_pk.tolist()):
        m = int(manager[i])
        if pk in named:
            chosen = named_people[named[pk]]
            out[pk] = deputies.get(chosen.pk, chosen)
            continue
        if m >= 0:
            handler: Membership | None = people[int(snap.member_pk[m])]
        else:
            if pk not in fallback_cache:
                fallback_cache[pk] = _executive_fallback(workspace, exclude=pk)
            handler = fallback_cache[pk]
        out[pk] = deputies.get(handler.pk, handler) if handler is not None else None
    return out


def chain_of(snap: Snapshot, member_pk: int) -> list[int]:
    """Indices of the person's leads, nearest first, up to the top."""
    i = snap.person_index(member_pk)
    if i is None:
        return []
    manager, _l, _s = snap.derived()
    chain: list[int] = []
    m = int(manager[i])
    while m >= 0 and len(chain) <= snap.n_people:
        chain.append(m)
        m = int(manager[m])
    return chain


# --------------------------------------------------------------------------- team of the day


def with_unit_on_day(
    qs: QuerySet[Any], *, member_field: str, date_field: str, name: str = "unit_on_day"
) -> QuerySet[Any]:
    """Annotate any queryset having a member FK and a date with the member's team that day.

    One SQL statement: a correlated subquery on ``org_placement`` (index ``placement_ws_member``)
    — for example sales: ``with_unit_on_day(Sale.objects.filter(...), member_field="seller",
    date_field="sold_on")`` gives ``unit_on_day`` (a Unit pk, NULL when unplaced that day).
    """
    placement = Placement.objects.filter(
        membership=OuterRef(member_field), valid_from__lte=OuterRef(date_field)
    ).filter(Q(valid_to__isnull=True) | Q(valid_to__gt=OuterRef(date_field)))
    return qs.annotate(**{name: Subquery(placement.values("unit_id")[:1])})


def units_on_days(
    workspace: Workspace, pairs: Iterable[tuple[int, datetime.date]]
) -> dict[tuple[int, datetime.date], int | None]:
    """``{(member pk, day): unit pk}`` for many pairs in one query over ``Placement``."""
    pairs = list(pairs)
    if not pairs:
        return {}
    first = min(d for _m, d in pairs)
    last = max(d for _m, d in pairs)
    rows = (
        Placement.objects.for_workspace(workspace)
        .filter(membership_id__in={m for m, _d in pairs}, valid_from__lte=last)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=first))
        .order_by("membership_id", "valid_from")
        .values_list("membership_id", "valid_from", "valid_to", "unit_id")
    )
    by_member: dict[int, list[tuple[datetime.date, datetime.date | None, int]]] = {}
    for member_id, start, end, unit_id in rows:
        by_member.setdefault(member_id, []).append((start, end, unit_id))
    out: dict[tuple[int, datetime.date], int | None] = {}
    for member_id, day in pairs:
        spans = by_member.get(member_id, [])
        k = bisect.bisect_right([s[0] for s in spans], day) - 1
        found = None
        if k >= 0:
            start, end, unit_id = spans[k]
            if end is None or end > day:
                found = unit_id
        out[(member_id, day)] = found
    return out


# --------------------------------------------------------------------------- org chart


def _role_labels(roles: tuple[bool, bool, bool, bool]) -> list[str]:
    from pacte.accounts.models import Role

    order = (Role.EXECUTIVE, Role.LEAD, Role.SELLER, Role.ADMIN)
    return [str(role.label) for role, flag in zip(order, roles, strict=True) if flag]


def root_index(snap: Snapshot) -> int:
    return int(np.flatnonzero(snap.org.unit_parent == -1)[0])


def unit_node(snap: Snapshot, u: int) -> dict[str, Any]:
    org = snap.org
    lead = int(org.unit_lead[u])
    _m, layers, _s = snap.derived()
    direct = int(np.count_nonzero(org.person_unit == u)) - (
        1 if lead >= 0 and org.person_unit[lead] == u else 0
    )
    has_kids = bool(np.any(org.unit_parent == u)) or direct > 0
    return {
        "id": f"u:{snap.unit_uuid[u]}",
        "kind": "unit",
        "name": snap.unit_name[u],
        "roles": _role_labels(snap.member_roles[lead]) if lead >= 0 else [],
        "team": snap.unit_name[u],
        "layers": int(layers[lead]) if lead >= 0 else None,
        "lead": snap.member_name[lead] if lead >= 0 else "",
        "people": direct,
        "has_children": has_kids,
    }


def chart_branch(snap: Snapshot, u: int) -> list[dict[str, Any]]:
    """The children of team ``u``: its sub-teams (with their lead), then its other members."""
    org = snap.org
    _m, layers, _s = snap.derived()
    kid_list: list[int] = sorted(
        (int(k) for k in np.flatnonzero(org.unit_parent == u)),
        key=lambda k: snap.unit_name[k].casefold(),
    )
    nodes = [unit_node(snap, k) for k in kid_list]
    led_people = set(org.unit_lead[org.unit_lead >= 0].tolist())
    people = [
        int(i) for i in np.flatnonzero(org.person_unit == u).tolist() if int(i) not in led_people
    ]
    people.sort(key=lambda i: snap.member_name[i].casefold())
    for i in people:
        nodes.append(
            {
                "id": f"p:{snap.member_uuid[i]}",
                "kind": "person",
                "name": snap.member_name[i],
                "roles": _role_labels(snap.member_roles[i]),
                "team": snap.unit_name[u],
                "layers": int(layers[i]),
                "lead": "",
                "people": 0,
                "has_children": False,
            }
        )
    return nodes


def unit_path(snap: Snapshot, u: int) -> list[str]:
    """Team ids from the root of ``snap`` down to ``u``."""
    path: list[str] = []
    while u >= 0 and len(path) <= snap.org.n_units:
        path.append(f"u:{snap.unit_uuid[u]}")
        u = int(snap.org.unit_parent[u])
    return path[::-1]


def search(snap: Snapshot, q: str, limit: int = 20) -> list[dict[str, Any]]:
    """People and teams whose name contains ``q``, each with the path of teams to open."""
    q = q.strip().casefold()
    if not q:
        return []
    out: list[dict[str, Any]] = []
    for u, name in enumerate(snap.unit_name):
        if q in name.casefold() and len(out) < limit:
            out.append({"id": f"u:{snap.unit_uuid[u]}", "name": name, "path": unit_path(snap, u)})
    for i, name in enumerate(snap.member_name):
        if len(out) >= limit:
            break
        if q in name.casefold():
            u = int(snap.org.person_unit[i])
            led = np.flatnonzero(snap.org.unit_lead == i)
            node = f"u:{snap.unit_uuid[int(led[0])]}" if led.size else f"p:{snap.member_uuid[i]}"
            out.append({"id": node, "name": name, "path": unit_path(snap, u)})
    return out
