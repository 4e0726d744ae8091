"""Organisation shape: layers, spans of control and delayering proposals.

Framework-free and vectorised with NumPy: no Django, and no Python loop per person.
Loops run over depth levels, rounds of the heuristic, or moves.

The model is the one the database stores. Units form a tree (``unit_parent``, ``-1`` for
the root, the company). A unit has at most one lead (``unit_lead``, a person index or
``-1``). Every person belongs to exactly one unit (``person_unit``).

Who manages whom (the rules every function here follows):

* The lead of a unit ``U`` is managed by the nearest lead strictly above ``U``: the lead of
  ``U``'s parent unit, or further up when that unit has no lead. Leadership takes
  precedence over membership, so both storage conventions give the same answer: a lead who
  belongs to the unit they lead, and a lead who belongs to the parent unit.
* Any other member of ``U`` is managed by the nearest lead at or above ``U``: ``U``'s own
  lead, or, **when ``U`` has no lead, the next lead up the tree** (a team without a lead
  reports to its parent unit's lead, and so on to the root).
* Nobody above: the person is a top (``manager == -1``). Executives lead the root unit, so
  the top executive is the only top unless the root unit has no lead.

Layers of a person = number of managers on their chain up to the top (the top has 0).
Span of a lead = number of people whose manager they are. Structure metrics describe
sellers' layers and the spans of every unit lead (the top executive included).

Indices in moves, metrics and explanations are positions in the arrays; ``as_dict()``
replaces them by the optional ``person_ids`` / ``unit_ids`` so the web layer can show them.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
MoveKind = Literal["remove_layer", "merge_units", "reattach"]
Explanation = Mapping[str, Any]

__all__ = [
    "LeadSpan",
    "Metrics",
    "Move",
    "OrgArrays",
    "OrgShapeError",
    "Proposal",
    "Shape",
    "apply",
    "layers",
    "manager_of",
    "metrics",
    "propose",
    "spans",
]

_BIG = np.iinfo(np.int64).max
# Explanation keys holding a person index / a list of person indices / a unit index.
_PERSON_KEYS = frozenset({"lead", "into_lead", "to_lead", "lifted_lead", "manager", "person"})
_PERSON_LIST_KEYS = frozenset({"leads"})
_UNIT_KEYS = frozenset({"unit", "target"})
_BLOCKING_LIST_LIMIT = 20


class OrgShapeError(ValueError):
    """Invalid organisation arrays or move; ``code`` and ``params`` are stable for the web layer."""

    def __init__(self, code: str, message: str, **params: Any) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.params = params


# --------------------------------------------------------------------------- arrays


def _int_array(name: str, values: Any) -> IntArray:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise OrgShapeError("shape", f"{name} must be one-dimensional", array=name)
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise OrgShapeError("dtype", f"{name} must hold integers", array=name)
    out = arr.astype(np.int64, copy=True)
    out.flags.writeable = False
    return out


def _bool_array(name: str, values: Any, size: int) -> BoolArray:
    arr = np.asarray(values)
    if arr.shape != (size,):
        raise OrgShapeError("shape", f"{name} must have one entry per person", array=name)
    out = arr.astype(np.bool_, copy=True)
    out.flags.writeable = False
    return out


@dataclass(frozen=True, eq=False)
class OrgArrays:
    """An organisation as arrays, validated on construction (copies, read-only).

    ``is_lead`` is the role flag; when omitted it is derived from ``unit_lead``. Metrics use
    lead *positions* (``unit_lead``), so a flagged lead without a unit has no span.
    """

    unit_parent: IntArray
    unit_lead: IntArray
    person_unit: IntArray
    is_seller: BoolArray
    is_lead: BoolArray | None = None
    person_ids: Sequence[Hashable] | None = None
    unit_ids: Sequence[Hashable] | None = None

    def __post_init__(self) -> None:
        parent = _int_array("unit_parent", self.unit_parent)
        lead = _int_array("unit_lead", self.unit_lead)
        unit = _int_array("person_unit", self.person_unit)
        n_people = unit.size
        seller = _bool_array("is_seller", self.is_seller, n_people)
        if self.is_lead is None:
            flags = np.zeros(n_people, dtype=np.bool_)
            flags[lead[(lead >= 0) & (lead < n_people)]] = True
            flags.flags.writeable = False
        else:
            flags = _bool_array("is_lead", self.is_lead, n_people)
        object.__setattr__(self, "unit_parent", parent)
        object.__setattr__(self, "unit_lead", lead)
        object.__setattr__(self, "person_unit", unit)
        object.__setattr__(self, "is_seller", seller)
        object.__setattr__(self, "is_lead", flags)
        for name, ids, size in (
            ("person_ids", self.person_ids, n_people),
            ("unit_ids", self.unit_ids, parent.size),
        ):
            if ids is None:
                continue
            labels = tuple(_jsonable(x) for x in ids)
            if len(labels) != size:
                raise OrgShapeError("shape", f"{name} must have one entry per item", array=name)
            if len(set(labels)) != size:
                raise OrgShapeError("duplicate_id", f"{name} must be unique", array=name)
            object.__setattr__(self, name, labels)
        _validate(parent, lead, unit)

    @property
    def n_people(self) -> int:
        return int(self.person_unit.size)

    @property
    def n_units(self) -> int:
        return int(self.unit_parent.size)

    @property
    def lead_flags(self) -> BoolArray:
        """The ``is_lead`` role flags (always set after construction)."""
        assert self.is_lead is not None
        return self.is_lead


def _validate(parent: IntArray, lead: IntArray, unit: IntArray) -> None:
    n_units, n_people = parent.size, unit.size
    if lead.size != n_units:
        raise OrgShapeError("shape", "unit_lead must have one entry per unit", array="unit_lead")
    if n_units == 0:
        raise OrgShapeError("root", "an organisation needs a root unit", roots=0)
    bad = np.flatnonzero((parent < -1) | (parent >= n_units))
    if bad.size:
        raise OrgShapeError("index", "unit_parent out of range", array="unit_parent", at=_ints(bad))
    bad = np.flatnonzero((lead < -1) | (lead >= n_people))
    if bad.size:
        raise OrgShapeError("index", "unit_lead out of range", array="unit_lead", at=_ints(bad))
    bad = np.flatnonzero((unit < 0) | (unit >= n_units))
    if bad.size:
        raise OrgShapeError("index", "person_unit out of range", array="person_unit", at=_ints(bad))
    roots = np.flatnonzero(parent == -1)
    if roots.size != 1:
        raise OrgShapeError("root", "exactly one unit must have no parent", roots=_ints(roots))
    _depths(parent, what="unit")  # raises on cycles
    led = np.flatnonzero(lead >= 0)
    counts = np.bincount(lead[led], minlength=n_people)
    twice = np.flatnonzero(counts > 1)
    if twice.size:
        raise OrgShapeError("lead_twice", "a person leads at most one unit", people=_ints(twice))
    home = unit[lead[led]]
    outside = led[(home != led) & (home != parent[led])]
    if outside.size:
        raise OrgShapeError(
            "lead_outside_unit",
            "a lead belongs to the unit they lead or to its parent unit",
            units=_ints(outside),
        )


def _ints(values: npt.ArrayLike, limit: int = _BLOCKING_LIST_LIMIT) -> list[int]:
    return [int(v) for v in np.asarray(values).ravel()[:limit]]


def _depths(parent: IntArray, *, what: str = "person") -> IntArray:
    """Edges from each node to its root, by pointer jumping; raises ``cycle`` on a cycle."""
    n = parent.size
    depth = (parent >= 0).astype(np.int64)
    ptr = parent.copy()
    for _ in range(max(n, 1).bit_length() + 1):
        active = np.flatnonzero(ptr >= 0)
        if active.size == 0:
            return depth
        nxt = ptr[active]
        depth[active] = depth[active] + depth[nxt]
        ptr[active] = ptr[nxt]
    stuck = np.flatnonzero(ptr >= 0)
    if stuck.size:
        raise OrgShapeError("cycle", f"the {what} tree has a cycle", what=what, at=_ints(stuck))
    return depth


# --------------------------------------------------------------------------- derived


@dataclass(frozen=True, eq=False)
class _Derived:
    lead_unit: IntArray  # per person: the unit they lead, -1
    manager: IntArray  # per person: direct manager, -1 for a top
    layers: IntArray  # per person: managers above
    spans: IntArray  # per person: direct reports

    def levels(self) -> list[IntArray]:
        """Person indices grouped by layer (index = layer), ascending within a layer."""
        order = np.argsort(self.layers, kind="stable")
        bounds = np.cumsum(np.bincount(self.layers, minlength=1))
        return np.split(order, bounds[:-1])


def _nearest_lead(parent: IntArray, lead: IntArray) -> IntArray:
    """Per unit, the nearest lead at or above it (-1 when none), by pointer doubling."""
    n = parent.size
    hop = np.where(lead >= 0, np.arange(n), parent)  # led units are fixed points
    for _ in range(max(n, 1).bit_length() + 1):
        ok = np.flatnonzero(hop >= 0)
        nxt = hop.copy()
        nxt[ok] = hop[hop[ok]]
        if np.array_equal(nxt, hop):
            break
        hop = nxt
    return np.where(hop >= 0, lead[np.maximum(hop, 0)], -1)


def _derive(parent: IntArray, lead: IntArray, unit: IntArray) -> _Derived:
    n_people = unit.size
    led = np.flatnonzero(lead >= 0)
    lead_unit = np.full(n_people, -1, dtype=np.int64)
    lead_unit[lead[led]] = led
    at_or_above = _nearest_lead(parent, lead)
    above = np.full(parent.size, -1, dtype=np.int64)
    child = parent >= 0
    above[child] = at_or_above[parent[child]]
    manager = at_or_above[unit]
    leads = lead_unit >= 0
    manager[leads] = above[lead_unit[leads]]
    depth = _depths(manager)
    has = manager >= 0
    span = np.bincount(manager[has], minlength=n_people).astype(np.int64)
    return _Derived(lead_unit=lead_unit, manager=manager, layers=depth, spans=span)


def _derive_org(org: OrgArrays) -> _Derived:
    return _derive(org.unit_parent, org.unit_lead, org.person_unit)


def manager_of(org: OrgArrays) -> IntArray:
    """Direct manager of each person (person index), -1 for a top."""
    return _derive_org(org).manager


def layers(org: OrgArrays) -> IntArray:
    """Number of managers between each person and the top (the top executive has 0)."""
    return _derive_org(org).layers


def spans(org: OrgArrays) -> IntArray:
    """Number of direct reports of each person (0 for anyone who manages nobody)."""
    return _derive_org(org).spans


def _subtree_sum(values: IntArray, d: _Derived, levels: list[IntArray]) -> IntArray:
    """Sum of ``values`` over each person and everyone under them in the manager tree."""
    acc = values.astype(np.int64, copy=True)
    for level in reversed(levels[1:]):
        np.add.at(acc, d.manager[level], acc[level])
    return acc


# --------------------------------------------------------------------------- metrics


@dataclass(frozen=True)
class Shape:
    """A target shape: sellers at most ``max_layers`` from the top, spans in bounds."""

    max_layers: int
    span_min: int
    span_max: int

    def __post_init__(self) -> None:
        for name in ("max_layers", "span_min", "span_max"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
                raise ValueError(f"{name} must be a non-negative integer")
            object.__setattr__(self, name, int(value))

    def as_dict(self) -> dict[str, int]:
        return {
            "max_layers": self.max_layers,
            "span_min": self.span_min,
            "span_max": self.span_max,
        }


@dataclass(frozen=True)
class LeadSpan:
    """A lead (person index), the unit they lead, and their span."""

    person: int
    unit: int
    span: int


class _Labels:
    """Index → public id, for ``as_dict``; the index itself when no ids were given."""

    def __init__(self, org: OrgArrays) -> None:
        self._people = org.person_ids
        self._units = org.unit_ids

    def person(self, i: int) -> Any:
        return i if self._people is None or i < 0 else self._people[i]

    def unit(self, u: int) -> Any:
        return u if self._units is None or u < 0 else self._units[u]

    def explanation(self, data: Explanation) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in data.items():
            if key in _PERSON_KEYS:
                out[key] = self.person(int(value))
            elif key in _UNIT_KEYS:
                out[key] = self.unit(int(value))
            elif key in _PERSON_LIST_KEYS:
                out[key] = [self.person(int(v)) for v in value]
            else:
                out[key] = _jsonable(value)
        return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return str(value)


@dataclass(frozen=True)
class Metrics:
    """Structure metrics of one organisation against a target shape.

    Layer figures are over sellers; span figures over every unit lead (top included);
    ``units`` counts units holding at least one person (directly or below).
    """

    shape: Shape
    people: int
    units: int
    leads: int
    sellers: int
    layers_max: int
    layers_mean: float | None
    sellers_by_layers: tuple[int, ...]
    span_mean: float | None
    span_median: float | None
    span_min: int | None
    span_max: int | None
    too_narrow: tuple[LeadSpan, ...]
    too_wide: tuple[LeadSpan, ...]
    managers_per_seller: float | None
    sellers_beyond: tuple[int, ...]
    labels: _Labels = field(repr=False, compare=False)

    @property
    def reached(self) -> bool:
        """Whether the organisation already has the target shape."""
        return not (self.too_narrow or self.too_wide or self.sellers_beyond)

    def as_dict(self) -> dict[str, Any]:
        """JSON-serialisable figures, with public ids in place of indices."""
        lab = self.labels

        def leads(items: tuple[LeadSpan, ...]) -> list[dict[str, Any]]:
            return [
                {"lead": lab.person(x.person), "unit": lab.unit(x.unit), "span": x.span}
                for x in items
            ]

        return {
            "shape": self.shape.as_dict(),
            "reached": self.reached,
            "people": self.people,
            "units": self.units,
            "leads": self.leads,
            "sellers": self.sellers,
            "layers": {
                "max": self.layers_max,
                "mean": self.layers_mean,
                "sellers_by_layers": list(self.sellers_by_layers),
            },
            "span": {
                "mean": self.span_mean,
                "median": self.span_median,
                "min": self.span_min,
                "max": self.span_max,
                "too_narrow": leads(self.too_narrow),
                "too_wide": leads(self.too_wide),
            },
            "managers_per_seller": self.managers_per_seller,
            "sellers_beyond_max_layers": {
                "max_layers": self.shape.max_layers,
                "count": len(self.sellers_beyond),
                "sellers": [lab.person(i) for i in self.sellers_beyond],
            },
        }


def metrics(org: OrgArrays, *, span_min: int, span_max: int, max_layers: int) -> Metrics:
    """Layers, spans and out-of-bounds leads/sellers of ``org`` against the given shape."""
    shape = Shape(max_layers=max_layers, span_min=span_min, span_max=span_max)
    return _metrics(org, _derive_org(org), shape)


def _occupied_units(org: OrgArrays) -> int:
    depth = _depths(org.unit_parent, what="unit")
    count = np.bincount(org.person_unit, minlength=org.n_units).astype(np.int64)
    order = np.argsort(-depth, kind="stable")
    bounds = np.cumsum(np.bincount(depth.max() - depth))
    for level in np.split(order, bounds[:-1]):
        child = level[org.unit_parent[level] >= 0]
        np.add.at(count, org.unit_parent[child], count[child])
    return int(np.count_nonzero(count))


def _metrics(org: OrgArrays, d: _Derived, shape: Shape) -> Metrics:
    seller = org.is_seller
    seller_layers = d.layers[seller]
    n_sellers = int(seller_layers.size)
    led_units = np.flatnonzero(org.unit_lead >= 0)
    lead_people = org.unit_lead[led_units]
    lead_spans = d.spans[lead_people]
    n_leads = int(lead_people.size)

    def out_of_bounds(mask: BoolArray) -> tuple[LeadSpan, ...]:
        idx = np.flatnonzero(mask)
        idx = idx[np.lexsort((lead_people[idx], lead_spans[idx]))]
        return tuple(
            LeadSpan(int(lead_people[i]), int(led_units[i]), int(lead_spans[i])) for i in idx
        )

    beyond = np.flatnonzero(seller & (d.layers > shape.max_layers))
    return Metrics(
        shape=shape,
        people=org.n_people,
        units=_occupied_units(org),
        leads=n_leads,
        sellers=n_sellers,
        layers_max=int(seller_layers.max()) if n_sellers else 0,
        layers_mean=float(seller_layers.mean()) if n_sellers else None,
        sellers_by_layers=tuple(int(c) for c in np.bincount(seller_layers)),
        span_mean=float(lead_spans.mean()) if n_leads else None,
        span_median=float(np.median(lead_spans)) if n_leads else None,
        span_min=int(lead_spans.min()) if n_leads else None,
        span_max=int(lead_spans.max()) if n_leads else None,
        too_narrow=out_of_bounds(lead_spans < shape.span_min),
        too_wide=out_of_bounds(lead_spans > shape.span_max),
        managers_per_seller=n_leads / n_sellers if n_sellers else None,
        sellers_beyond=tuple(int(i) for i in beyond),
        labels=_Labels(org),
    )


# --------------------------------------------------------------------------- moves


@dataclass(frozen=True)
class Move:
    """One change to the organisation; indices refer to the organisation proposed on.

    * ``remove_layer``: ``person`` leads ``unit``; the position is removed. The unit stays,
      without a lead, so its members and the leads of its child units report to the lead's
      own manager (the next-lead-up rule). The former lead stays in their unit as a seller.
    * ``merge_units``: ``unit`` is merged into ``target`` (a sibling or the parent): its
      members move to ``target``, its child units are reattached to ``target``, and its lead
      (``person``, or -1) becomes a seller in ``target``. ``unit`` is left empty, kept so
      indices stay stable.
    * ``reattach``: with ``person == -1``, ``unit`` moves under ``target`` (its lead moves
      along when they belong to the old parent unit); with ``unit == -1``, ``person`` (who
      leads no unit) moves to unit ``target``.

    ``explanation`` is structured (``code`` plus numbers) for the web layer to translate.
    """

    kind: MoveKind
    person: int = -1
    unit: int = -1
    target: int = -1
    explanation: Explanation = field(default_factory=dict)

    def as_dict(self, labels: _Labels | None = None) -> dict[str, Any]:
        if labels is None:
            return {
                "kind": self.kind,
                "person": self.person,
                "unit": self.unit,
                "target": self.target,
                "explanation": {k: _jsonable(v) for k, v in self.explanation.items()},
            }
        return {
            "kind": self.kind,
            "person": labels.person(self.person) if self.person >= 0 else None,
            "unit": labels.unit(self.unit) if self.unit >= 0 else None,
            "target": labels.unit(self.target) if self.target >= 0 else None,
            "explanation": labels.explanation(self.explanation),
        }


class _Work:
    """Mutable copy of an organisation that plays moves (shared by ``apply`` and ``propose``)."""

    def __init__(self, org: OrgArrays) -> None:
        self.org = org
        self.parent = org.unit_parent.copy()
        self.lead = org.unit_lead.copy()
        self.unit = org.person_unit.copy()
        self.seller = org.is_seller.copy()
        self.is_lead = org.lead_flags.copy()
        self.moves: list[Move] = []

    def derive(self) -> _Derived:
        return _derive(self.parent, self.lead, self.unit)

    def record(self, move: Move) -> None:
        self.play(move, len(self.moves))
        self.moves.append(move)

    def result(self) -> OrgArrays:
        return OrgArrays(
            unit_parent=self.parent,
            unit_lead=self.lead,
            person_unit=self.unit,
            is_seller=self.seller,
            is_lead=self.is_lead,
            person_ids=self.org.person_ids,
            unit_ids=self.org.unit_ids,
        )

    def _bad(self, index: int, move: Move, reason: str) -> OrgShapeError:
        return OrgShapeError("invalid_move", reason, index=index, kind=move.kind)

    def _check_unit(self, u: int, index: int, move: Move) -> None:
        if not 0 <= u < self.parent.size:
            raise self._bad(index, move, "unit index out of range")

    def _inside(self, u: int, root: int) -> bool:
        """Whether unit ``u`` is ``root`` or below it."""
        for _ in range(self.parent.size + 1):
            if u == root:
                return True
            if u < 0:
                return False
            u = int(self.parent[u])
        return False

    def _demote(self, p: int) -> None:
        self.is_lead[p] = False
        self.seller[p] = True

    def play(self, move: Move, index: int) -> None:
        p, u, t = move.person, move.unit, move.target
        if move.kind == "remove_layer":
            self._check_unit(u, index, move)
            if p < 0 or self.lead[u] != p:
                raise self._bad(index, move, "person does not lead unit")
            if self.parent[u] < 0:
                raise self._bad(index, move, "the top position cannot be removed")
            self.lead[u] = -1
            self._demote(p)
        elif move.kind == "merge_units":
            self._check_unit(u, index, move)
            self._check_unit(t, index, move)
            if self.parent[u] < 0 or self._inside(t, u):
                raise self._bad(index, move, "target is inside the merged unit")
            if p != self.lead[u]:
                raise self._bad(index, move, "person is not the lead of the merged unit")
            self.unit[self.unit == u] = t
            self.parent[self.parent == u] = t
            if p >= 0:
                self.lead[u] = -1
                self.unit[p] = t
                self._demote(p)
        elif move.kind == "reattach" and p < 0:
            self._check_unit(u, index, move)
            self._check_unit(t, index, move)
            if self.parent[u] < 0 or self._inside(t, u):
                raise self._bad(index, move, "target is inside the reattached unit")
            old = self.parent[u]
            self.parent[u] = t
            head = self.lead[u]
            if head >= 0 and self.unit[head] == old:
                self.unit[head] = t
        elif move.kind == "reattach" and u < 0:
            self._check_unit(t, index, move)
            if p >= self.unit.size or np.any(self.lead == p):
                raise self._bad(index, move, "a lead moves with their unit, not alone")
            self.unit[p] = t
        else:
            raise self._bad(index, move, "unknown move")


def apply(org: OrgArrays, moves: Sequence[Move]) -> OrgArrays:
    """The organisation after ``moves`` (a pure what-if; ``org`` is unchanged)."""
    work = _Work(org)
    for index, move in enumerate(moves):
        work.play(move, index)
    return work.result()


# --------------------------------------------------------------------------- proposal


@dataclass(frozen=True)
class Proposal:
    """Moves towards a shape, with metrics before and after and what blocks it if anything."""

    shape: Shape
    moves: tuple[Move, ...]
    before: Metrics
    after: Metrics
    reached: bool
    blocking: tuple[Mapping[str, Any], ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON-serialisable proposal, with public ids in place of indices."""
        lab = self.before.labels
        return {
            "shape": self.shape.as_dict(),
            "reached": self.reached,
            "blocking": [lab.explanation(b) for b in self.blocking],
            "moves": [m.as_dict(lab) for m in self.moves],
            "before": self.before.as_dict(),
            "after": self.after.as_dict(),
        }


