"""The monthly frame engine: the monthly arrays (fiscal order, 12 months) of target, objective
and actual of a scope's groups, read from the cube, closed-month snapshots and the sources
(through the insights cache), extended with forecasts and probabilities
(:mod:`pacte.lib.forecast`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db.models import Case, F, Max, Sum, Value, When

from pacte.accounts.models import Workspace
from pacte.columns import int_columns
from pacte.insights import cache, sources
from pacte.insights.models import (
    ActualSnapshot,
    ClosedMonth,
    TeamSnapshot,
)
from pacte.insights.periods import PeriodChoice
from pacte.lib import forecast as fc
from pacte.lib.fiscal import Month
from pacte.sales.models import CubeCell, SellerRunningTotal, TeamCell

IntArray = npt.NDArray[np.int64]
HISTORY_YEARS = 2
DEFAULT_CV = 0.3
SIMULATIONS = 500  # per page: ±2.2 points of standard error at worst, seeded
SNAPSHOT_SIMULATIONS = 2000  # monthly snapshots (accuracy tracking) keep the finer figure


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


def frame_part(workspace: Workspace, fiscal_year: int) -> tuple[Any, ...]:
    """What a frame of ``fiscal_year`` depends on, as a cache key part: the cube version,
    every close, the fingerprint of the year's targets and objectives, and today."""
    return (
        *cache.cube_part(workspace),
        tuple(_closed_rows(workspace)),
        *sources.plan_part(workspace, fiscal_year),
    )


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
    if _from_rollup(by, overlay=overlay, **filters):
        return _project(
            _fine_actuals(
                workspace,
                months,
                closed,
                filters.get("unit_ids"),
                by=by[0] if by else "channel",
                channel_id=filters.get("channel_id"),
            ),
            keyed=bool(by),
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


def _actual_reads(
    workspace: Workspace,
    months: range,
    by: Sequence[str],
    *,
    closed: Sequence[int] = (),
    per_month: bool = True,
    source: str = "both",
    overlay: bool = True,
    **filters: Any,
) -> list[Any]:
    """The grouped reads of actuals — ``(*keys, [month,] s, o)`` values lists, ``s`` and ``o``
    the split and overlay sums (``s`` alone without ``overlay``) — of the cube for the open
    months of ``months`` and of the frozen snapshots for its ``closed`` ones (``source``:
    ``"cube"`` or ``"snapshot"`` for one side only)."""
    fields = [sources.FIELDS[b] for b in by]
    group = [*fields, "month"] if per_month else fields
    reads: list[Any] = []
    # No seller in the keys nor in the filters: the team roll-up holds the same sums in a
    # fiftieth of the rows (a team's or the company's figures never sum seller cells).
    by_team = "seller" not in by and filters.get("seller_id") is None
    cells, snapshots = (TeamCell, TeamSnapshot) if by_team else (CubeCell, ActualSnapshot)

    sums = {"s": Sum("split_amount"), **({"o": Sum("overlay_amount")} if overlay else {})}

    def grouped(qs: Any) -> Any:
        qs = sources._filter(qs, filters)
        return (  # tuples, not dicts: a company's 30,000 team cells are read on a cold page
            qs.values(*group).annotate(**sums).values_list(*group, *sums).order_by()
        )

    if source in ("both", "cube"):
        # one range per run of open months, each an index range; several are one statement
        # (UNION ALL): an OR of ranges makes SQLite give up the index
        parts = [
            grouped(
                cells.objects.for_workspace(workspace).filter(month__gte=r.start, month__lt=r.stop)
            )
            for r in open_ranges(months, closed)
        ]
        if parts:
            reads.append(parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0])
    if source in ("both", "snapshot") and closed:
        reads.append(
            grouped(snapshots.objects.for_workspace(workspace).filter(month__in=list(closed)))
        )
    return reads


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
    """Actual rows (:func:`_actual_reads`) as ``(*keys, month or None, amount)`` tuples, the
    amount the split credits plus, with ``overlay``, the overlay ones."""
    out: list[tuple[Any, ...]] = []
    reads = _actual_reads(
        workspace, months, by, closed=closed, per_month=per_month, source=source, **filters
    )
    for rows in reads:
        if per_month:
            for *key, s, o in rows:
                out.append((*key, int(s or 0) + (int(o or 0) if overlay else 0)))
        else:
            for *key, s, o in rows:
                out.append((*key, None, int(s or 0) + (int(o or 0) if overlay else 0)))
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
        if source == "cube" and not any(v is not None for v in filters.values()):
            return running_totals(workspace, open_ranges(months, closed))
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


