"""Cascade maths: split one amount across units, sellers, channels and months, exactly.

Framework-free (NumPy only, no Django). The planning app builds the inputs from the database,
calls :func:`cascade` and stores the integer arrays of the :class:`CascadeResult`.

Money is integer minor units (``np.int64``, e.g. cents) everywhere in and out. Floats are used
only for weights, quotas and explanatory fractions, never for a stored amount.

Shape conventions (``n`` sellers, ``u`` units, ``c`` channels, ``m`` months, 12 by default):

- seller arrays are ``(n,)``, indexed by seller *position*; ``seller_keys`` (stable ids, unique)
  break ties, so the result per seller does not depend on the order sellers are given in;
- ``seller_unit`` is ``(n,)`` (index into units), ``unit_parent`` is ``(u,)`` (index of the
  parent unit, ``-1`` for the single root);
- channel weights are ``(c,)`` (company shares) or ``(n, c)`` (per seller);
- phasing profiles are ``(m,)`` (all channels) or ``(c, m)`` (per channel); availability is
  ``(n, m)``;
- result cells are ``(n, c, m)`` and unit rollups ``(u,)`` / ``(u, c, m)``.

Guarantees: every share is a non-negative integer; shares sum exactly to what they split (a
seller's cells to its annual amount, a unit's rollup to its sellers plus child units, the root
to the total); rounding is largest remainder in multiples of the rounding unit, the part below
one unit going to the next largest remainder; ties are broken by a stable key, never by
position in memory.

Errors are :class:`AllocationError` (a ``ValueError``) with a developer-facing message; the
infeasible case is :class:`CascadeInfeasible`, whose ``conflicts`` (plain dicts) let a page
write its own translated sentence.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Largest number of rounding units one split may handle (quotas stay exact in float64).
MAX_UNITS: Final = 2**53

#: Codes of :attr:`Explanation.bound`.
BOUND_NONE: Final = 0
BOUND_LOWER: Final = 1
BOUND_UPPER: Final = 2
BOUND_LABELS: Final = {BOUND_NONE: "none", BOUND_LOWER: "lower", BOUND_UPPER: "upper"}


class AllocationError(ValueError):
    """Inputs that cannot be allocated: negative or non-integer amount, all-zero weights, bad
    shapes, unknown sellers."""


class CascadeInfeasible(AllocationError):
    """The constraints cannot all hold together.

    ``conflicts`` is a list of dicts, each with a ``kind`` and the figures involved, e.g.
    ``{"kind": "lower_bounds", "sellers": [...keys...], "amount": 1200}``,
    ``{"kind": "holds", "sellers": [...], "amount": 500}``, ``{"kind": "total", "amount": 1000}``.
    Amounts are integer minor units; sellers are named by their keys.
    """

    def __init__(self, message: str, conflicts: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.conflicts = conflicts


# --------------------------------------------------------------------------------------------
# validation helpers


# A seller weight below this fraction of the largest counts as zero: its share would be below
# 1e-185 of a unit, and the water-filling level (amount / weight) would overflow a float.
MIN_RELATIVE_WEIGHT = 1e-200


def _amount(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise AllocationError(f"{name} must be an integer amount in minor units, got {value!r}")
    result = int(value)
    if result < 0:
        raise AllocationError(f"{name} must not be negative, got {result}")
    return result


def _unit(value: object, name: str = "unit") -> int:
    result = _amount(value, name)
    if result < 1:
        raise AllocationError(f"{name} must be a positive integer, got {result}")
    return result


def _floats(values: npt.ArrayLike, name: str, shape: tuple[int, ...] | None = None) -> FloatArray:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise AllocationError(f"{name} must be numeric") from exc
    if shape is not None and arr.shape != shape:
        raise AllocationError(f"{name} must have shape {shape}, got {arr.shape}")
    if arr.size:
        # Two reductions, no temporary array (these run on millions of cells).
        smallest, largest = float(arr.min()), float(arr.max())
        if np.isnan(smallest) or not np.isfinite(largest):
            raise AllocationError(f"{name} must be finite numbers")
        if smallest < 0:
            raise AllocationError(f"{name} must not be negative")
    return arr


def _ints(values: npt.ArrayLike, name: str) -> IntArray:
    arr = np.asarray(values)
    if arr.dtype == np.bool_ or not np.issubdtype(arr.dtype, np.integer):
        raise AllocationError(f"{name} must be integers (minor units), got dtype {arr.dtype}")
    return arr.astype(np.int64, copy=False)


def _stable_sum(values: FloatArray, axis: int = -1) -> FloatArray:
    """Sum that does not depend on the order of the elements (sorted before summing)."""
    return np.asarray(np.sort(values, axis=axis).sum(axis=axis), dtype=np.float64)


def _normalised(values: FloatArray, name: str) -> FloatArray:
    total = float(_stable_sum(values))
    if total <= 0:
        raise AllocationError(f"all weights are zero for {name}: nothing to split proportionally")
    return values / total


# --------------------------------------------------------------------------------------------
# largest remainder


def _tie_codes(k: int, keys: npt.ArrayLike | None) -> IntArray:
    """Per column, a code that is larger for the column preferred on a tie (smaller key)."""
    if keys is None:
        return np.arange(k - 1, -1, -1, dtype=np.int64)
    key_arr = np.asarray(keys)
    if key_arr.shape != (k,):
        raise AllocationError(f"keys must have shape ({k},), got {key_arr.shape}")
    order = np.argsort(key_arr, kind="stable")
    codes = np.empty(k, dtype=np.int64)
    codes[order] = np.arange(k - 1, -1, -1, dtype=np.int64)
    return codes


def _round_quotas(
    quotas: FloatArray, units: IntArray, eligible: BoolArray | None, ties: IntArray
) -> tuple[IntArray, IntArray, BoolArray]:
    """Round real quotas ``(r, k)`` (in units) to integers summing to ``units`` per row.

    Each row gets ``floor(quota)`` plus one unit for the ``d`` largest remainders among the
    ``eligible`` cells (``None``: all; then the others, only if float error leaves more to
    give). Quotas must be non-negative. Returns
    (integer units, the composite priority key, which cells got the extra unit).
    """
    rows, k = quotas.shape
    out = quotas.astype(np.int64)  # truncation is floor for non-negative quotas
    shift = max(1, (k - 1).bit_length())
    bits = min(48, 61 - shift)
    # One unique int64 per cell: quantised remainder (+1 when eligible), then the tie code.
    remainders = quotas - out
    remainders *= float(2**bits)
    key = remainders.astype(np.int64)
    if eligible is None:
        key += 1
    else:
        key += eligible
    key <<= shift
    key |= ties[None, :]
    deficit = units - out.sum(axis=1)
    # The d largest keys of a row are those at or above its (k - d)-th smallest; a sentinel
    # column above every key stands for d = 0.
    ordered = np.empty((rows, k + 1), dtype=np.int64)
    ordered[:, :k] = key
    ordered[:, :k].sort(axis=1)
    ordered[:, k] = np.iinfo(np.int64).max
    position = (k - np.clip(deficit, 0, k))[:, None]
    threshold = np.take_along_axis(ordered, position, axis=1)
    bumped = key >= threshold
    out += bumped
    # Float edge cases only (quotas off by more than a remainder): settle one unit at a time.
    deficit = deficit - np.clip(deficit, 0, k)
    if (np.abs(deficit) > k).any():
        raise AllocationError("internal rounding drift: quotas do not add up to the amount")
    while (deficit != 0).any():
        idx = np.flatnonzero(deficit > 0)
        if idx.size:
            col = np.where(bumped[idx], -1, key[idx]).argmax(axis=1)
            out[idx, col] += 1
            bumped[idx, col] = True
        idx = np.flatnonzero(deficit < 0)
        if idx.size:
            col = np.where(out[idx] > 0, -key[idx], np.iinfo(np.int64).min).argmax(axis=1)
            out[idx, col] -= 1
        deficit = units - out.sum(axis=1)
    return out, key, bumped


def split_rows(
    amounts: npt.ArrayLike,
    weights: npt.ArrayLike,
    *,
    unit: int = 1,
    keys: npt.ArrayLike | None = None,
) -> IntArray:
    """Split each ``amounts[i]`` over row ``weights[i]`` by largest remainder, vectorised.

    ``amounts`` is ``(r,)`` non-negative integers, ``weights`` ``(r, k)`` non-negative floats;
    returns ``(r, k)`` int64 whose rows sum exactly to ``amounts``. Shares are multiples of
    ``unit`` except one cell per row, which takes ``amount % unit`` (the next largest
    remainder). A zero weight always gets zero. Ties go to the smaller ``keys`` (``(k,)``,
    default: column order). A row with amount 0 may have all-zero weights; a positive amount
    over all-zero weights raises :class:`AllocationError`.
    """
    unit = _unit(unit)
    amt = _ints(amounts, "amounts")
    if amt.ndim != 1:
        raise AllocationError(f"amounts must be 1-D, got shape {amt.shape}")
    w = _floats(weights, "weights")
    if w.ndim != 2 or w.shape[0] != amt.shape[0]:
        raise AllocationError(f"weights must have shape ({amt.shape[0]}, k), got {w.shape}")
    k = w.shape[1]
    if k == 0:
        raise AllocationError("weights must have at least one column")
    if (amt < 0).any():
        raise AllocationError("amounts must not be negative")
    return _split_rows(amt, _scaled_rows(w), unit, _tie_codes(k, keys))


def _scaled_rows(values: FloatArray) -> FloatArray:
    """Rows divided by their largest value (all-zero rows kept), so that tiny or huge weights
    cannot overflow the quotas; proportions are unchanged."""
    largest = values.max(axis=-1, keepdims=True) if values.size else values
    return np.asarray(values / np.where(largest > 0, largest, 1.0), dtype=np.float64)


def _split_rows(amt: IntArray, w: FloatArray, unit: int, ties: IntArray) -> IntArray:
    """:func:`split_rows` on validated inputs (columns have a fixed meaning, so a plain row
    sum is deterministic)."""
    rows, k = w.shape
    if rows == 0:
        return np.zeros((0, k), dtype=np.int64)
    totals = w.sum(axis=1)
    zero = totals <= 0
    bad = np.flatnonzero(zero & (amt > 0))
    if bad.size:
        raise AllocationError(
            f"all weights are zero for {bad.size} row(s) with a positive amount "
            f"(rows {bad[:5].tolist()}{'…' if bad.size > 5 else ''})"
        )
    units, rest = np.divmod(amt, unit)
    if units.max() > MAX_UNITS:
        raise AllocationError(f"an amount exceeds {MAX_UNITS} rounding units")
    positive: BoolArray | None = None if bool(w.min() > 0) else w > 0  # None: all positive
    quotas = w * ((amt / unit) / np.where(zero, 1.0, totals))[:, None]
    out, key, bumped = _round_quotas(quotas, units, positive, ties)
    out *= unit
    with_rest = np.flatnonzero(rest > 0)
    if with_rest.size:
        allowed = (
            np.ones((with_rest.size, k), dtype=np.bool_)
            if positive is None
            else positive[with_rest]
        )
        cand = allowed & ~bumped[with_rest]
        cand = np.where(cand.any(axis=1)[:, None], cand, allowed)
        col = np.where(cand, key[with_rest], -1).argmax(axis=1)
        out[with_rest, col] += rest[with_rest]
    return out


def _match_columns(
    x: IntArray, quotas: FloatArray, wanted: IntArray, unit: int, keys: npt.ArrayLike
) -> IntArray:
    """``x`` ``(r, k)`` (rows rounded one by one) moved so that its columns sum exactly to
    ``wanted``, every row keeping its sum: amounts go from a column above its total to one
    below it, ``unit`` at a time (the part below a unit once), in the rows where the move
    brings both cells nearest their real ``quotas`` (ties: smaller ``keys``); a cell never goes
    negative, nor takes anything where its quota is zero. Deterministic."""
    x = x.copy()
    order = np.argsort(np.argsort(np.asarray(keys), kind="stable"), kind="stable")
    for _ in range(100_000):
        diff = x.sum(axis=0) - wanted
        if not diff.any():
            return x
        give, take = int(diff.argmax()), int(diff.argmin())
        amount = min(int(diff[give]), -int(diff[take]))
        steps, part = divmod(amount, unit)
        size = part if part else unit
        open_ = quotas[:, take] > 0
        rows = np.flatnonzero(open_ & (x[:, give] >= size))
        if rows.size == 0:  # only cells below a unit left (odd holds): move what one has
            rows = np.flatnonzero(open_ & (x[:, give] > 0))
            if rows.size == 0:
                raise AllocationError("channel totals cannot be met by these channel weights")
            best = rows[np.lexsort((order[rows], -x[rows, give]))[:1]]
            size = min(amount, int(x[best[0], give]))
            x[best, give] -= size
            x[best, take] += size
            continue
        gain = (x[rows, give] - quotas[rows, give]) + (quotas[rows, take] - x[rows, take])
        count = 1 if part else min(steps, rows.size)
        best = rows[np.lexsort((order[rows], -gain))[:count]]
        x[best, give] -= size
        x[best, take] += size
    raise AllocationError("channel totals could not be met")  # pragma: no cover


def split_matching(
    amounts: npt.ArrayLike,
    columns: npt.ArrayLike,
    *,
    unit: int = 1,
    keys: npt.ArrayLike | None = None,
) -> IntArray:
    """Spread each ``amounts[i]`` over the columns in proportion to ``columns`` ``(k,)`` so that
    rows sum exactly to ``amounts`` and columns exactly to ``columns`` (which must sum to
    ``amounts.sum()``): a team's channel × month profile shared among its people in
    proportion to each person's annual amount. Never negative; a zero column stays zero."""
    amt = _ints(amounts, "amounts")
    cols = _ints(columns, "columns")
    if amt.ndim != 1 or cols.ndim != 1:
        raise AllocationError("amounts and columns must be 1-D")
    if (amt < 0).any() or (cols < 0).any():
        raise AllocationError("amounts and columns must not be negative")
    if int(amt.sum()) != int(cols.sum()):
        raise AllocationError("amounts and columns must have the same total")
    if amt.size == 0:
        return np.zeros((0, cols.size), dtype=np.int64)
    if not cols.any():
        return np.zeros((amt.size, cols.size), dtype=np.int64)
    unit = _unit(unit)
    w = np.broadcast_to(cols.astype(np.float64), (amt.size, cols.size))
    x = _split_rows(amt, _scaled_rows(np.ascontiguousarray(w)), unit, _tie_codes(cols.size, None))
    quotas = w * (amt / float(cols.sum()))[:, None]
    key_arr = np.arange(amt.size) if keys is None else np.asarray(keys)
    return _match_columns(x, quotas, cols, unit, key_arr)


