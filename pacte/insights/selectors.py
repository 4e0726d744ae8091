"""Reads of attainment and forecasts: the cube, snapshots and targets, never raw sales.

The figures of a *scope* (the company, a team, a seller, optionally one channel) are built
from monthly arrays (fiscal order, 12 months) of target, objective and actual, then summed
over the period asked for. Forecasts are computed with :mod:`pacte.lib.forecast`.

Public hooks for the sales app (period close):

- ``closed_month_policy(workspace) -> (frozenset of closed Month.index, policy)``
- ``is_month_closed(workspace, month_index) -> bool``
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db.models import Max, Sum
from django.http import Http404
from django.utils.translation import gettext as _

from pacte.accounts.access import get_scoped
from pacte.accounts.models import Membership, Workspace
from pacte.errors import DomainError
from pacte.insights import cache, sources
from pacte.insights.models import (
    ActualSnapshot,
    ClosedMonth,
    DigestPreference,
    ForecastSnapshot,
    InsightSettings,
    Judgment,
    LatePolicy,
)
from pacte.lib import forecast as fc
from pacte.lib.fiscal import FiscalCalendar, Month, PeriodKind
from pacte.org import visibility
from pacte.org.models import Placement, Unit
from pacte.org.visibility import Tree
from pacte.sales.models import Channel, CubeCell

IntArray = npt.NDArray[np.int64]
HISTORY_YEARS = 2
DEFAULT_CV = 0.3
SIMULATIONS = 500  # per page: ±2.2 points of standard error at worst, seeded
SNAPSHOT_SIMULATIONS = 2000  # monthly snapshots (accuracy tracking) keep the finer figure


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


# ------------------------------------------------------------------ periods
def calendar_of(workspace: Workspace) -> FiscalCalendar:
    return FiscalCalendar(workspace.fiscal_year_start_month)


@dataclass(frozen=True)
class PeriodChoice:
    """The period a page or an API call asked for: a fiscal year, quarter, month, or YTD."""

    fy: int
    kind: str  # year | quarter | month | ytd
    key: str
    positions: range  # fiscal month positions 0..11 covered
    as_of: int  # Month.index of the as-of month (may be outside the year)


def latest_data_month(workspace: Workspace) -> int | None:
    def compute() -> tuple[int | None]:
        return (CubeCell.objects.for_workspace(workspace).aggregate(m=Max("month"))["m"],)

    return cache.cached((*cache.cube_part(workspace), "latest"), compute)[0]


def resolve_period(
    workspace: Workspace,
    key: str | None,
    *,
    today: datetime.date | None = None,
    latest: int | bool | None = False,
) -> PeriodChoice:
    """Parse ``FY2027``, ``FY2027-Q2``, ``FY2027-M03`` or ``FY2027-YTD``; default: the current
    fiscal year (or the latest year with sales when the current one has none). Unknown keys
    raise ``DomainError(code="invalid_period", field="period")``."""
    cal = calendar_of(workspace)
    today = today or sources.today()
    now_index = Month.of(today).index
    if not key:
        fy = cal.year_of(today)
        if latest is False:
            latest = latest_data_month(workspace)
        if isinstance(latest, int) and latest < cal.first_month_index(fy):
            fy = int(cal.fiscal_year_of_month_index(latest))
        key = f"FY{fy:04d}"
    ytd = key.endswith("-YTD")
    try:
        period = cal.parse_period(key[:-4] if ytd else key)
        if ytd and period.kind is not PeriodKind.YEAR:
            raise ValueError(key)
    except ValueError:
        raise DomainError(
            _("Unknown period “%(key)s”: use FY2027, FY2027-Q2, FY2027-M03 or FY2027-YTD.")
            % {"key": key},
            code="invalid_period",
            field="period",
        ) from None
    fy = period.fy
    first = cal.first_month_index(fy)
    as_of = min(max(now_index, first - 1), first + 11)
    start = period.month_indexes.start - first
    stop = period.month_indexes.stop - first
    if ytd:
        return PeriodChoice(fy, "ytd", key, range(0, max(0, as_of - first + 1)), as_of)
    return PeriodChoice(fy, period.kind.value, period.key, range(start, stop), as_of)


def summary_periods(choice: PeriodChoice, workspace: Workspace) -> list[tuple[str, str, range]]:
    """(code, key, positions) of month, quarter, year-to-date and year around the as-of month."""
    cal = calendar_of(workspace)
    first = cal.first_month_index(choice.fy)
    pos = min(max(choice.as_of - first, 0), 11)
    if choice.kind in ("month", "quarter") and choice.positions:
        pos = min(max(pos, choice.positions.start), choice.positions.stop - 1)
    month = cal.month(choice.fy, pos + 1)
    quarter = cal.quarter(choice.fy, pos // 3 + 1)
    return [
        ("month", month.key, range(pos, pos + 1)),
        ("quarter", quarter.key, range(pos // 3 * 3, pos // 3 * 3 + 3)),
        ("ytd", f"FY{choice.fy:04d}-YTD", range(0, max(0, choice.as_of - first + 1))),
        ("year", f"FY{choice.fy:04d}", range(0, 12)),
    ]


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
    return get_scoped(Channel.objects.for_workspace(viewer.workspace), public_id)


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


# ------------------------------------------------------------------ the monthly frame
@dataclass
class Frame:
    """Monthly figures (fiscal order) of groups of one scope."""

    keys: list[Any]
    target: IntArray
    objective: IntArray
    actual: IntArray
    history: npt.NDArray[np.float64]  # (G, HISTORY_YEARS, 12), NaN where unknown
    has_target: npt.NDArray[np.bool_]
    has_objective: npt.NDArray[np.bool_]
    fy: int
    elapsed: int  # fiscal months fully before the as-of month
    current: int | None  # position of the as-of month when inside the year
    forecast_by_month: IntArray = field(default_factory=lambda: np.zeros((0, 12), np.int64))
    forecast_valid: npt.NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, bool))
    remaining: npt.NDArray[np.float64] | None = None
    cv: npt.NDArray[np.float64] | None = None

    def index(self, key: Any) -> int:
        return self.keys.index(key)


def _closed_rows(workspace: Workspace) -> list[tuple[int, int]]:
    """(month, id) of the closed months, read once per request (a reopened and closed again
    month gets a new id: cached actuals keyed on these never outlive its snapshot)."""
    memo = sources.memo(workspace)
    if "closed" not in memo:
        memo["closed"] = sorted(
            ClosedMonth.objects.for_workspace(workspace).values_list("month", "pk")
        )
    return memo["closed"]


def _closed_in(workspace: Workspace, months: range) -> list[int]:
    return [m for m, _pk in _closed_rows(workspace) if m in months]


def _actuals_part(workspace: Workspace, closed: Sequence[int]) -> tuple[Any, ...]:
    rows = dict(_closed_rows(workspace))
    return (*cache.cube_part(workspace), tuple((m, rows.get(m)) for m in closed))


def actual_rows(
    workspace: Workspace,
    months: range,
    by: Sequence[str],
    *,
    overlay: bool,
    closed: Sequence[int] = (),
    per_month: bool = True,
    **filters: Any,
) -> list[tuple[Any, ...]]:
    """Actuals per ``by`` keys and month: the cube for open months, the frozen snapshot for
    closed ones. ``overlay`` adds overlay credits (a seller's own attainment)."""
    if not overlay and "seller" not in by and filters.get("seller_id") is None:
        return _project(
            _fine_actuals(workspace, months, closed, filters.get("unit_ids")),
            by,
            channel_id=filters.get("channel_id"),
            per_month=per_month,
        )

    def compute(source: str) -> list[tuple[Any, ...]]:
        return _actual_rows_sql(
            workspace,
            months,
            by,
            overlay=overlay,
            closed=closed,
            per_month=per_month,
            source=source,
            **filters,
        )

    if filters.get("seller_id") is not None:
        return compute("both")  # one seller's rows: an indexed read, not worth a cache entry
    parts = (
        "rows",
        months.start,
        months.stop,
        tuple(by),
        overlay,
        per_month,
        cache.filters_part(filters),
    )
    opened, frozen = _cached_split(workspace, closed, parts, compute)
    return opened if frozen is None else [*opened, *frozen]


def open_ranges(months: range, closed: Sequence[int]) -> list[range]:
    """The runs of months of ``months`` that are not closed (usually one: the months after the
    last close), so that a read of the cube does not walk the closed months' rows."""
    shut = set(closed)
    out: list[range] = []
    begin: int | None = None
    for m in months:
        if m in shut:
            if begin is not None:
                out.append(range(begin, m))
                begin = None
        elif begin is None:
            begin = m
    if begin is not None:
        out.append(range(begin, months.stop))
    return out


def _actual_rows_sql(
    workspace: Workspace,
    months: range,
    by: Sequence[str],
    *,
    overlay: bool,
    closed: Sequence[int] = (),
    per_month: bool = True,
    source: str = "both",
    **filters: Any,
) -> list[tuple[Any, ...]]:
    """Actual rows of the cube for the open months of ``months`` and of the frozen snapshots
    for its ``closed`` ones (``source``: ``"cube"`` or ``"snapshot"`` for one side only)."""
    fields = [sources.FIELDS[b] for b in by]
    out: list[tuple[Any, ...]] = []
    group = [*fields, "month"] if per_month else fields
    reads: list[Any] = []

    def grouped(qs: Any) -> Any:
        qs = sources._filter(qs, filters)
        return qs.values(*group).annotate(s=Sum("split_amount"), o=Sum("overlay_amount")).order_by()

    if source in ("both", "cube"):
        # one range per run of open months, each an index range; several are one statement
        # (UNION ALL): an OR of ranges makes SQLite give up the index
        parts = [
            grouped(
                CubeCell.objects.for_workspace(workspace).filter(
                    month__gte=r.start, month__lt=r.stop
                )
            )
            for r in open_ranges(months, closed)
        ]
        if parts:
            reads.append(parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0])
    if source in ("both", "snapshot") and closed:
        reads.append(
            grouped(ActualSnapshot.objects.for_workspace(workspace).filter(month__in=list(closed)))
        )
    for rows in reads:
        for r in rows:
            amount = int(r["s"] or 0) + (int(r["o"] or 0) if overlay else 0)
            out.append((*(r[f] for f in fields), r.get("month"), amount))
    return out