def _capacity(span_max: int, max_layers: int, limit: int) -> int:
    """People a single top can have within ``max_layers`` with spans ≤ ``span_max``.

    1 + s + s² + … + s^L, stopped once it exceeds ``limit`` (the exact value is not needed).
    """
    total, level = 1, 1
    for _ in range(max_layers):
        level *= span_max
        total += level
        if total > limit:
            break
    return total


def _necessary(org: OrgArrays, shape: Shape) -> list[dict[str, Any]]:
    """Constraints no sequence of moves can satisfy (checked before any heuristic)."""
    blocking: list[dict[str, Any]] = []
    if shape.span_min > shape.span_max:
        blocking.append(
            {"code": "span_bounds_inverted", "min": shape.span_min, "max": shape.span_max}
        )
    root = int(np.flatnonzero(org.unit_parent == -1)[0])
    if org.unit_lead[root] < 0:
        return blocking  # several tops: no single capacity bound
    n_sellers = int(np.count_nonzero(org.is_seller))
    capacity = _capacity(shape.span_max, shape.max_layers, n_sellers)
    if n_sellers > capacity:
        blocking.append(
            {
                "code": "capacity",
                "sellers": n_sellers,
                "max_layers": shape.max_layers,
                "span_max": shape.span_max,
                "capacity": capacity,
            }
        )
    if org.n_people - 1 < shape.span_min:
        blocking.append({"code": "too_few_people", "people": org.n_people, "min": shape.span_min})
    return blocking