def largest_remainder(
    amount: int,
    weights: npt.ArrayLike,
    *,
    unit: int = 1,
    keys: npt.ArrayLike | None = None,
) -> IntArray:
    """Split a non-negative integer ``amount`` proportionally to ``weights`` ``(k,)``.

    Returns ``(k,)`` int64 summing exactly to ``amount``, never negative, in multiples of
    ``unit`` except the part below one unit, which goes to the next largest remainder. Ties
    go to the smaller key (``keys``, ``(k,)``, e.g. seller ids; default: position), so with
    keys the share of each element does not depend on input order. All-zero weights raise
    :class:`AllocationError`.
    """
    amount = _amount(amount, "amount")
    w = _floats(weights, "weights")
    if w.ndim != 1 or w.size == 0:
        raise AllocationError(f"weights must be a non-empty 1-D array, got shape {w.shape}")
    if float(_stable_sum(w)) <= 0:
        raise AllocationError("all weights are zero: nothing to split proportionally")
    if keys is None:
        return split_rows(np.array([amount], dtype=np.int64), w[None, :], unit=unit)[0]
    # Compute in key order, so that float sums (and so every share) are bit-identical
    # whatever the order the caller passed the weights in.
    key_arr = np.asarray(keys)
    if key_arr.shape != w.shape:
        raise AllocationError(f"keys must have shape {w.shape}, got {key_arr.shape}")
    order = np.argsort(key_arr, kind="stable")
    out = np.empty(w.size, dtype=np.int64)
    out[order] = split_rows(
        np.array([amount], dtype=np.int64), w[order][None, :], unit=unit, keys=key_arr[order]
    )[0]
    return out