def _snapshot_part(workspace: Workspace, closed: Sequence[int]) -> tuple[Any, ...]:
    """What the frozen actuals of ``closed`` months depend on: only their closes (a reopened
    then closed month gets a new id), not the cube: a change to the cube leaves them cached."""
    rows = dict(_closed_rows(workspace))
    return ("snapshot", workspace.pk, tuple((m, rows.get(m)) for m in closed))


def _cached_split(
    workspace: Workspace,
    closed: Sequence[int],
    parts: tuple[Any, ...],
    compute: Any,
) -> tuple[Any, Any]:
    """(open months' value, closed months' value): the first cached under the cube version,
    the second under the closes only, so that after a change to the cube only the open months
    are read again."""
    opened = cache.cached((*_actuals_part(workspace, closed), *parts), lambda: compute("cube"))
    if not closed:
        return opened, None
    frozen = cache.cached((*_snapshot_part(workspace, closed), *parts), lambda: compute("snapshot"))
    return opened, frozen


def sum_by_key(rows: Sequence[tuple[Any, ...]]) -> tuple[IntArray, IntArray]:
    """(sorted distinct keys, exact int64 sum of the amounts) of ``(key, …, amount)`` rows;
    rows without a key are left out."""
    keyed = [r for r in rows if r[0] is not None]
    if not keyed:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    keys = np.fromiter((r[0] for r in keyed), np.int64, len(keyed))
    amounts = np.fromiter((r[-1] for r in keyed), np.int64, len(keyed))
    ids, inverse = np.unique(keys, return_inverse=True)
    sums = np.zeros(ids.size, np.int64)
    np.add.at(sums, inverse.reshape(-1), amounts)
    return ids, sums