def running_totals(workspace: Workspace, spans: Sequence[range]) -> tuple[IntArray, IntArray]:
    """Each seller's actual (split + overlay) over ``spans`` of months from their running
    totals: per span, the total at its last month (or the workspace's last, if earlier) minus
    the total before its first — two rows per seller and span, whatever the span's length.
    Sorted seller ids and exact int64 sums; sellers credited once but not in the spans count 0."""
    empty = np.zeros(0, np.int64), np.zeros(0, np.int64)
    rows = SellerRunningTotal.objects.for_workspace(workspace)
    last = rows.aggregate(m=Max("month"))["m"]
    if last is None:
        return empty
    bounds = [(r.start - 1, min(r.stop - 1, last)) for r in spans if r.start <= last]
    if not bounds:
        return empty
    # Each month read counts once per span it ends (+1) and once per span it precedes (-1):
    # the database hands back (seller, signed amount), two columns instead of three.
    weight: dict[int, int] = {}
    for before, end in bounds:  # a missing row (before a seller's first credit) is zero
        weight[end] = weight.get(end, 0) + 1
        weight[before] = weight.get(before, 0) - 1
    weight = {m: w for m, w in sorted(weight.items()) if w}
    if not weight:
        return empty
    signed = Case(*(When(month=m, then=Value(w)) for m, w in weight.items()), default=Value(0))
    sellers, amount = int_columns(  # read off the covering index, as two columns
        rows.filter(month__in=list(weight))
        .annotate(amount=signed * (F("split_amount") + F("overlay_amount")))
        .values_list("seller_id", "amount")
    )
    if not sellers.size:
        return empty
    ids, seller_at = np.unique(sellers, return_inverse=True)
    total = np.zeros(ids.size, np.int64)
    np.add.at(total, seller_at.reshape(-1), amount)
    return ids, total


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


def _from_rollup(by: Sequence[str], *, overlay: bool, **filters: Any) -> bool:
    """Whether actuals by ``by`` are sums of the team roll-up (split credits only, by unit or
    channel or nothing, no seller): then they are read pre-aggregated by the database."""
    return not overlay and len(by) <= 1 and "seller" not in by and filters.get("seller_id") is None


def _fine_actuals(
    workspace: Workspace,
    months: range,
    closed: Sequence[int],
    unit_ids: Sequence[int] | None,
    *,
    by: str,
    channel_id: int | None,
) -> IntArray:
    """Split actuals per (``by`` key, month) of a span — ``by`` a unit (summed over channels)
    or a channel (summed over units) — as an ``(n, 3)`` int array (key, month, amount), summed
    by the database from the team roll-up and read once per cube version (and once per request:
    the company and channel frames of a page share the one by channel). A company of 200
    teams reads 4,800 rows by team and 96 by channel over two years instead of every
    (team, channel, month) cell."""
    key = (
        "fine",
        by,
        channel_id,
        months.start,
        months.stop,
        tuple(closed),
        None if unit_ids is None else tuple(unit_ids),
    )
    memo = sources.memo(workspace)
    if key not in memo:
        filters: dict[str, Any] = {} if unit_ids is None else {"unit_ids": list(unit_ids)}
        if channel_id is not None:
            filters["channel_id"] = channel_id

        def compute(source: str) -> IntArray:
            # the overlay sums are not read (a fifth less to sum and parse on a cold overview)
            return _key_month_amount(
                _actual_reads(
                    workspace, months, [by], closed=closed, source=source, overlay=False, **filters
                )
            )

        parts = ("fine", by, months.start, months.stop, cache.filters_part(filters))
        opened, frozen = _cached_split(workspace, closed, parts, compute)
        memo[key] = opened if frozen is None else np.concatenate([opened, frozen])
    return memo[key]