# --------------------------------------------------------------------------------------------
# weights


@dataclass(frozen=True, eq=False)
class Weights:
    """Seller weights ``values`` ``(n,)`` and where they come from (for explanations).

    ``components`` maps a method name to its normalised vector (sums to 1), ``mix`` maps it to
    its normalised share of the blend; ``values = Σ mix[name] · components[name]``.
    """

    values: FloatArray
    components: Mapping[str, FloatArray]
    mix: Mapping[str, float]

    @classmethod
    def single(cls, name: str, raw: npt.ArrayLike) -> Weights:
        """One method, no blend."""
        vector = _normalised(_floats(raw, name), name)
        return cls(values=vector, components={name: vector}, mix={name: 1.0})


def equal_weights(fte: npt.ArrayLike) -> FloatArray:
    """Equal share per seller, weighted by FTE ``(n,)`` (0 = not selling)."""
    return _floats(fte, "fte").copy()


def history_weights(actuals: npt.ArrayLike) -> FloatArray:
    """Share of past actuals: ``(n,)`` or ``(n, …)`` (summed over trailing axes, e.g. channel ×
    month) in minor units, non-negative."""
    arr = _floats(actuals, "history")
    if arr.ndim == 0:
        raise AllocationError("history must have one row per seller")
    return arr.reshape(arr.shape[0], -1).sum(axis=1)


def potential_weights(potential: npt.ArrayLike) -> FloatArray:
    """Per-seller potential ``(n,)`` (imported), non-negative."""
    return _floats(potential, "potential").copy()


def capacity_profile(
    fte: npt.ArrayLike,
    *,
    start_month: npt.ArrayLike | None = None,
    ramp_months: npt.ArrayLike = 0,
    availability: npt.ArrayLike | None = None,
    n_months: int = 12,
) -> FloatArray:
    """Capacity per seller and month ``(n, m)``: FTE × ramp-up × availability.

    ``start_month`` ``(n,)`` is the fiscal month index the seller starts (negative: before the
    year; ``>= m``: not this year); the ramp is linear over ``ramp_months`` (scalar or ``(n,)``):
    1/N of capacity in the first month, full capacity from month N. ``availability`` ``(n, m)``
    in [0, 1] removes leave (0 = away the whole month).
    """
    f = _floats(fte, "fte")
    if f.ndim != 1:
        raise AllocationError(f"fte must be 1-D, got shape {f.shape}")
    n = f.shape[0]
    months = np.arange(n_months, dtype=np.float64)[None, :]
    start = np.broadcast_to(
        np.asarray(0 if start_month is None else start_month, dtype=np.float64), (n,)
    ).reshape(n, 1)
    ramp = np.broadcast_to(np.asarray(ramp_months, dtype=np.float64), (n,)).reshape(n, 1)
    if (ramp < 0).any():
        raise AllocationError("ramp_months must not be negative")
    elapsed = months - start + 1.0
    factor = np.where(elapsed <= 0, 0.0, np.minimum(1.0, elapsed / np.where(ramp > 0, ramp, 1.0)))
    factor = np.where((ramp <= 0) & (elapsed > 0), 1.0, factor)
    capacity = f[:, None] * factor
    if availability is not None:
        capacity = capacity * _floats(availability, "availability", (n, n_months))
    return np.asarray(capacity, dtype=np.float64)


def capacity_weights(
    fte: npt.ArrayLike,
    *,
    start_month: npt.ArrayLike | None = None,
    ramp_months: npt.ArrayLike = 0,
    availability: npt.ArrayLike | None = None,
    n_months: int = 12,
) -> FloatArray:
    """Capacity weight ``(n,)``: the year's sum of :func:`capacity_profile`."""
    profile = capacity_profile(
        fte,
        start_month=start_month,
        ramp_months=ramp_months,
        availability=availability,
        n_months=n_months,
    )
    return np.asarray(profile.sum(axis=1), dtype=np.float64)


def blend(components: Mapping[str, npt.ArrayLike], mix: Mapping[str, float]) -> Weights:
    """Weighted mix of normalised method vectors, e.g. ``blend({"history": h, "capacity": c},
    {"history": 0.7, "capacity": 0.3})``. Each vector is normalised to sum 1 first, so only
    the mix decides how much each method counts. Methods mixed at 0 are dropped."""
    if not mix:
        raise AllocationError("the blend has no method")
    unknown = sorted(set(mix) - set(components))
    if unknown:
        raise AllocationError(f"the blend names unknown methods: {', '.join(unknown)}")
    mix_values = {name: float(value) for name, value in mix.items()}
    if any(not np.isfinite(v) or v < 0 for v in mix_values.values()):
        raise AllocationError("blend shares must be non-negative numbers")
    mix_total = sum(mix_values[name] for name in sorted(mix_values))
    if mix_total <= 0:
        raise AllocationError("blend shares are all zero")
    vectors: dict[str, FloatArray] = {}
    shares: dict[str, float] = {}
    shape: tuple[int, ...] | None = None
    for name in sorted(mix_values):
        if mix_values[name] == 0:
            continue
        vector = _floats(components[name], name)
        if vector.ndim != 1 or (shape is not None and vector.shape != shape):
            raise AllocationError(f"method {name} must be a vector with one value per seller")
        shape = vector.shape
        vectors[name] = _normalised(vector, f"method {name}")
        shares[name] = mix_values[name] / mix_total
    values = sum((shares[name] * vectors[name] for name in vectors), start=np.zeros(shape or 0))
    return Weights(values=np.asarray(values, dtype=np.float64), components=vectors, mix=shares)


def channel_weights_from_history(actuals: npt.ArrayLike) -> FloatArray:
    """Per-seller channel weights ``(n, c)`` from actuals ``(n, c)`` or ``(n, c, m)``."""
    arr = _floats(actuals, "channel history")
    if arr.ndim < 2:
        raise AllocationError("channel history must be (n, c) or (n, c, m)")
    return arr.reshape(arr.shape[0], arr.shape[1], -1).sum(axis=2)


def seasonality_profile(actuals: npt.ArrayLike) -> FloatArray:
    """Seasonality ``(c, m)`` from actuals ``(c, m)`` or ``(n, c, m)``: each channel's share of
    its year by month; a channel without history is flat."""
    arr = _floats(actuals, "seasonality history")
    if arr.ndim == 3:
        arr = arr.sum(axis=0)
    if arr.ndim != 2:
        raise AllocationError("seasonality history must be (c, m) or (n, c, m)")
    totals = _stable_sum(arr, axis=1)[:, None]
    flat = np.full_like(arr, 1.0 / arr.shape[1])
    return np.where(totals > 0, arr / np.where(totals > 0, totals, 1.0), flat)


# --------------------------------------------------------------------------------------------
# constraints


@dataclass(frozen=True, eq=False)
class Bounds:
    """Per-seller bounds ``(n,)`` on the annual share, in minor units: ``lower`` (0 = none)
    and ``upper`` (``inf`` = none)."""

    lower: FloatArray
    upper: FloatArray