def seller_actual_totals(
    workspace: Workspace, months: range, *, closed: Sequence[int], **filters: Any
) -> tuple[IntArray, IntArray]:
    """Each seller's own actual (split + overlay) over ``months``: sorted seller ids and exact
    sums, cached as two arrays (a ranking of 10,000 sellers reads them back in microseconds,
    where a list of 10,000 rows took milliseconds to unpickle and walk)."""

    def compute(source: str) -> tuple[IntArray, IntArray]:
        return sum_by_key(
            _actual_rows_sql(
                workspace,
                months,
                ["seller"],
                overlay=True,
                closed=closed,
                per_month=False,
                source=source,
                **filters,
            )
        )

    if filters.get("seller_id") is not None:
        return compute("both")
    parts = ("seller_totals", months.start, months.stop, cache.filters_part(filters))
    opened, frozen = _cached_split(workspace, closed, parts, compute)
    if frozen is None or not frozen[0].size:
        return opened
    ids = np.concatenate([opened[0], frozen[0]])
    sums = np.concatenate([opened[1], frozen[1]])
    keys, inverse = np.unique(ids, return_inverse=True)
    total = np.zeros(keys.size, np.int64)
    np.add.at(total, inverse.reshape(-1), sums)
    return keys, total


def seller_target_totals(
    workspace: Workspace, fiscal_year: int, months: range, **filters: Any
) -> tuple[IntArray, IntArray]:
    """Each seller's target over ``months``: sorted seller ids and exact sums, cached as two
    arrays under the plan fingerprint."""

    def compute() -> tuple[IntArray, IntArray]:
        return sum_by_key(
            sources._target_rows(
                workspace, fiscal_year, months, ["seller"], per_month=False, **filters
            )
        )

    if filters.get("seller_id") is not None:
        return compute()
    parts = (
        *sources.plan_part(workspace, fiscal_year),
        "target_totals",
        months.start,
        months.stop,
        cache.filters_part(filters),
    )
    return cache.cached(parts, compute)