def _cut_depth(work: _Work, shape: Shape) -> None:
    """Remove intermediate lead positions until no seller is deeper than ``max_layers``.

    Each round scores every non-top lead with too-deep sellers under them: first whether
    their manager's span would stay within ``span_max``, then span / too-deep sellers
    lifted (narrow leads lifting many sellers first: on the AdventureWorks org this
    removes the vice-president in one move rather than three regional managers), and
    removes every lead that scores better than all candidates
    above and below it. The chosen leads never share a chain, so no chain loses more than
    one layer per round.
    """
    n = work.unit.size
    for _ in range(work.parent.size + 1):
        d = work.derive()
        deep = work.seller & (d.layers > shape.max_layers)
        if not deep.any():
            return
        levels = d.levels()
        deep_int = deep.astype(np.int64)
        below = _subtree_sum(deep_int, d, levels) - deep_int
        cand = np.flatnonzero((d.lead_unit >= 0) & (d.manager >= 0) & (below > 0))
        if cand.size == 0:
            return
        score = d.spans[cand] / below[cand]
        overflow = d.spans[d.manager[cand]] + d.spans[cand] > shape.span_max
        rank = np.full(n, _BIG, dtype=np.int64)
        rank[cand[np.lexsort((cand, score, overflow))]] = np.arange(cand.size)
        above = np.full(n, _BIG, dtype=np.int64)
        for level in levels[1:]:
            boss = d.manager[level]
            above[level] = np.minimum(above[boss], rank[boss])
        under = np.full(n, _BIG, dtype=np.int64)
        for level in reversed(levels[1:]):
            np.minimum.at(under, d.manager[level], np.minimum(under[level], rank[level]))
        chosen = cand[(rank[cand] < above[cand]) & (rank[cand] < under[cand])]
        for p in chosen[np.argsort(rank[chosen])]:
            p = int(p)
            work.record(
                Move(
                    "remove_layer",
                    person=p,
                    unit=int(d.lead_unit[p]),
                    explanation={
                        "code": "too_deep",
                        "lead": p,
                        "span": int(d.spans[p]),
                        "sellers_too_deep": int(below[p]),
                        "max_layers": shape.max_layers,
                    },
                )
            )