def growth_bounds(history: npt.ArrayLike, *, low: float = 0.9, high: float = 1.3) -> Bounds:
    """Bounds ``low × history .. high × history`` (e.g. −10 % .. +30 %) on each seller's annual
    share; ``history`` is ``(n,)`` or ``(n, …)`` minor units. Sellers without history are
    unbounded."""
    if not (0 <= low <= high) or not np.isfinite(high):
        raise AllocationError(f"growth bounds need 0 <= low <= high, got {low}..{high}")
    h = history_weights(history)
    has = h > 0
    return Bounds(lower=np.where(has, low * h, 0.0), upper=np.where(has, high * h, np.inf))


def water_fill(
    amount: float, weights: npt.ArrayLike, lower: npt.ArrayLike, upper: npt.ArrayLike
) -> tuple[FloatArray, float]:
    """Proportional split of a real ``amount`` projected on ``lower <= x <= upper``.

    Returns ``(x, level)`` with ``x = clip(level × weights, lower, upper)`` and ``Σx = amount``:
    the fixed point of "clip to the bounds, re-spread the rest over the unclipped sellers in
    proportion to their weights". The water ``level`` is found exactly by sorting the 2n
    breakpoints ``lower/w`` and ``upper/w`` (no iteration cap, O(n log n)). A zero-weight
    seller stays at its lower bound. The caller checks feasibility
    (``Σlower <= amount <= Σupper`` over positive weights).
    """
    w = _floats(weights, "weights")
    lo = _floats(lower, "lower", w.shape)
    hi = np.asarray(upper, dtype=np.float64)
    positive = w > 0
    x = lo.copy()
    if amount <= float(_stable_sum(lo)) or not positive.any():
        return x, 0.0
    # Zero-weight sellers stay at their lower bound; the others share the rest.
    target = amount - float(_stable_sum(lo[~positive]))
    scale = float(w[positive].max())
    wp, lp, up = w[positive] / scale, lo[positive], hi[positive]
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        t_low, t_up = lp / wp, up / wp
    # A breakpoint at infinity (no upper bound, or a weight too small to ever lift a seller
    # off its bound) is never reached.
    times = np.concatenate([t_low, t_up])
    d_const = np.concatenate([-lp, up])
    d_slope = np.concatenate([wp, -wp])
    reachable = np.isfinite(times)
    times, d_const, d_slope = times[reachable], d_const[reachable], d_slope[reachable]
    order = np.lexsort((d_const, d_slope, times))
    times, d_const, d_slope = times[order], d_const[order], d_slope[order]
    const = float(_stable_sum(lp)) + np.cumsum(d_const)
    slope = np.cumsum(d_slope)
    reached = np.flatnonzero(const + slope * times >= target)
    if reached.size and int(reached[0]) == 0:
        level = float(times[0])
    elif reached.size:
        k = int(reached[0])
        level = (target - float(const[k - 1])) / max(float(slope[k - 1]), 1e-300)
        level = min(max(level, float(times[k - 1])), float(times[k]))
    else:
        # Past the last breakpoint only the unbounded sellers still rise: compute that piece
        # directly (a cumulative sum could cancel a tiny slope to zero).
        rises = np.isfinite(t_low) & ~np.isfinite(t_up)
        if not rises.any():
            # Everyone at the upper bound: fine up to float drift, infeasible beyond.
            if target > float(_stable_sum(up)) * (1 + 1e-9):
                raise AllocationError("water_fill: the upper bounds cannot absorb the amount")
            x[positive] = up
            return x, float(times[-1]) / scale
        stay = np.where(rises, 0.0, np.where(np.isfinite(t_up), up, lp))
        rising = wp[rises]
        share = rising / float(_stable_sum(rising))
        x[positive] = stay
        x[np.flatnonzero(positive)[rises]] = (target - float(_stable_sum(stay))) * share
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            level = float((target - float(_stable_sum(stay))) / float(_stable_sum(rising)))
        return x, level / scale
    # Newton steps on S(level) = Σ clip(level·w, lower, upper), piecewise linear: they absorb
    # the float drift of the cumulative sums.
    for _ in range(4):
        natural = level * wp
        residual = target - float(_stable_sum(np.clip(natural, lp, up)))
        if abs(residual) <= 1e-12 * max(abs(target), 1.0):
            break
        if residual > 0:
            moving = (natural < up) & (natural >= lp)
        else:
            moving = (natural > lp) & (natural <= up)
        gain = float(_stable_sum(wp[moving]))
        if gain <= 0:
            break
        level = max(level + residual / gain, 0.0)
    x[positive] = np.clip(level * wp, lp, up)
    level /= scale
    return x, level


def capped_split(
    amount: int,
    weights: npt.ArrayLike,
    caps: npt.ArrayLike,
    *,
    keys: npt.ArrayLike | None = None,
) -> IntArray:
    """Split a non-negative integer ``amount`` in proportion to ``weights`` ``(k,)``, nobody
    above their ``caps`` ``(k,)`` (non-negative integers; ``inf`` = no cap).

    The real split is :func:`water_fill` (what a capped element cannot take goes to the others
    in proportion to their weights); it is rounded by largest remainder (ties to the smaller
    ``keys``). Returns ``(k,)`` int64: never negative, never above a cap, zero where the weight
    or the cap is zero, summing to ``min(amount, Σ caps of positive weights)`` exactly — what
    nobody can take is left for the caller to show. All-zero weights share equally. With
    ``keys`` every share is the same whatever the order the elements are given in.
    """
    if keys is not None:
        # Compute in key order, so that every share is the same whatever the input order.
        key_arr = np.asarray(keys)
        w_in, cap_in = np.asarray(weights, dtype=np.float64), np.asarray(caps, dtype=np.float64)
        if key_arr.shape != w_in.shape or cap_in.shape != w_in.shape or w_in.ndim != 1:
            raise AllocationError("weights, caps and keys must have the same (k,) shape")
        order = np.argsort(key_arr, kind="stable")
        out = np.empty(w_in.size, dtype=np.int64)
        out[order] = capped_split(amount, w_in[order], cap_in[order])
        return out
    amount = _amount(amount, "amount")
    w = _floats(weights, "weights")
    if w.ndim != 1:
        raise AllocationError(f"weights must be 1-D, got shape {w.shape}")
    k = w.size
    cap = np.asarray(caps, dtype=np.float64)
    if cap.shape != (k,) or np.isnan(cap).any() or (cap < 0).any():
        raise AllocationError(f"caps must be ({k},) non-negative numbers or inf")
    if np.isfinite(cap).any() and (cap[np.isfinite(cap)] != np.floor(cap[np.isfinite(cap)])).any():
        raise AllocationError("caps must be whole numbers of minor units")
    out = np.zeros(k, dtype=np.int64)
    if k == 0 or amount == 0:
        return out
    if float(_stable_sum(w)) <= 0:
        w = np.ones(k)
    open_ = (w > 0) & (cap > 0)
    if not open_.any():
        return out
    finite = np.isfinite(cap)
    room = float(_stable_sum(np.where(open_ & finite, cap, 0.0)))
    if finite[open_].all() and room <= amount:
        out[open_] = cap[open_].astype(np.int64)
        return out
    idx = np.flatnonzero(open_)
    scaled = w[idx] / float(w[idx].max())
    x, _level = water_fill(float(amount), scaled, np.zeros(idx.size), cap[idx])
    x = np.minimum(np.maximum(x, 0.0), cap[idx])
    eligible = np.floor(x) + 1 <= cap[idx]
    ties = _tie_codes(idx.size, None)
    rounded, _key, _bumped = _round_quotas(x[None, :], np.array([amount]), eligible[None, :], ties)
    shares = rounded[0]
    # Float drift may leave a unit on a capped element: move it to one with room.
    for _ in range(idx.size + 1):
        over = shares - cap[idx]
        if not (over > 0).any():
            break
        i = int(np.argmax(over))
        shares[i] -= 1
        room_left = np.flatnonzero(shares + 1 <= cap[idx])
        if room_left.size == 0:  # pragma: no cover - excluded: Σ caps > amount here
            break
        shares[room_left[np.argmax(x[room_left] - shares[room_left])]] += 1
    out[idx] = shares
    return out