def _fine_actuals(
    workspace: Workspace, months: range, closed: Sequence[int], unit_ids: Sequence[int] | None
) -> IntArray:
    """Split actuals per (unit, channel, month) of a span, as an ``(n, 4)`` int array, read
    once per request: the company, team and channel frames of a page are projections of it
    (one scan of the cube instead of one per frame)."""
    key = (
        "fine",
        months.start,
        months.stop,
        tuple(closed),
        None if unit_ids is None else tuple(unit_ids),
    )
    memo = sources.memo(workspace)
    if key not in memo:
        filters: dict[str, Any] = {} if unit_ids is None else {"unit_ids": list(unit_ids)}

        def compute(source: str) -> IntArray:
            rows = _actual_rows_sql(
                workspace,
                months,
                ["unit", "channel"],
                overlay=False,
                closed=closed,
                source=source,
                **filters,
            )
            if not rows:
                return np.zeros((0, 4), np.int64)
            return np.array(rows, dtype=np.int64).reshape(-1, 4)

        parts = ("fine", months.start, months.stop, cache.filters_part(filters))
        opened, frozen = _cached_split(workspace, closed, parts, compute)
        memo[key] = opened if frozen is None else np.concatenate([opened, frozen])
    return memo[key]


def _project(
    fine: IntArray, by: Sequence[str], *, channel_id: int | None, per_month: bool
) -> list[tuple[Any, ...]]:
    """Rows like :func:`actual_rows` summed exactly (int64) from the fine array."""
    if channel_id is not None:
        fine = fine[fine[:, 1] == channel_id]
    cols = [{"unit": 0, "channel": 1}[b] for b in by] + ([2] if per_month else [])
    if fine.shape[0] == 0:
        return []
    if not cols:
        return [(None, int(fine[:, 3].sum()))]
    keys, inverse = np.unique(fine[:, cols], axis=0, return_inverse=True)
    sums = np.zeros(keys.shape[0], np.int64)
    np.add.at(sums, inverse.reshape(-1), fine[:, 3])
    out = []
    for k, amount in zip(keys.tolist(), sums.tolist(), strict=True):
        out.append((*k, amount) if per_month else (*k, None, amount))
    return out