def _key_month_amount(reads: Sequence[Any]) -> IntArray:
    """The grouped reads of :func:`_actual_reads` (by one key and month) as one ``(n, 3)`` int
    array (key, month, amount: the split sum, plus the overlay sum when read), each read as
    integer columns (:func:`int_columns`)."""
    parts = []
    for qs in reads:
        key, month, *amounts = int_columns(qs)
        parts.append(np.column_stack([key, month, sum(amounts)]))
    return np.concatenate(parts) if parts else np.zeros((0, 3), np.int64)


def _project(fine: IntArray, *, keyed: bool, per_month: bool) -> list[tuple[Any, ...]]:
    """Rows like :func:`actual_rows` summed exactly (int64) from a fine array (key, month,
    amount): by key or not, by month or not."""
    cols = ([0] if keyed else []) + ([1] if per_month else [])
    if fine.shape[0] == 0:
        return []
    if not cols:
        return [(None, int(fine[:, 2].sum()))]
    keys, inverse = np.unique(fine[:, cols], axis=0, return_inverse=True)
    sums = np.zeros(keys.shape[0], np.int64)
    np.add.at(sums, inverse.reshape(-1), fine[:, 2])
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

    The frame, forecast included, is computed once per cube version, close and plan of the
    year (:func:`frame_part`) and then read back from the insights cache: a warm page neither
    unpickles the rows of its targets and objectives nor projects and forecasts them again.
    """
    parts = (
        *frame_part(workspace, choice.fy),
        "frame",
        choice.as_of,
        by,
        None if keys is None else tuple(keys),
        None if key_map is None else tuple(sorted(key_map.items())),
        history,
        cache.filters_part(filters),
    )
    return cache.cached(
        parts,
        lambda: _build_frame(
            workspace, choice, by=by, keys=keys, key_map=key_map, history=history, **filters
        ),
    )


def _build_frame(
    workspace: Workspace,
    choice: PeriodChoice,
    *,
    by: str | None,
    keys: Sequence[Any] | None,
    key_map: dict[Any, Any] | None,
    history: bool,
    **filters: Any,
) -> Frame:
    """:func:`build_frame` computed. Sums are accumulated with NumPy (exact int64,
    ``np.add.at``), never a Python loop per row: the company, team and channel frames read the
    cached fine arrays of the team roll-up directly."""
    cal = workspace.calendar
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
    """Actuals of a frame: company, team and channel frames straight from the fine arrays of
    the team roll-up (no rows built), a seller's or per-seller frame from their own rows."""
    if _from_rollup(by, overlay=overlay, **filters):
        fine = _fine_actuals(
            workspace,
            months,
            closed,
            filters.get("unit_ids"),
            by=by[0] if by else "channel",  # the company's: the fewest rows
            channel_id=filters.get("channel_id"),
        )
        return _Source(fine[:, 0], fine[:, 1], fine[:, 2])
    if list(by) == ["seller"]:
        cells = _seller_actuals(workspace, months, closed, overlay=overlay, **filters)
        return _Source(cells[:, 0], cells[:, 1], cells[:, 2])
    return _rows_source(
        actual_rows(workspace, months, by, overlay=overlay, closed=closed, **filters)
    )


def _seller_actuals(
    workspace: Workspace, months: range, closed: Sequence[int], *, overlay: bool, **filters: Any
) -> IntArray:
    """Actuals per (seller, month) of a span as an ``(n, 3)`` int array (seller, month, amount:
    split credits, plus overlay ones with ``overlay``), read as columns (:func:`int_columns`)
    and cached as one array per cube version: a team of 50 sellers over three years is 1,800
    rows, which cost more to build as tuples than to find."""

    def compute(source: str) -> IntArray:
        return _key_month_amount(
            _actual_reads(
                workspace,
                months,
                ["seller"],
                closed=closed,
                source=source,
                overlay=overlay,
                **filters,
            )
        )

    if filters.get("seller_id") is not None:
        return compute("both")  # one seller's rows: an indexed read, not worth a cache entry
    parts = ("seller_cells", months.start, months.stop, overlay, cache.filters_part(filters))
    opened, frozen = _cached_split(workspace, closed, parts, compute)
    return opened if frozen is None else np.concatenate([opened, frozen])


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