# --------------------------------------------------------------------------------------------
# the cascade


@dataclass(frozen=True, eq=False)
class Explanation:
    """Why each seller's share is what it is; every array is ``(n,)``.

    Amounts are int64 minor units; ``weight``, ``weight_share``, ``remainder`` and the method
    ``components`` are explanatory fractions (floats), never money.
    """

    keys: npt.NDArray[Any]
    #: blended weight and its share among the sellers the cascade spread over
    weight: FloatArray
    weight_share: FloatArray
    #: normalised method vectors and their mix (``weight = Σ mix·component``)
    components: Mapping[str, FloatArray]
    mix: Mapping[str, float]
    excluded: BoolArray
    held: BoolArray
    hold: IntArray
    #: already-phased months kept by a re-run (0 for a full-year run)
    past: IntArray
    #: share before bounds (proportional to weight, rounded down to a minor unit)
    proportional: IntArray
    #: bounds as applied (on the rounding grid, annual, minor units; upper ``inf`` = none)
    lower: FloatArray
    upper: FloatArray
    #: which bound moved the share (``BOUND_*`` codes, see ``BOUND_LABELS``)
    bound: npt.NDArray[np.int8]
    #: share after bounds rounded down to the rounding unit, then what rounding added
    rounded_down: IntArray
    remainder: FloatArray
    rounding: IntArray
    amount: IntArray

    def for_seller(self, index: int) -> dict[str, Any]:
        """Plain-Python explanation of one seller (JSON-ready)."""
        upper = float(self.upper[index])
        return {
            "key": self.keys[index].item(),
            "amount": int(self.amount[index]),
            "weight": float(self.weight[index]),
            "weight_share": float(self.weight_share[index]),
            "methods": {
                name: {
                    "share": float(vector[index]),
                    "mix": self.mix[name],
                    "contribution": self.mix[name] * float(vector[index]),
                }
                for name, vector in self.components.items()
            },
            "excluded": bool(self.excluded[index]),
            "held": bool(self.held[index]),
            "hold": int(self.hold[index]),
            "past": int(self.past[index]),
            "proportional": int(self.proportional[index]),
            "lower": int(self.lower[index]),
            "upper": int(upper) if np.isfinite(upper) else None,
            "bound": BOUND_LABELS[int(self.bound[index])],
            "rounded_down": int(self.rounded_down[index]),
            "remainder": float(self.remainder[index]),
            "rounding": int(self.rounding[index]),
        }


@dataclass(frozen=True, eq=False)
class CascadeResult:
    """Integer shares of a cascade (minor units).

    ``cells`` ``(n, c, m)`` sum per seller to ``seller_amounts`` ``(n,)``, which sum to
    ``total``. ``unit_amounts`` ``(u,)`` / ``unit_cells`` ``(u, c, m)`` are subtree rollups:
    a unit's own sellers (``unit_direct_amounts``) plus its child units; the root equals
    ``total``.
    """

    total: int
    rounding_unit: int
    from_month: int
    seller_amounts: IntArray
    cells: IntArray
    unit_amounts: IntArray
    unit_direct_amounts: IntArray
    unit_cells: IntArray
    explain: Explanation
    unit_depth: IntArray = field(repr=False)

    @property
    def seller_channel_amounts(self) -> IntArray:
        """``(n, c)``: each seller's annual share by channel."""
        return np.asarray(self.cells.sum(axis=2), dtype=np.int64)

    @property
    def seller_month_amounts(self) -> IntArray:
        """``(n, m)``: each seller's share by month (all channels)."""
        return np.asarray(self.cells.sum(axis=1), dtype=np.int64)


def _unit_depth(parent: IntArray) -> IntArray:
    """Depth of each unit (root 0); rejects several roots, unknown parents and cycles."""
    u = parent.shape[0]
    if u == 0:
        raise AllocationError("the unit tree is empty")
    if ((parent < -1) | (parent >= u)).any():
        raise AllocationError("unit_parent names a unit that does not exist")
    roots = np.flatnonzero(parent == -1)
    if roots.size != 1:
        raise AllocationError(f"the unit tree needs exactly one root (-1), found {roots.size}")
    depth = np.zeros(u, dtype=np.int64)
    cursor = parent.copy()
    for _ in range(u + 1):
        active = cursor >= 0
        if not active.any():
            return depth
        depth[active] += 1
        cursor[active] = parent[cursor[active]]
    raise AllocationError("the unit tree has a cycle")


def _rollup(
    seller_unit: IntArray, cells: IntArray, parent: IntArray, depth: IntArray
) -> tuple[IntArray, IntArray]:
    """Direct and subtree sums of seller ``cells`` ``(n, c, m)`` per unit."""
    u = parent.shape[0]
    direct = np.zeros((u, *cells.shape[1:]), dtype=np.int64)
    if seller_unit.size and int(cells.sum()) < MAX_UNITS:
        # Integer sums below 2**53 are exact in float64: one bincount per channel × month.
        flat = cells.reshape(cells.shape[0], -1)
        columns = [
            np.bincount(seller_unit, weights=flat[:, j], minlength=u) for j in range(flat.shape[1])
        ]
        direct = np.stack(columns, axis=1).astype(np.int64).reshape(direct.shape)
    elif seller_unit.size:
        order = np.argsort(seller_unit, kind="stable")
        sorted_units = seller_unit[order]
        starts = np.flatnonzero(np.r_[True, sorted_units[1:] != sorted_units[:-1]])
        direct[sorted_units[starts]] = np.add.reduceat(cells[order], starts, axis=0)
    subtree = direct.copy()
    for level in range(int(depth.max()), 0, -1):
        nodes = np.flatnonzero(depth == level)
        np.add.at(subtree, parent[nodes], subtree[nodes])
    return direct, subtree


def rollup(
    seller_unit: npt.ArrayLike, cells: npt.ArrayLike, unit_parent: npt.ArrayLike
) -> IntArray:
    """Subtree sums ``(u, c, m)`` of seller ``cells`` ``(n, c, m)``, exact: a unit's target
    when its sellers' cells are given (stated targets) rather than cascaded.

    ``seller_unit`` are positions into ``unit_parent`` (``-1`` for the one root)."""
    parent = _ints(unit_parent, "unit_parent")
    units = _ints(seller_unit, "seller_unit")
    amounts = _ints(cells, "cells")
    if amounts.ndim != 3 or amounts.shape[0] != units.shape[0]:
        raise AllocationError("cells must have shape (sellers, channels, months)")
    if units.size and (units.min() < 0 or units.max() >= parent.shape[0]):
        raise AllocationError("seller_unit names a unit that does not exist")
    if (amounts < 0).any():
        raise AllocationError("cells must not be negative")
    return _rollup(units, amounts, parent, _unit_depth(parent))[1]


def _infeasible(
    side: str,
    keys: npt.NDArray[Any],
    bounded: BoolArray,
    bound_sum: int,
    held: BoolArray,
    hold_sum: int,
    total: int,
    past_sum: int,
) -> CascadeInfeasible:
    names = keys[bounded].tolist()
    conflicts: list[dict[str, Any]] = [
        {"kind": f"{side}_bounds", "sellers": names, "amount": bound_sum},
        {"kind": "holds", "sellers": keys[held].tolist(), "amount": hold_sum},
        {"kind": "total", "amount": total},
    ]
    if past_sum:
        conflicts.append({"kind": "past", "amount": past_sum})
    shown = ", ".join(str(name) for name in names[:5]) + ("…" if len(names) > 5 else "")
    past = f" and past months {past_sum}" if past_sum else ""
    if side == "lower":
        message = (
            f"the lower bounds of {len(names)} seller(s) ({shown}) sum to {bound_sum}, which "
            f"with holds {hold_sum}{past} exceeds the total {total}"
        )
    else:
        message = (
            f"the upper bounds of {len(names)} seller(s) ({shown}) sum to {bound_sum}, which "
            f"with holds {hold_sum}{past} falls short of the total {total}"
        )
    return CascadeInfeasible(message, conflicts)