def build_frame(
    workspace: Workspace,
    choice: PeriodChoice,
    *,
    by: str | None,
    keys: Sequence[Any] | None = None,
    key_map: dict[Any, Any] | None = None,
    history: bool = True,
    **filters: Any,
) -> Frame:
    """Monthly arrays of one scope, grouped ``by`` seller, unit, channel or nothing.

    ``key_map`` maps the SQL key (e.g. a unit id) to a group key (its team); rows whose key is
    not in it are dropped. ``keys`` fixes the groups and their order (others are dropped).

    Sums are accumulated with NumPy (exact int64, ``np.add.at``), never a Python loop per row:
    the company, team and channel frames read the cached fine array of the cube directly.
    """
    cal = calendar_of(workspace)
    first = cal.first_month_index(choice.fy)
    year = range(first, first + 12)
    span = range(first - 12 * HISTORY_YEARS, first + 12) if history else year
    sql_by = [by] if by else []
    overlay = by == "seller" or filters.get("seller_id") is not None
    closed = _closed_in(workspace, span)
    actual = _actual_source(workspace, span, sql_by, overlay=overlay, closed=closed, **filters)
    target = _rows_source(sources.target_rows(workspace, choice.fy, year, sql_by, **filters))
    objective = _rows_source(sources.objective_rows(workspace, choice.fy, year, sql_by, **filters))

    def group(raw: Any) -> Any:
        if key_map is not None:
            return key_map.get(raw, _DROP)
        return raw

    parts = (actual, target, objective)
    if keys is None:
        if by:
            found: dict[Any, None] = {}
            for src in parts:
                for raw in src.distinct():
                    g = group(raw)
                    if g is not _DROP:
                        found[g] = None
            keys = sorted(found, key=lambda k: (k is None, k))
        else:
            keys = [None]
    keys = list(keys)
    pos = {k: i for i, k in enumerate(keys)}
    n = len(keys)
    arr = {name: np.zeros((n, 12), np.int64) for name in ("a", "t", "o")}
    hist = np.zeros((n, HISTORY_YEARS, 12), np.float64)
    has = {name: np.zeros(n, bool) for name in ("a", "t", "o")}
    for name, src in zip(("a", "t", "o"), parts, strict=True):
        if not src.size:
            continue
        if by:
            lut = {raw: pos.get(group(raw), -1) for raw in src.distinct()}
            g = src.index_by(lut)
        else:
            g = np.zeros(src.size, np.int64)
        keep = g >= 0
        g, month, amount = g[keep], src.months[keep], src.amounts[keep]
        now = month >= first
        np.add.at(arr[name], (g[now], month[now] - first), amount[now])
        has[name][g[now]] = True
        past = ~now
        if past.any():
            back = (first - month[past] - 1) // 12  # 0 = last year
            np.add.at(
                hist,
                (g[past], HISTORY_YEARS - 1 - back, (month[past] - first) % 12),
                amount[past].astype(np.float64),
            )
    # Months before the group's first sale are unknown, not zero: a year that starts part-way
    # (the seller joined, or the data begins, in December) is then left out of the seasonality
    # instead of putting the whole year's weight on its few months.
    flat = hist.reshape(len(hist), HISTORY_YEARS * 12)
    started = np.cumsum(flat != 0, axis=1) > 0
    flat[~started] = np.nan
    hist = flat.reshape(hist.shape)
    elapsed = min(max(choice.as_of - first, 0), 12)
    current = choice.as_of - first if first <= choice.as_of < first + 12 else None
    if (
        choice.as_of >= first + 11
        and current == 11
        and Month.from_index(choice.as_of).last_day < sources.today()
    ):
        elapsed, current = 12, None
    frame = Frame(
        keys, arr["t"], arr["o"], arr["a"], hist, has["t"], has["o"], choice.fy, elapsed, current
    )
    _forecast(frame)
    return frame


@dataclass
class _Source:
    """Rows of one figure as arrays: raw group keys (an int array, or a list that may hold
    ``None``), month indexes and amounts (int64, exact)."""

    keys: Any
    months: IntArray
    amounts: IntArray

    @property
    def size(self) -> int:
        return int(self.months.shape[0])

    def distinct(self) -> list[Any]:
        if isinstance(self.keys, np.ndarray):
            return np.unique(self.keys).tolist()
        return list(dict.fromkeys(self.keys))

    def index_by(self, lut: dict[Any, int]) -> IntArray:
        """The group index of every row (-1: dropped)."""
        if isinstance(self.keys, np.ndarray):
            uniq, inverse = np.unique(self.keys, return_inverse=True)
            table = np.array([lut[k] for k in uniq.tolist()], dtype=np.int64)
            return table[inverse.reshape(-1)]
        return np.fromiter((lut[k] for k in self.keys), np.int64, len(self.keys))