def _lead_layers(d: _Derived) -> range:
    lead_layers = d.layers[d.lead_unit >= 0]
    top = int(lead_layers.max()) if lead_layers.size else -1
    return range(top, -1, -1)


def _merge_narrow(work: _Work, shape: Shape) -> None:
    """Merge teams whose lead's span is below ``span_min``, deepest layer first.

    Into the sibling team (same manager) with the most room that stays within
    ``span_max``; else into the parent unit when the manager has room. A top executive
    whose span is too narrow instead lifts their narrowest lead reports (``remove_layer``).
    """
    for layer in _lead_layers(work.derive()):
        d = work.derive()
        span = d.spans.copy()
        alive = d.lead_unit >= 0
        here = np.flatnonzero(alive & (d.layers == layer))
        narrow = here[span[here] < shape.span_min]
        narrow = narrow[np.lexsort((narrow, span[narrow]))]
        for t in (int(x) for x in narrow):
            if not alive[t] or span[t] >= shape.span_min:
                continue
            boss = int(d.manager[t])
            if boss < 0:
                _widen_top(work, shape, d, span, alive, t)
                continue
            team = int(d.lead_unit[t])
            explanation = {
                "code": "span_too_narrow",
                "lead": t,
                "span": int(span[t]),
                "min": shape.span_min,
            }
            sib = np.flatnonzero(alive & (d.manager == boss))
            sib = sib[(sib != t) & (span[sib] + span[t] + 1 <= shape.span_max)]
            if sib.size:
                s = int(sib[np.argmax(shape.span_max - span[sib])])
                target = int(d.lead_unit[s])
                span[s] += span[t] + 1
                span[boss] -= 1
                explanation |= {"into_lead": s, "into": "sibling"}
            elif span[boss] + span[t] <= shape.span_max:
                target = int(work.parent[team])
                span[boss] += span[t]
                explanation |= {"into_lead": boss, "into": "parent"}
            else:
                continue
            span[t] = 0
            alive[t] = False
            work.record(
                Move("merge_units", person=t, unit=team, target=target, explanation=explanation)
            )