# the cascade's steps, in the order :func:`cascade` runs them -------------------------------


def _unit_tree(seller_unit: npt.ArrayLike, unit_parent: npt.ArrayLike) -> tuple[IntArray, ...]:
    """Sellers' units, units' parents and depths, checked: one root, no cycle, known units."""
    units_of = _ints(seller_unit, "seller_unit")
    parent = _ints(unit_parent, "unit_parent")
    if units_of.ndim != 1 or parent.ndim != 1:
        raise AllocationError("seller_unit and unit_parent must be 1-D")
    depth = _unit_depth(parent)
    if ((units_of < 0) | (units_of >= parent.shape[0])).any():
        raise AllocationError("seller_unit names a unit that does not exist")
    return units_of, parent, depth


@dataclass(frozen=True, eq=False)
class _Sellers:
    """The sellers as given: stable keys, weights, who is excluded, who is held and at what."""

    keys: npt.NDArray[Any]
    raw: FloatArray
    weights: Weights | None
    excluded: BoolArray
    held: BoolArray
    hold: IntArray


def _sellers(
    n: int,
    seller_keys: npt.ArrayLike | None,
    weights: Weights | npt.ArrayLike,
    excluded: npt.ArrayLike | None,
    holds: Mapping[int, int] | None,
) -> _Sellers:
    keys = np.arange(n) if seller_keys is None else np.asarray(seller_keys)
    if keys.shape != (n,):
        raise AllocationError(f"seller_keys must have shape ({n},), got {keys.shape}")
    sorted_keys = np.sort(keys)
    if n > 1 and (sorted_keys[1:] == sorted_keys[:-1]).any():
        raise AllocationError("seller_keys must be unique")

    weights_obj = weights if isinstance(weights, Weights) else None
    raw = _floats(weights.values if isinstance(weights, Weights) else weights, "weights", (n,))

    out_mask = (
        np.zeros(n, dtype=np.bool_)
        if excluded is None
        else np.asarray(excluded, dtype=np.bool_).reshape(n)
    )
    held = np.zeros(n, dtype=np.bool_)
    hold = np.zeros(n, dtype=np.int64)
    for index, value in (holds or {}).items():
        if isinstance(index, bool) or not isinstance(index, int | np.integer):
            raise AllocationError(f"a hold must name a seller index, got {index!r}")
        if not 0 <= int(index) < n:
            raise AllocationError(f"a hold names an unknown seller index {index}")
        held[index] = True
        hold[index] = _amount(value, f"hold of seller {keys[index]}")
    both = held & out_mask
    if both.any():
        raise AllocationError(f"sellers both held and excluded: {keys[both].tolist()}")
    return _Sellers(keys, raw, weights_obj, out_mask, held, hold)


def _channel_mix(
    n: int,
    total: int,
    channel_weights: npt.ArrayLike | None,
    channel_totals: npt.ArrayLike | None,
    past: npt.ArrayLike | None,
    from_month: int,
) -> tuple[FloatArray, IntArray | None]:
    """Each seller's channel weights ``(n, c)`` and the exact channel totals, if given."""
    wanted: IntArray | None = None
    if channel_totals is not None:
        wanted = _ints(channel_totals, "channel_totals")
        if wanted.ndim != 1 or wanted.size == 0 or (wanted < 0).any():
            raise AllocationError("channel_totals must be (c,) non-negative amounts")
        if int(wanted.sum()) != total:
            raise AllocationError(
                f"channel_totals sum to {int(wanted.sum())}, not to the total {total}"
            )
        if past is not None and from_month > 0:
            raise AllocationError("channel_totals cannot be combined with past months")
        if channel_weights is not None and np.ndim(channel_weights) != 1:
            raise AllocationError("channel_totals needs company channel weights (c,), not (n, c)")
        if channel_weights is None:
            channel_weights = wanted.astype(np.float64)
    if channel_weights is None:
        cw = np.ones((n, 1))
    else:
        cw = _floats(channel_weights, "channel_weights")
        if cw.ndim == 1:
            if cw.size == 0 or float(_stable_sum(cw)) <= 0:
                raise AllocationError("channel shares are all zero")
            cw = np.broadcast_to(cw, (n, cw.size))
        elif cw.ndim != 2 or cw.shape[0] != n:
            raise AllocationError(f"channel_weights must be (c,) or ({n}, c), got {cw.shape}")
        else:
            company = _stable_sum(cw.T, axis=1)
            if float(_stable_sum(company)) <= 0:
                company = np.ones(cw.shape[1])
            cw = np.where((_stable_sum(cw, axis=1) > 0)[:, None], cw, company[None, :])
    cw = _scaled_rows(cw)
    c = cw.shape[1]
    if wanted is not None and wanted.size != c:
        raise AllocationError(f"channel_totals must have shape ({c},), got {wanted.shape}")
    return cw, wanted


def _month_profile(
    c: int, n_months: int, from_month: int, phasing: npt.ArrayLike | None
) -> FloatArray:
    """The phasing ``(c, m)``, zero before ``from_month`` (flat over the remaining months for a
    channel whose profile has nothing left)."""
    if not 0 <= from_month <= n_months:
        raise AllocationError(f"from_month must be between 0 and {n_months}, got {from_month}")
    profile = np.ones((c, n_months)) if phasing is None else _floats(phasing, "phasing")
    if profile.shape == (n_months,):
        profile = np.broadcast_to(profile, (c, n_months))
    if profile.shape != (c, n_months):
        raise AllocationError(f"phasing must be ({n_months},) or ({c}, {n_months})")
    profile = _scaled_rows(profile)
    if (_stable_sum(profile, axis=1) <= 0).any():
        raise AllocationError("a phasing profile is all zero for a channel")
    remaining_months = np.arange(n_months) >= from_month
    profile = np.where(remaining_months[None, :], profile, 0.0)
    dead = _stable_sum(profile, axis=1) <= 0
    return np.where(dead[:, None], remaining_months[None, :].astype(np.float64), profile)


@dataclass(frozen=True, eq=False)
class _Past:
    """A re-run's kept months and what holds still need beyond them."""

    cells: IntArray  # (n, c, m), zero from ``from_month`` on
    amount: IntArray  # (n,)
    total: int
    future_hold: IntArray  # (n,) what a held seller still gets in the remaining months
    hold_sum: int


def _past_months(
    past: npt.ArrayLike | None,
    from_month: int,
    shape: tuple[int, int, int],
    total: int,
    sellers: _Sellers,
) -> _Past:
    n, c, n_months = shape
    keys, held, hold = sellers.keys, sellers.held, sellers.hold
    past_cells = np.zeros((n, c, n_months), dtype=np.int64)
    if past is not None and from_month > 0:
        given = _ints(past, "past")
        if given.shape != (n, c, n_months):
            raise AllocationError(f"past must have shape ({n}, {c}, {n_months})")
        if (given < 0).any():
            raise AllocationError("past amounts must not be negative")
        past_cells[:, :, :from_month] = given[:, :, :from_month]
    past_amount = past_cells.sum(axis=(1, 2))
    past_sum = int(past_amount.sum())
    if past_sum > total:
        raise CascadeInfeasible(
            f"past months sum to {past_sum}, more than the total {total}",
            [{"kind": "past", "amount": past_sum}, {"kind": "total", "amount": total}],
        )
    if from_month == n_months and past_sum != total:
        raise AllocationError("a re-run from after the last month cannot change the total")
    future_hold = hold - past_amount
    low_hold = held & (future_hold < 0)
    if low_hold.any():
        raise CascadeInfeasible(
            f"holds of {keys[low_hold].tolist()} are below what their past months already have",
            [{"kind": "holds_below_past", "sellers": keys[low_hold].tolist()}],
        )
    future_hold = np.where(held, future_hold, 0)
    hold_sum = int(hold[held].sum())
    if int(future_hold.sum()) > total - past_sum:
        raise CascadeInfeasible(
            f"holds sum to {hold_sum}, more than the total {total}"
            + (f" less past months {past_sum}" if past_sum else ""),
            [
                {"kind": "holds", "sellers": keys[held].tolist(), "amount": hold_sum},
                {"kind": "total", "amount": total},
            ]
            + ([{"kind": "past", "amount": past_sum}] if past_sum else []),
        )
    return _Past(past_cells, past_amount, past_sum, future_hold, hold_sum)