def _rows_source(rows: Sequence[tuple[Any, ...]]) -> _Source:
    if not rows:
        empty = np.zeros(0, np.int64)
        return _Source([], empty, empty)
    months = np.fromiter((r[-2] for r in rows), np.int64, len(rows))
    amounts = np.fromiter((r[-1] for r in rows), np.int64, len(rows))
    return _Source([r[0] if len(r) > 2 else None for r in rows], months, amounts)


def _actual_source(
    workspace: Workspace,
    months: range,
    by: Sequence[str],
    *,
    overlay: bool,
    closed: Sequence[int],
    **filters: Any,
) -> _Source:
    """Actuals of a frame: company, team and channel frames straight from the fine array of
    the cube (no rows built), a seller's or per-seller frame from their own rows."""
    if not overlay and "seller" not in by and filters.get("seller_id") is None:
        fine = _fine_actuals(workspace, months, closed, filters.get("unit_ids"))
        if filters.get("channel_id") is not None:
            fine = fine[fine[:, 1] == filters["channel_id"]]
        col = {"unit": 0, "channel": 1}[by[0]] if by else 0
        return _Source(fine[:, col], fine[:, 2], fine[:, 3])
    return _rows_source(
        actual_rows(workspace, months, by, overlay=overlay, closed=closed, **filters)
    )


_DROP = object()


def extend_frame(frame: Frame, keys: Sequence[Any]) -> Frame:
    """The frame restricted/extended to ``keys`` (missing groups get zero figures)."""
    n = len(keys)
    out = Frame(
        list(keys),
        np.zeros((n, 12), np.int64),
        np.zeros((n, 12), np.int64),
        np.zeros((n, 12), np.int64),
        np.full((n, HISTORY_YEARS, 12), np.nan),
        np.zeros(n, bool),
        np.zeros(n, bool),
        frame.fy,
        frame.elapsed,
        frame.current,
    )
    old = {k: i for i, k in enumerate(frame.keys)}
    for j, k in enumerate(keys):
        i = old.get(k)
        if i is None:
            continue
        out.target[j], out.objective[j], out.actual[j] = (
            frame.target[i],
            frame.objective[i],
            frame.actual[i],
        )
        out.history[j] = frame.history[i]
        out.has_target[j], out.has_objective[j] = frame.has_target[i], frame.has_objective[i]
    _forecast(out)
    return out


