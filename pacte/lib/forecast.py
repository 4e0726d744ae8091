"""Forecasting maths: seasonality, run-rate, the seller's judgment, probability, accuracy.

Framework-free (NumPy only). Conventions:

* Money is integer minor units (``int`` / ``np.int64``) on the way in and on the way
  out. Forecast amounts are rounded **half to even** (Python's ``round``, ``np.rint``)
  exactly once, at the end; intermediate expectations are floats and are never money.
* Arrays of 12 months are in **fiscal order** (index 0 = fiscal month 1, see
  :mod:`pacte.lib.fiscal`), so ``months_elapsed = 3`` means fiscal months 1..3 are done.
* Probabilities are floats in [0, 1]. Simulations are seeded and reproducible.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from statistics import NormalDist
from typing import Literal

import numpy as np
import numpy.typing as npt

__all__ = [
    "ForecastAccuracy",
    "RunRateBatch",
    "RunRateForecast",
    "blend_with_judgment",
    "forecast_accuracy",
    "largest_remainder",
    "monthly_cv",
    "probability_of_reaching",
    "probability_of_reaching_batch",
    "residual_ratios",
    "run_rate_forecast",
    "run_rate_forecast_batch",
    "seasonality_profile",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
Basis = Literal["actual", "run_rate", "fallback", "flat", "none"]
_BASIS: tuple[Basis, ...] = ("actual", "run_rate", "fallback", "flat", "none")
_ACTUAL, _RUN_RATE, _FALLBACK, _FLAT, _NONE = range(5)


# --------------------------------------------------------------------------- helpers
def _money(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an integer amount in minor units, got {value!r}")
    return int(value)


def _money_array(values: npt.ArrayLike, name: str) -> IntArray:
    arr = np.asarray(values)
    if arr.size == 0:
        return arr.astype(np.int64)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must be integer amounts in minor units, got dtype {arr.dtype}")
    return arr.astype(np.int64, copy=False)


def _profile_rows(profile: npt.ArrayLike, rows: int) -> FloatArray:
    p = np.asarray(profile, dtype=np.float64)
    if p.ndim == 1:
        p = np.broadcast_to(p, (rows, p.shape[0]))
    if p.shape != (rows, 12):
        raise ValueError(f"profile must have shape (12,) or ({rows}, 12), got {p.shape}")
    if not np.isfinite(p).all() or (p < 0).any():
        raise ValueError("profile weights must be finite and non-negative")
    sums = p.sum(axis=1, keepdims=True)
    if (sums <= 0).any():
        raise ValueError("profile weights must not all be zero")
    return p / sums


def largest_remainder(total: int, weights: npt.ArrayLike) -> IntArray:
    """Split integer ``total`` in proportion to ``weights`` so the parts sum exactly to it.

    Each part is the floor of its exact quota, plus one for the largest fractional
    remainders (ties to the lower index). A negative total is split as its absolute
    value and negated. All-zero weights raise ``ValueError``.
    """
    total = _money(total, "total")
    w = np.asarray(weights, dtype=np.float64)
    if w.size == 0:
        if total:
            raise ValueError("cannot split a non-zero total over no parts")
        return np.zeros(0, dtype=np.int64)
    if not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise ValueError("weights must be finite, non-negative and not all zero")
    sign, magnitude = (-1, -total) if total < 0 else (1, total)
    quotas = magnitude * (w / w.sum())
    parts = np.floor(quotas).astype(np.int64)
    short = magnitude - int(parts.sum())
    order = np.argsort(-(quotas - parts), kind="stable")
    if 0 <= short <= parts.size:
        parts[order[:short]] += 1
    else:  # only reachable through float error on astronomically large totals
        parts[order[0]] += short
    return sign * parts


# ----------------------------------------------------------------------- seasonality
def seasonality_profile(
    monthly_history: npt.ArrayLike, *, prior_strength: float = 0.0
) -> FloatArray:
    """Seasonal weights of the 12 fiscal months (sum to 1) from past years.

    ``monthly_history`` has shape ``(n_years_or_series, 12)`` (or ``(12,)``), fiscal
    order. Each row is turned into shares of its own total and the shares are averaged
    with equal weight per row, so a big year does not dominate a small one. Negative
    months (net returns) count as zero; rows with a non-finite value (a partial year
    marked NaN) or a total of zero are ignored. With no usable row the profile is flat.

    ``prior_strength`` shrinks towards flat: it counts as that many flat years in the
    average (0 = no shrinkage, the profile reproduces a perfectly seasonal history).
    """
    h = np.asarray(monthly_history, dtype=np.float64)
    if h.ndim == 1:
        h = h[None, :]
    if h.ndim != 2 or h.shape[1] != 12:
        raise ValueError(f"monthly history must have shape (n, 12), got {h.shape}")
    if prior_strength < 0 or not np.isfinite(prior_strength):
        raise ValueError("prior_strength must be finite and non-negative")
    finite = np.isfinite(h).all(axis=1)
    h = np.clip(np.where(finite[:, None], h, 0.0), 0.0, None)
    totals = h.sum(axis=1)
    usable = finite & (totals > 0)
    count = int(usable.sum()) + prior_strength
    if count == 0:
        return np.full(12, 1 / 12)
    acc = (h[usable] / totals[usable, None]).sum(axis=0) + prior_strength / 12
    return acc / acc.sum()


def residual_ratios(monthly_history: npt.ArrayLike, profile: npt.ArrayLike) -> FloatArray:
    """Historical month-to-expectation ratios, the bootstrap pool of the simulation.

    For each usable year (finite, total > 0) and each month with a positive weight:
    ``actual_month / (year_total * profile[month])``. A ratio of 1 is a month exactly
    on its seasonal expectation. These are in-sample ratios (the year's own total is
    known), so they slightly understate the spread of real forecast errors.
    """
    h = np.asarray(monthly_history, dtype=np.float64)
    if h.ndim == 1:
        h = h[None, :]
    if h.ndim != 2 or h.shape[1] != 12:
        raise ValueError(f"monthly history must have shape (n, 12), got {h.shape}")
    p = _profile_rows(profile, 1)[0]
    finite = np.isfinite(h).all(axis=1)
    h = np.clip(np.where(finite[:, None], h, 0.0), 0.0, None)
    totals = h.sum(axis=1)
    usable = finite & (totals > 0)
    months = p > 0
    expected = totals[usable, None] * p[None, months]
    return (h[usable][:, months] / expected).ravel()


def monthly_cv(ratios: npt.ArrayLike) -> float:
    """Coefficient of variation of monthly ratios (sample standard deviation / mean).

    0.0 with fewer than two ratios or a non-positive mean (no evidence of variance).
    """
    r = np.asarray(ratios, dtype=np.float64).ravel()
    r = r[np.isfinite(r)]
    if r.size < 2 or r.mean() <= 0:
        return 0.0
    return float(r.std(ddof=1) / r.mean())


# -------------------------------------------------------------------------- run-rate
@dataclass(frozen=True)
class RunRateForecast:
    """Projected fiscal-year total of one seller (or team, channel…).

    ``total`` — projected fiscal-year amount, or ``None`` when nothing can be said.
    ``by_month`` — 12 fiscal months: the actuals of elapsed months, then the rounded
    projection of each remaining month; sums exactly to ``total``.
    ``remaining_expected`` — unrounded expectation of each remaining month (the input
    of :func:`probability_of_reaching`); ``None`` with ``total``.
    ``elapsed_share`` — share of the year's seasonality already elapsed.
    ``basis`` — which rule produced the figure: ``actual`` (year over), ``run_rate``,
    ``fallback`` (the given full-year amount, e.g. last year), ``flat`` (average month
    so far, when the profile gives the elapsed months no weight), ``none``.
    """

    total: int | None
    by_month: IntArray | None
    remaining_expected: FloatArray | None
    elapsed_share: float
    basis: Basis


@dataclass(frozen=True)
class RunRateBatch:
    """Vectorised run-rate of many series; row ``i`` matches ``run_rate_forecast``.

    ``totals`` is 0 where ``valid`` is False; ``remaining_expected`` (shape
    ``(n, 12 - months_elapsed)``) is NaN there. ``basis`` holds indexes into
    ``RunRateBatch.BASIS``.
    """

    totals: IntArray
    valid: npt.NDArray[np.bool_]
    remaining_expected: FloatArray
    elapsed_share: FloatArray
    basis: npt.NDArray[np.int8]

    BASIS = _BASIS


def run_rate_forecast_batch(
    actuals_to_date: npt.ArrayLike,
    profiles: npt.ArrayLike,
    months_elapsed: int,
    *,
    fallback_totals: npt.ArrayLike | None = None,
    fallback_mask: npt.ArrayLike | None = None,
) -> RunRateBatch:
    """Run-rate of ``n`` series at once; see :func:`run_rate_forecast` for the rules.

    ``actuals_to_date``: ints of shape ``(n, months_elapsed)`` or ``(n, 12)`` (only the
    first ``months_elapsed`` columns are read). ``profiles``: ``(12,)`` or ``(n, 12)``.
    ``fallback_totals``: ints ``(n,)``, used where ``fallback_mask`` is True (all rows
    when the mask is omitted).
    """
    e = months_elapsed
    if isinstance(e, bool) or not isinstance(e, int | np.integer) or not 0 <= e <= 12:
        raise ValueError(f"months_elapsed must be an integer in 0..12, got {e!r}")
    e = int(e)
    a = _money_array(actuals_to_date, "actuals_to_date")
    if a.ndim != 2 or a.shape[1] not in (e, 12):
        raise ValueError(f"actuals_to_date must have shape (n, {e}) or (n, 12), got {a.shape}")
    rows = a.shape[0]
    p = _profile_rows(profiles, rows)
    actual = a[:, :e].sum(axis=1)
    share = p[:, :e].sum(axis=1)
    rest = p[:, e:]
    if fallback_totals is None:
        has_fb = np.zeros(rows, dtype=bool)
        fb = np.zeros(rows, dtype=np.int64)
    else:
        fb = _money_array(fallback_totals, "fallback_totals").reshape(-1)
        if fb.shape != (rows,):
            raise ValueError(f"fallback_totals must have shape ({rows},), got {fb.shape}")
        has_fb = (
            np.ones(rows, dtype=bool)
            if fallback_mask is None
            else np.asarray(fallback_mask, dtype=bool).reshape(rows)
        )
    basis = np.full(rows, _NONE, dtype=np.int8)
    totals = np.zeros(rows, dtype=np.int64)
    remaining = np.full((rows, 12 - e), np.nan)
    if e == 12:
        basis[:] = _ACTUAL
        totals = actual.copy()
        return RunRateBatch(totals, np.ones(rows, dtype=bool), remaining, share, basis)

    positive = np.maximum(actual, 0).astype(np.float64)
    run = (share > 0) & (e > 0)
    # Full-year run-rate: actual to date over the share of the year elapsed.
    rate = positive[run] / share[run]
    remaining[run] = rate[:, None] * rest[run]
    run_actual = actual[run]
    totals[run] = np.where(
        run_actual > 0, np.maximum(np.rint(rate).astype(np.int64), run_actual), run_actual
    )
    basis[run] = _RUN_RATE

    fall = ~run & has_fb
    fb_amount = np.maximum(fb[fall], 0).astype(np.float64)
    remaining[fall] = fb_amount[:, None] * rest[fall]
    totals[fall] = actual[fall] + np.rint(remaining[fall].sum(axis=1)).astype(np.int64)
    basis[fall] = _FALLBACK

    flat = ~run & ~has_fb & (e > 0)
    per_month = positive[flat] / max(e, 1)
    remaining[flat] = per_month[:, None]
    totals[flat] = actual[flat] + np.rint(per_month * (12 - e)).astype(np.int64)
    basis[flat] = _FLAT

    return RunRateBatch(totals, basis != _NONE, remaining, share, basis)


def run_rate_forecast(
    actuals_to_date: npt.ArrayLike,
    profile: npt.ArrayLike,
    months_elapsed: int,
    *,
    fallback_total: int | None = None,
) -> RunRateForecast:
    """Project the fiscal-year total from the actuals of the elapsed months.

    Rules, in order (``A`` = actual to date, ``s`` = profile share of elapsed months):

    1. all 12 months elapsed: the total is ``A`` (``basis="actual"``);
    2. ``s > 0``: total = ``round_half_even(A / s)``; each remaining month expects
       ``(A / s) * profile[m]``. A negative ``A`` (net returns) projects nothing more;
    3. otherwise, with ``fallback_total`` (e.g. last year's total, or the objective):
       remaining months expect ``fallback_total * profile[m]``;
    4. otherwise, if some months elapsed: the average month so far, flat;
    5. otherwise (nothing elapsed, no fallback): ``total=None``.

    ``actuals_to_date`` holds the elapsed months' actuals (length ``months_elapsed``, or
    12 with the future ignored); ``profile`` is normalised to sum to 1.
    """
    fb = None if fallback_total is None else _money(fallback_total, "fallback_total")
    a = _money_array(actuals_to_date, "actuals_to_date").reshape(1, -1)
    batch = run_rate_forecast_batch(
        a,
        profile,
        months_elapsed,
        fallback_totals=None if fb is None else [fb],
    )
    basis = _BASIS[int(batch.basis[0])]
    share = float(batch.elapsed_share[0])
    if not batch.valid[0]:
        return RunRateForecast(None, None, None, share, basis)
    total = int(batch.totals[0])
    e = int(months_elapsed)
    expected = batch.remaining_expected[0]
    by_month = np.zeros(12, dtype=np.int64)
    by_month[:e] = a[0, :e]
    still = total - int(a[0, :e].sum())
    if e < 12:
        weights = expected if expected.sum() > 0 else np.ones(12 - e)
        by_month[e:] = largest_remainder(still, weights)
    return RunRateForecast(total, by_month, expected.copy(), share, basis)


# -------------------------------------------------------------------------- judgment
def blend_with_judgment(
    run_rate: int | None,
    committed: int | None,
    best_case: int | None,
    weight: float,
) -> int | None:
    """Combine the run-rate with the seller's own range ``[committed, best_case]``.

    Rule: the seller's range says *where* the year will land; the run-rate picks the
    point inside it. The judgment point ``J`` is the run-rate clamped to the range
    (``committed`` is a floor, ``best_case`` a ceiling; either may be missing). The
    result is ``round_half_even((1 - weight) * run_rate + weight * J)``, computed
    exactly: ``weight=0`` ignores the judgment, ``weight=1`` trusts it fully, and the
    result always lies between the run-rate and the seller's range.

    With no run-rate (nothing elapsed, no history) the result is ``committed``, else
    ``best_case``, else ``None``. ``best_case < committed`` raises ``ValueError``.
    """
    w = Fraction(weight)
    if not 0 <= w <= 1:
        raise ValueError(f"weight must be in [0, 1], got {weight!r}")
    rr = None if run_rate is None else _money(run_rate, "run_rate")
    lo = None if committed is None else _money(committed, "committed")
    hi = None if best_case is None else _money(best_case, "best_case")
    if lo is not None and hi is not None and hi < lo:
        raise ValueError(f"best case ({hi}) is below the committed amount ({lo})")
    if rr is None:
        return lo if lo is not None else hi
    point = rr
    if lo is not None:
        point = max(point, lo)
    if hi is not None:
        point = min(point, hi)
    return round(rr + w * (point - rr))


# ----------------------------------------------------------------------- probability
_QUANTILE_BITS = 16
_BLOCK_SELLERS = 256
_BLOCK_ELEMENTS = 1 << 22  # draws per block, bounds memory to ~25 MB per worker


@cache
def _normal_quantiles() -> npt.NDArray[np.float32]:
    size = 1 << _QUANTILE_BITS
    nd = NormalDist()
    return np.array([nd.inv_cdf((k + 0.5) / size) for k in range(size)], dtype=np.float32)


def probability_of_reaching_batch(
    actual_to_date: npt.ArrayLike,
    remaining_expected: npt.ArrayLike,
    goals: npt.ArrayLike,
    *,
    monthly_cv: npt.ArrayLike | None = None,
    residual_ratios: npt.ArrayLike | None = None,
    n: int = 1000,
    seed: int = 0,
    workers: int | None = None,
) -> FloatArray:
    """P(actual + simulated remaining months ≥ goal) for many sellers at once.

    Shapes: ``actual_to_date`` ints ``(S,)``; ``remaining_expected`` floats ``(S, M)``
    (a row of NaN gives a NaN probability, e.g. a run-rate without basis); ``goals``
    ints ``(S,)`` or ``(S, K)`` (e.g. objective and target, judged on the same draws).
    Returns ``(S,)`` or ``(S, K)`` floats in [0, 1].

    Each remaining month ``m`` is simulated as ``expected[m] * X``, months independent,
    with ``X`` of mean 1 drawn either:

    * ``monthly_cv`` (scalar or ``(S,)``): lognormal with that coefficient of variation
      (``sigma² = ln(1 + cv²)``, ``mu = -sigma²/2``). The normal is drawn by inversion
      from a 65,536-point quantile grid (tails cut beyond ±4.3 sigma), which is several
      times faster than generating floats and makes no visible difference here;
    * ``residual_ratios`` (``(R,)`` shared or ``(S, R)``): bootstrap of historical
      month-to-expectation ratios (see :func:`residual_ratios`), which keeps the skew of
      lumpy sales; drawn uniformly up to a 1/65,536 quantisation.

    Reproducible: draws come from ``PCG64`` streams spawned per block of sellers from
    ``seed``, so a seller's result depends only on ``seed``, ``n``, ``M``, its row and its
    own inputs — not on other sellers' data, nor on ``workers``. All goals of a seller
    share the draws, so the probability is monotone (non-increasing) in the goal.
    Memory is bounded by processing blocks of sellers, optionally on ``workers`` threads.
    """
    if (monthly_cv is None) == (residual_ratios is None):
        raise ValueError("give exactly one of monthly_cv and residual_ratios")
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    n = int(n)
    actual = _money_array(actual_to_date, "actual_to_date").reshape(-1)
    sellers = actual.shape[0]
    exp = np.asarray(remaining_expected, dtype=np.float64)
    if exp.ndim == 1 and sellers == 1:
        exp = exp.reshape(1, -1)
    if exp.ndim != 2 or exp.shape[0] != sellers:
        raise ValueError(f"remaining_expected must have shape ({sellers}, M), got {exp.shape}")
    months = exp.shape[1]
    unknown = np.isnan(exp).any(axis=1)
    exp = np.where(unknown[:, None], 0.0, exp)
    if not np.isfinite(exp).all() or (exp < 0).any():
        raise ValueError("remaining_expected must be finite and non-negative (or NaN rows)")
    g = _money_array(goals, "goals")
    squeeze = g.ndim <= 1
    if g.ndim == 0:
        g = np.broadcast_to(g, (sellers, 1))
    elif g.ndim == 1 and g.shape[0] == sellers:
        g = g.reshape(sellers, 1)
    if g.ndim != 2 or g.shape[0] != sellers:
        raise ValueError(f"goals must have shape ({sellers},) or ({sellers}, K), got {g.shape}")
    # Compare simulated remaining months with what is still missing, exactly in ints.
    missing = (g - actual[:, None]).astype(np.float64)

    sigma: FloatArray | None = None
    pool: FloatArray | None = None
    if monthly_cv is not None:
        cv = np.broadcast_to(np.asarray(monthly_cv, dtype=np.float64), (sellers,))
        if not np.isfinite(cv).all() or (cv < 0).any():
            raise ValueError("monthly_cv must be finite and non-negative")
        sigma = np.sqrt(np.log1p(cv * cv))
    else:
        pool = np.asarray(residual_ratios, dtype=np.float64)
        if pool.ndim not in (1, 2) or pool.shape[-1] == 0:
            raise ValueError("residual_ratios must have shape (R,) or (S, R) with R ≥ 1")
        if pool.ndim == 2 and pool.shape[0] != sellers:
            raise ValueError(f"residual_ratios must have shape (R,) or ({sellers}, R)")
        if not np.isfinite(pool).all() or (pool < 0).any():
            raise ValueError("residual_ratios must be finite and non-negative")

    result = np.empty(g.shape, dtype=np.float64)
    if sellers == 0 or months == 0:
        result[:] = missing <= 0
        result[unknown] = np.nan
        return result[:, 0] if squeeze else result

    quantiles = _normal_quantiles() if sigma is not None else None
    shared_table = None
    if pool is not None and pool.ndim == 1:
        picks = (np.arange(1 << _QUANTILE_BITS, dtype=np.int64) * pool.size) >> _QUANTILE_BITS
        shared_table = pool[picks].astype(np.float32)
    block = max(1, min(_BLOCK_SELLERS, _BLOCK_ELEMENTS // (n * months)))
    starts = range(0, sellers, block)

    def run_block(k: int) -> None:
        lo = starts[k]
        hi = min(sellers, lo + block)
        size = hi - lo
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(k,))))
        raw = np.frombuffer(rng.bytes(2 * size * months * n), dtype="<u2")
        idx = raw.reshape(size, months, n)
        weights = exp[lo:hi]
        if quantiles is not None and sigma is not None:
            # X = exp(sigma * Z - sigma² / 2): the constant factor goes into the weights.
            s = sigma[lo:hi]
            weights = weights * np.exp(-0.5 * s * s)[:, None]
            x = np.take(quantiles, idx)
            x *= s.astype(np.float32)[:, None, None]
            np.exp(x, out=x)
        elif shared_table is not None:
            x = np.take(shared_table, idx)
        else:
            assert pool is not None
            r = pool.shape[1]
            pick = (idx.astype(np.int64) * r) >> _QUANTILE_BITS
            pick += (np.arange(size, dtype=np.int64) * r)[:, None, None]
            x = np.take(pool[lo:hi].astype(np.float32).ravel(), pick)
        # (size, 1, M) @ (size, M, n): each draw's total of the remaining months.
        simulated = np.matmul(weights.astype(np.float32)[:, None, :], x)[:, 0, :]
        for j in range(missing.shape[1]):
            threshold = missing[lo:hi, j].astype(np.float32)[:, None]
            result[lo:hi, j] = np.count_nonzero(simulated >= threshold, axis=1) / n

    count = len(starts)
    threads = min(workers if workers is not None else min(4, os.cpu_count() or 1), count)
    if threads <= 1:
        for k in range(count):
            run_block(k)
    else:
        with ThreadPoolExecutor(threads) as pool_ex:
            list(pool_ex.map(run_block, range(count)))
    result[unknown] = np.nan
    return result[:, 0] if squeeze else result


def probability_of_reaching(
    actual_to_date: int,
    remaining_expected_by_month: npt.ArrayLike,
    goal: int,
    *,
    monthly_cv: float | None = None,
    residual_ratios: npt.ArrayLike | None = None,
    n: int = 10_000,
    seed: int = 0,
) -> float:
    """P(actual_to_date + simulated remaining months ≥ goal), by seeded Monte-Carlo.

    Same model as :func:`probability_of_reaching_batch` (of which it is row 0): give
    ``monthly_cv`` (lognormal, mean 1) or ``residual_ratios`` (bootstrap). With no
    remaining month the answer is 1.0 or 0.0. Returns NaN when the expectation is NaN.
    """
    out = probability_of_reaching_batch(
        [_money(actual_to_date, "actual_to_date")],
        np.asarray(remaining_expected_by_month, dtype=np.float64).reshape(1, -1),
        [_money(goal, "goal")],
        monthly_cv=None if monthly_cv is None else [monthly_cv],
        residual_ratios=residual_ratios,
        n=n,
        seed=seed,
        workers=1,
    )
    return float(out[0])


# -------------------------------------------------------------------------- accuracy
@dataclass(frozen=True)
class ForecastAccuracy:
    """How snapshotted forecasts compared with the actual.

    ``mean_error`` — mean of ``forecast - actual`` in minor units (> 0: over-forecast).
    ``mape`` — mean of ``|forecast - actual| / |actual|`` over pairs with a non-zero
    actual (``None`` if none). ``wape`` — ``Σ|forecast - actual| / Σ|actual|``, the
    robust aggregate. ``bias`` — ``Σ(forecast - actual) / Σ|actual|`` (signed, > 0:
    over-forecast, ``|bias| ≤ wape``). Ratios are ``None`` when undefined.
    """

    n: int
    mean_error: float | None
    mape: float | None
    wape: float | None
    bias: float | None


def forecast_accuracy(snapshots: npt.ArrayLike, actual: npt.ArrayLike) -> ForecastAccuracy:
    """Accuracy of forecast snapshots (ints) against the actual (int, or broadcastable).

    Typical use: the monthly snapshots of a seller's year forecast against the year's
    actual; or the snapshots of many sellers, shape ``(S, k)``, with ``actual[:, None]``.
    """
    f = _money_array(snapshots, "snapshots")
    a = _money_array(actual, "actual")
    f, a = np.broadcast_arrays(f, a)
    f, a = f.ravel(), a.ravel()
    if f.size == 0:
        return ForecastAccuracy(0, None, None, None, None)
    err = f - a
    scale = int(np.abs(a).sum())
    nonzero = a != 0
    return ForecastAccuracy(
        n=int(f.size),
        mean_error=float(err.mean()),
        mape=float((np.abs(err[nonzero]) / np.abs(a[nonzero])).mean()) if nonzero.any() else None,
        wape=int(np.abs(err).sum()) / scale if scale else None,
        bias=int(err.sum()) / scale if scale else None,
    )