@dataclass(frozen=True, eq=False)
class _Grid:
    """The sellers left to share the total, their relative weights and bounds on the grid of
    rounding units (bounds of the remaining months: a re-run's past is taken off)."""

    free: BoolArray
    spread: int  # what the free sellers share (total less past months and holds)
    grid_units: int
    rest: int  # the part of ``spread`` below one rounding unit
    w: FloatArray
    positive: BoolArray
    lower_real: FloatArray
    upper_real: FloatArray
    lower_units: FloatArray
    upper_units: FloatArray
    upper_eff: FloatArray


def _grid(
    total: int,
    rounding_unit: int,
    bounds: Bounds | None,
    sellers: _Sellers,
    past: _Past,
) -> _Grid:
    n = sellers.keys.shape[0]
    keys = sellers.keys
    free = ~sellers.held & ~sellers.excluded
    spread = total - past.total - int(past.future_hold.sum())
    grid_units, rest = divmod(spread, rounding_unit)
    if grid_units > MAX_UNITS:
        raise AllocationError(f"the total exceeds {MAX_UNITS} rounding units")
    w = np.where(free, sellers.raw, 0.0)
    peak = float(w.max()) if w.size else 0.0
    if peak > 0:  # relative weights; one below MIN_RELATIVE_WEIGHT of the largest counts as zero
        w = w / peak
        w = np.where(w < MIN_RELATIVE_WEIGHT, 0.0, w)
    positive = w > 0
    lower_real = np.zeros(n)
    upper_real = np.full(n, np.inf)
    if bounds is not None:
        given_lower = _floats(bounds.lower, "bounds.lower", (n,))
        given_upper = np.asarray(bounds.upper, dtype=np.float64)
        if given_upper.shape != (n,) or np.isnan(given_upper).any() or (given_upper < 0).any():
            raise AllocationError(f"bounds.upper must be ({n},) non-negative numbers or inf")
        crossed = free & (given_lower > given_upper)
        if crossed.any():
            raise AllocationError(
                f"lower bound above upper bound for sellers {keys[crossed][:5].tolist()}"
            )
        lower_real = np.maximum(given_lower - past.amount, 0.0)
        upper_real = given_upper - past.amount
        over = free & (upper_real < 0)
        if over.any():
            raise CascadeInfeasible(
                f"past months of {keys[over].tolist()} already exceed their upper bounds",
                [{"kind": "past_above_upper", "sellers": keys[over].tolist()}],
            )
    # Bounds on the rounding grid, inward; an interval holding no grid point snaps to the
    # grid point nearest its middle.
    lower_units = np.ceil(lower_real / rounding_unit)
    upper_units = np.floor(upper_real / rounding_unit)
    empty = lower_units > upper_units
    middle = np.round((lower_real + upper_real) / (2 * rounding_unit))
    lower_units = np.where(empty, middle, lower_units)
    upper_units = np.where(empty, middle, upper_units)
    lower_units = np.where(free, lower_units, 0.0)
    upper_eff = np.where(free & positive, upper_units, lower_units)
    return _Grid(
        free,
        spread,
        grid_units,
        rest,
        w,
        positive,
        lower_real,
        upper_real,
        lower_units,
        upper_units,
        upper_eff,
    )


def _check_feasible(
    g: _Grid, total: int, rounding_unit: int, sellers: _Sellers, past: _Past
) -> None:
    """Raise :class:`CascadeInfeasible` when bounds, holds and past months cannot all hold."""
    keys, held, free, positive = sellers.keys, sellers.held, g.free, g.positive
    hold_sum, past_sum = past.hold_sum, past.total
    bounded_low = free & (g.lower_units > 0)
    sum_lower = int(g.lower_units[free].astype(np.int64).sum())
    if sum_lower > g.grid_units:
        raise _infeasible(
            "lower",
            keys,
            bounded_low,
            sum_lower * rounding_unit,
            held,
            hold_sum,
            total,
            past_sum,
        )
    if g.spread > 0 and not free.any():
        raise CascadeInfeasible(
            f"every seller is held or excluded, but holds sum to {hold_sum}, not the total {total}",
            [
                {"kind": "no_free_seller", "excluded": keys[sellers.excluded].tolist()},
                {"kind": "holds", "sellers": keys[held].tolist(), "amount": hold_sum},
                {"kind": "total", "amount": total},
            ],
        )
    if g.spread > 0 and not positive.any() and sum_lower * rounding_unit != g.spread:
        raise AllocationError(
            "all weights are zero for the sellers left to share the total "
            "(not held, not excluded): nothing to split proportionally"
        )
    if np.isfinite(g.upper_eff[free]).all():
        sum_upper = int(g.upper_eff[free].astype(np.int64).sum())
        short = sum_upper < g.grid_units
        if not short and sum_upper == g.grid_units and g.rest:
            slack = np.floor(g.upper_real) - g.upper_eff * rounding_unit
            short = not (free & positive & (slack >= g.rest)).any()
        if short:
            error = _infeasible(
                "upper",
                keys,
                free & positive & np.isfinite(g.upper_real),
                sum_upper * rounding_unit,
                held,
                hold_sum,
                total,
                past_sum,
            )
            idle = free & ~positive
            if idle.any():
                # Sellers with zero weight take nothing beyond their lower bound.
                error.conflicts.append({"kind": "zero_weight", "sellers": keys[idle].tolist()})
            raise error


@dataclass(frozen=True, eq=False)
class _Annual:
    """The free sellers' water-filled quotas (in rounding units) and everyone's annual
    amount for the remaining months (free sellers' shares plus holds)."""

    idx: IntArray  # positions of the free sellers
    x: FloatArray
    level: float
    floors: FloatArray
    annual: IntArray
    future: IntArray


def _annual_shares(g: _Grid, rounding_unit: int, keys: npt.NDArray[Any], past: _Past) -> _Annual:
    n = keys.shape[0]
    w, upper_eff = g.w, g.upper_eff
    idx = np.flatnonzero(g.free)
    x, level = water_fill(float(g.grid_units), w[idx], g.lower_units[idx], upper_eff[idx])
    floors = np.floor(x)
    eligible = (w[idx] > 0) & (floors + 1 <= upper_eff[idx])
    ties = _tie_codes(idx.size, keys[idx]) if idx.size else np.zeros(0, dtype=np.int64)
    annual_units = np.zeros(n, dtype=np.int64)
    key = np.zeros(0, dtype=np.int64)
    bumped = np.zeros(0, dtype=np.bool_)
    if idx.size:
        rounded, key_rows, bumped_rows = _round_quotas(
            x[None, :], np.array([g.grid_units]), eligible[None, :], ties
        )
        annual_units[idx] = rounded[0]
        key, bumped = key_rows[0], bumped_rows[0]
    annual = annual_units * rounding_unit
    rest = g.rest
    if rest:
        slack_ok = (w[idx] > 0) & (g.upper_real[idx] - annual[idx] >= rest)
        cand = slack_ok & ~bumped
        if not cand.any():
            cand = slack_ok
        if not cand.any():  # pragma: no cover - excluded by the feasibility checks above
            cand = w[idx] > 0
        annual[idx[int(np.where(cand, key, -1).argmax())]] += rest
    future = annual + past.future_hold
    return _Annual(idx, x, level, floors, annual, future)