def _profiles(
    hist: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Seasonality profile and monthly coefficient of variation of each group's history."""
    # Vectorised over groups; the same maths as fc.seasonality_profile(h, prior_strength=1)
    # then fc.residual_ratios and fc.monthly_cv on each group's (years, 12) history.
    n = hist.shape[0]
    profiles = np.full((n, 12), 1 / 12)
    cvs = np.full(n, DEFAULT_CV)
    if n == 0:
        return profiles, cvs
    finite = np.isfinite(hist).all(axis=2)  # (n, years)
    h = np.clip(np.where(finite[:, :, None], hist, 0.0), 0.0, None)
    totals = h.sum(axis=2)
    usable = finite & (totals > 0)
    any_usable = (finite & (np.nan_to_num(hist).sum(axis=2) > 0)).any(axis=1)
    safe = np.where(usable, totals, 1.0)
    shares = np.where(usable[:, :, None], h / safe[:, :, None], 0.0).sum(axis=1) + 1.0 / 12
    computed = shares / shares.sum(axis=1, keepdims=True)
    profiles[any_usable] = computed[any_usable]
    # residual ratios of usable years and months with a positive weight
    months_ok = profiles > 0  # (n, 12)
    expected = totals[:, :, None] * profiles[:, None, :]
    mask = usable[:, :, None] & months_ok[:, None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = np.where(mask, h / np.where(mask, expected, 1.0), np.nan)
    ratios = np.where(np.isfinite(ratios), ratios, np.nan)
    count = mask.reshape(n, -1).sum(axis=1)
    finite_count = np.isfinite(ratios).reshape(n, -1).sum(axis=1)
    flat = ratios.reshape(n, -1)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.nanmean(np.where(finite_count[:, None] > 0, flat, 0.0), axis=1)
        std = np.nanstd(np.where(finite_count[:, None] > 0, flat, 0.0), axis=1, ddof=1)
        cv = np.where((finite_count >= 2) & (mean > 0), std / mean, 0.0)
    take = any_usable & (count >= 6)
    cvs[take] = np.maximum(cv[take], 0.05)
    return profiles, cvs


def _forecast(frame: Frame) -> None:
    """Run-rate with seasonality; the as-of month counts at the larger of its actual and its
    expectation. Fills ``forecast_by_month`` (actuals, then projection)."""
    n = len(frame.keys)
    e = frame.elapsed
    profiles, cvs = _profiles(frame.history)
    fallback = np.where(frame.has_objective, frame.objective.sum(axis=1), frame.target.sum(axis=1))
    has_fb = frame.has_objective | frame.has_target
    batch = fc.run_rate_forecast_batch(
        frame.actual, profiles, e, fallback_totals=fallback, fallback_mask=has_fb
    )
    by_month = frame.actual.copy()
    remaining = np.zeros((n, 12 - e))
    if e < 12:
        exp = np.nan_to_num(batch.remaining_expected)
        projected = np.rint(exp).astype(np.int64)
        by_month[:, e:] = projected
        remaining = exp.copy()
        if frame.current is not None and frame.current == e:
            cur_actual = frame.actual[:, e]
            by_month[:, e] = np.maximum(cur_actual, projected[:, 0])
            remaining[:, 0] = np.maximum(exp[:, 0] - cur_actual, 0.0)
    valid = batch.valid | (e == 12)
    frame.forecast_by_month = by_month
    frame.forecast_valid = valid
    frame.remaining = remaining
    frame.cv = cvs


def probabilities(
    frame: Frame, rows: Sequence[int] | None = None, *, seed: int = 0, n: int = SIMULATIONS
) -> npt.NDArray[np.float64]:
    """P(reaching the year objective, the year target) per group: shape (G, 2), NaN where the
    goal or the forecast is unknown. Seeded: the same inputs give the same figures."""
    idx = np.arange(len(frame.keys)) if rows is None else np.asarray(rows, dtype=np.int64)
    out = np.full((idx.size, 2), np.nan)
    if idx.size == 0 or frame.remaining is None or frame.cv is None:
        return out
    to_date = (
        frame.actual[idx].sum(axis=1)
        if frame.elapsed == 12
        else (
            frame.actual[idx, : frame.elapsed].sum(axis=1)
            + (frame.actual[idx, frame.elapsed] if frame.current == frame.elapsed else 0)
        )
    )
    goals = np.stack([frame.objective[idx].sum(axis=1), frame.target[idx].sum(axis=1)], axis=1)
    remaining = frame.remaining[idx]
    remaining = np.where(frame.forecast_valid[idx][:, None], remaining, np.nan)
    p = fc.probability_of_reaching_batch(
        to_date.astype(np.int64),
        remaining,
        goals.astype(np.int64),
        monthly_cv=frame.cv[idx],
        n=n,
        seed=seed or frame.fy,
        workers=1,
    )
    p = np.asarray(p, dtype=np.float64).reshape(idx.size, 2)
    p[:, 0] = np.where(frame.has_objective[idx], p[:, 0], np.nan)
    p[:, 1] = np.where(frame.has_target[idx], p[:, 1], np.nan)
    return p


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


def month_labels(workspace: Workspace, fy: int) -> list[str]:
    from django.utils.formats import date_format

    cal = calendar_of(workspace)
    return [date_format(m.first_day, "M Y") for m in cal.months(fy)]


def period_label(key: str, calendar: FiscalCalendar | None = None) -> str:
    """A period key's label in the active language ("Ex. 2027", "T2 ex. 2027", "novembre
    2026", "Ex. 2027, cumul annuel"); the key itself when no calendar is given or it does not
    parse."""
    from pacte.planning.labels import period_label as fiscal_label
    from pacte.planning.labels import year_label

    if key.endswith("-YTD") and key[2:-4].isdigit():
        return _("%(year)s year to date") % {"year": year_label(int(key[2:-4]))}
    if calendar is None:
        return key
    try:
        return fiscal_label(calendar.parse_period(key))
    except ValueError:
        return key


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