def _widen_top(
    work: _Work, shape: Shape, d: _Derived, span: IntArray, alive: BoolArray, top: int
) -> None:
    reports = np.flatnonzero(alive & (d.manager == top))
    for r in (int(x) for x in reports[np.lexsort((reports, span[reports]))]):
        if span[top] >= shape.span_min:
            return
        if span[r] == 0 or span[top] + span[r] > shape.span_max:
            continue
        work.record(
            Move(
                "remove_layer",
                person=r,
                unit=int(d.lead_unit[r]),
                explanation={
                    "code": "top_span_too_narrow",
                    "lead": top,
                    "span": int(span[top]),
                    "min": shape.span_min,
                    "lifted_lead": r,
                },
            )
        )
        span[top] += span[r]
        span[r] = 0
        alive[r] = False


def _rebalance_wide(work: _Work, shape: Shape) -> None:
    """Reattach reports of leads above ``span_max`` to sibling leads with room, deepest first.

    Non-lead reports move first (to the sibling's unit), then whole child teams (the unit
    is reattached). With no sibling room, reports go up to the lead's manager if they have
    room (which also shortens those chains).
    """
    for layer in _lead_layers(work.derive()):
        d = work.derive()
        span = d.spans.copy()
        leads = d.lead_unit >= 0
        here = np.flatnonzero(leads & (d.layers == layer))
        wide = here[span[here] > shape.span_max]
        wide = wide[np.lexsort((wide, -span[wide]))]
        for x in (int(v) for v in wide):
            boss = int(d.manager[x])
            sib = np.flatnonzero(leads & (d.manager == boss)) if boss >= 0 else here[:0]
            sib = sib[sib != x]
            reports = np.flatnonzero(d.manager == x)
            reports = reports[np.lexsort((reports, d.lead_unit[reports] >= 0))]
            start = int(span[x])
            for r in (int(v) for v in reports):
                if span[x] <= shape.span_max:
                    break
                room = shape.span_max - span[sib]
                if sib.size and room.max() > 0:
                    to = int(sib[np.argmax(room)])
                elif boss >= 0 and span[boss] < shape.span_max:
                    to = boss
                else:
                    break
                explanation = {
                    "code": "span_too_wide",
                    "lead": x,
                    "span": start,
                    "max": shape.span_max,
                    "to_lead": to,
                }
                dest = int(d.lead_unit[to])
                if d.lead_unit[r] >= 0:
                    move = Move(
                        "reattach", unit=int(d.lead_unit[r]), target=dest, explanation=explanation
                    )
                else:
                    move = Move("reattach", person=r, target=dest, explanation=explanation)
                work.record(move)
                span[x] -= 1
                span[to] += 1