def _cells(
    future: IntArray,
    cw: FloatArray,
    wanted: IntArray | None,
    profile: FloatArray,
    availability: npt.ArrayLike | None,
    cell_unit: int,
    keys: npt.NDArray[Any],
) -> IntArray:
    """Each seller's remaining annual amount split by channel, then by month ``(n, c, m)``."""
    n, (c, n_months) = future.shape[0], profile.shape
    by_channel = _split_rows(future, cw, cell_unit, _tie_codes(c, None))
    if wanted is not None:
        row_totals = _stable_sum(cw, axis=1)
        quotas = cw * (future / np.where(row_totals > 0, row_totals, 1.0))[:, None]
        by_channel = _match_columns(by_channel, quotas, wanted, cell_unit, keys)
    month_w = np.broadcast_to(profile[None, :, :], (n, c, n_months))
    if availability is not None:
        avail = _scaled_rows(_floats(availability, "availability", (n, n_months)))
        adjusted = month_w * avail[:, None, :]
        usable = adjusted.sum(axis=2) > 0
        month_w = np.where(usable[:, :, None], adjusted, month_w)
    return _split_rows(
        by_channel.reshape(-1),
        np.ascontiguousarray(month_w).reshape(n * c, n_months),
        cell_unit,
        _tie_codes(n_months, None),
    ).reshape(n, c, n_months)


def _explanation(
    sellers: _Sellers,
    g: _Grid,
    a: _Annual,
    past: _Past,
    amounts: IntArray,
    rounding_unit: int,
) -> Explanation:
    n = sellers.keys.shape[0]
    w, idx, x, free, raw = g.w, a.idx, a.x, g.free, sellers.raw
    weight_total = float(_stable_sum(w))
    weight_share = w / weight_total if weight_total > 0 else np.zeros(n)
    proportional = np.floor(weight_share * g.spread).astype(np.int64)
    bound = np.zeros(n, dtype=np.int8)
    rounded_down = np.zeros(n, dtype=np.int64)
    remainder = np.zeros(n)
    if idx.size:
        natural = a.level * w[idx]
        lower, upper = g.lower_units[idx], g.upper_eff[idx]
        pinned_low = (x <= lower) & ((natural < lower) | (w[idx] == 0))
        pinned_low &= lower > 0
        pinned_high = (x >= upper) & (natural > upper) & (w[idx] > 0)
        bound[idx] = np.where(pinned_low, BOUND_LOWER, np.where(pinned_high, BOUND_UPPER, 0))
        rounded_down[idx] = a.floors.astype(np.int64) * rounding_unit
        remainder[idx] = x - a.floors
    rounding = np.where(free, a.annual - rounded_down, 0)
    if sellers.weights is not None:
        components, mix = sellers.weights.components, sellers.weights.mix
    else:
        vector = raw / float(_stable_sum(raw)) if float(_stable_sum(raw)) > 0 else raw
        components, mix = {"weight": vector}, {"weight": 1.0}
    past_float = past.amount.astype(np.float64)
    grid_lower = np.asarray(np.where(free, g.lower_units * rounding_unit, 0.0) + past_float)
    grid_upper = np.asarray(np.where(free, g.upper_units * rounding_unit, np.inf) + past_float)
    return Explanation(
        keys=sellers.keys,
        weight=raw,
        weight_share=weight_share,
        components=components,
        mix=mix,
        excluded=sellers.excluded,
        held=sellers.held,
        hold=sellers.hold,
        past=past.amount,
        proportional=proportional,
        lower=grid_lower,
        upper=grid_upper,
        bound=bound,
        rounded_down=rounded_down,
        remainder=remainder,
        rounding=rounding,
        amount=amounts,
    )


def cascade(
    total: int,
    *,
    seller_unit: npt.ArrayLike,
    unit_parent: npt.ArrayLike,
    weights: Weights | npt.ArrayLike,
    seller_keys: npt.ArrayLike | None = None,
    bounds: Bounds | None = None,
    holds: Mapping[int, int] | None = None,
    excluded: npt.ArrayLike | None = None,
    channel_weights: npt.ArrayLike | None = None,
    channel_totals: npt.ArrayLike | None = None,
    phasing: npt.ArrayLike | None = None,
    availability: npt.ArrayLike | None = None,
    n_months: int = 12,
    rounding_unit: int = 1,
    cell_unit: int | None = None,
    past: npt.ArrayLike | None = None,
    from_month: int = 0,
) -> CascadeResult:
    """Cascade ``total`` (minor units) to every seller, channel and month, and roll up units.

    - ``seller_unit`` ``(n,)``: each seller's unit; ``unit_parent`` ``(u,)``: parent, -1 root.
    - ``weights``: :class:`Weights` (from :func:`blend` / :meth:`Weights.single`) or ``(n,)``.
    - ``seller_keys`` ``(n,)``: unique stable ids (default: position) for ties and messages.
    - ``bounds``: annual :class:`Bounds` (see :func:`growth_bounds`); ``holds``: seller index →
      fixed annual amount (bounds do not apply to it); ``excluded`` ``(n,)`` bool: share 0.
      The rest is water-filled in proportion to weights within the bounds.
    - ``channel_weights``: ``(c,)`` company shares or ``(n, c)`` per seller (a seller whose row
      is all zero falls back to the company mix, the column sums); default: one channel.
    - ``channel_totals``: ``(c,)`` exact amounts per channel summing to ``total`` (a target
      split by channel; not with ``past`` nor with per-seller ``channel_weights``): the channel columns of the cells then sum to them
      exactly (default channel weights: these amounts).
    - ``phasing``: ``(m,)`` or ``(c, m)`` profile (default flat), times ``availability``
      ``(n, m)`` if given (a seller with no available month keeps the plain profile).
    - ``rounding_unit``: annual shares are multiples of it (one seller takes the part below a
      unit); ``cell_unit`` (default: the same) does the same for channel and month cells.
    - Re-run: ``past`` ``(n, c, m)`` and ``from_month``: cells of months before ``from_month``
      are kept as given, ``total − past`` is spread over the remaining months, holds and
      bounds still apply to the annual amount (past + remaining).

    Raises :class:`AllocationError` on bad input and :class:`CascadeInfeasible` when bounds,
    holds, past months and the total cannot all hold.
    """
    total = _amount(total, "total")
    rounding_unit = _unit(rounding_unit, "rounding_unit")
    cell_unit = rounding_unit if cell_unit is None else _unit(cell_unit, "cell_unit")
    if not 1 <= n_months <= 366:
        raise AllocationError(f"n_months must be between 1 and 366, got {n_months}")
    units_of, parent, depth = _unit_tree(seller_unit, unit_parent)
    n = units_of.shape[0]
    sellers = _sellers(n, seller_keys, weights, excluded, holds)
    cw, wanted = _channel_mix(n, total, channel_weights, channel_totals, past, from_month)
    c = cw.shape[1]
    profile = _month_profile(c, n_months, from_month, phasing)
    kept = _past_months(past, from_month, (n, c, n_months), total, sellers)

    grid = _grid(total, rounding_unit, bounds, sellers, kept)
    _check_feasible(grid, total, rounding_unit, sellers, kept)
    annual = _annual_shares(grid, rounding_unit, sellers.keys, kept)

    cells = _cells(annual.future, cw, wanted, profile, availability, cell_unit, sellers.keys)
    cells += kept.cells
    amounts = annual.future + kept.amount
    direct, subtree = _rollup(units_of, cells, parent, depth)
    return CascadeResult(
        total=total,
        rounding_unit=rounding_unit,
        from_month=from_month,
        seller_amounts=amounts,
        cells=cells,
        unit_amounts=subtree.sum(axis=(1, 2)),
        unit_direct_amounts=direct.sum(axis=(1, 2)),
        unit_cells=subtree,
        explain=_explanation(sellers, grid, annual, kept, amounts, rounding_unit),
        unit_depth=depth,
    )