def _residual(after: Metrics) -> list[dict[str, Any]]:
    shape = after.shape
    out: list[dict[str, Any]] = []
    if after.sellers_beyond:
        out.append(
            {
                "code": "too_deep",
                "sellers": len(after.sellers_beyond),
                "max_layers": shape.max_layers,
                "deepest": after.layers_max,
            }
        )
    for code, items, bound in (
        ("span_too_narrow", after.too_narrow, {"min": shape.span_min}),
        ("span_too_wide", after.too_wide, {"max": shape.span_max}),
    ):
        if items:
            out.append(
                {
                    "code": code,
                    "count": len(items),
                    "leads": [x.person for x in items[:_BLOCKING_LIST_LIMIT]],
                    **bound,
                }
            )
    return out


def propose(org: OrgArrays, *, max_layers: int, span_min: int, span_max: int) -> Proposal:
    """A short greedy list of moves towards the shape, with before/after metrics.

    Phases: cut depth (``remove_layer``), merge narrow teams (``merge_units``), rebalance
    wide spans (``reattach``). ``reached`` is judged on ``apply(org, moves)``; when False,
    ``blocking`` lists the constraints no move can satisfy (``span_bounds_inverted``,
    ``capacity``, ``too_few_people``) followed by what the heuristic left
    (``too_deep``, ``span_too_narrow``, ``span_too_wide``). The moves are kept either way,
    as the best effort towards the shape.
    """
    shape = Shape(max_layers=max_layers, span_min=span_min, span_max=span_max)
    before = _metrics(org, _derive_org(org), shape)
    blocking = _necessary(org, shape)
    work = _Work(org)
    if not before.reached and shape.span_min <= shape.span_max:
        _cut_depth(work, shape)
        _merge_narrow(work, shape)
        _rebalance_wide(work, shape)
    moves = tuple(work.moves)
    after = metrics(apply(org, moves), **shape.as_dict()) if moves else before
    if after.reached:
        blocking = []
    else:
        blocking += _residual(after)
    return Proposal(
        shape=shape,
        moves=moves,
        before=before,
        after=after,
        reached=after.reached,
        blocking=tuple(blocking),
    )
