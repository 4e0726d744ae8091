import itertools
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pacte.lib.forecast import (
    RunRateForecast,
    blend_with_judgment,
    forecast_accuracy,
    largest_remainder,
    monthly_cv,
    probability_of_reaching,
    probability_of_reaching_batch,
    residual_ratios,
    run_rate_forecast,
    run_rate_forecast_batch,
    seasonality_profile,
)


def months_of(result: RunRateForecast) -> np.ndarray:
    assert result.by_month is not None
    return result.by_month


BASE = np.array([1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2])  # H2 twice as strong: total 18


# ------------------------------------------------------------------------- seasonality
def test_profile_averages_shares_per_year():
    history = np.array([BASE * 100, BASE * 300])  # same shape, different size
    np.testing.assert_allclose(seasonality_profile(history), BASE / 18)


def test_profile_is_flat_without_history_and_ignores_empty_or_partial_years():
    np.testing.assert_allclose(seasonality_profile(np.zeros((0, 12))), np.full(12, 1 / 12))
    np.testing.assert_allclose(seasonality_profile(np.zeros((3, 12))), np.full(12, 1 / 12))
    partial = np.full(12, np.nan)
    partial[6:] = 5
    history = np.array([np.zeros(12), partial, BASE * 7.0])
    np.testing.assert_allclose(seasonality_profile(history), BASE / 18)


def test_profile_shrinks_towards_flat():
    history = np.zeros((1, 12))
    history[0, 0] = 12
    profile = seasonality_profile(history, prior_strength=1)
    # one spiky year + one flat year: (1 + 1/12) / 2 and (1/12) / 2
    assert profile[0] == pytest.approx(13 / 24)
    assert profile[1] == pytest.approx(1 / 24)


def test_profile_counts_negative_months_as_zero():
    row = np.array([-50, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100])
    profile = seasonality_profile(row)
    assert profile[0] == 0
    assert profile.sum() == pytest.approx(1)


@given(st.lists(st.lists(st.integers(-(10**9), 10**9), min_size=12, max_size=12), max_size=6))
def test_profile_is_a_distribution(rows):
    profile = seasonality_profile(np.array(rows, dtype=np.int64).reshape(-1, 12))
    assert profile.shape == (12,)
    assert (profile >= 0).all()
    assert profile.sum() == pytest.approx(1)


# ---------------------------------------------------------------------------- run-rate
def test_run_rate_hand_computed():
    # 300 sold in 3 months holding 3/18 of the year: 300 / (3/18) = 1800.
    result = run_rate_forecast([100, 100, 100], BASE / 18, 3)
    assert result.basis == "run_rate"
    assert result.total == 1800
    assert result.elapsed_share == pytest.approx(1 / 6)
    assert months_of(result).tolist() == [100] * 6 + [200] * 6
    assert result.remaining_expected is not None
    np.testing.assert_allclose(result.remaining_expected, [100] * 3 + [200] * 6)


def test_run_rate_rounds_half_to_even():
    flat = np.full(12, 1 / 12)
    # 1 cent in 8 months: 1 * 12 / 8 = 1.5 -> 2; 5 cents in 8 months: 7.5 -> 8; 3 -> 4.5 -> 4
    assert run_rate_forecast([1] + [0] * 7, flat, 8).total == 2
    assert run_rate_forecast([3] + [0] * 7, flat, 8).total == 4
    assert run_rate_forecast([5] + [0] * 7, flat, 8).total == 8


def test_run_rate_by_month_sums_to_total():
    result = run_rate_forecast([10, 0, 7], BASE / 18, 3)
    assert result.total == (17 * 6)
    assert int(months_of(result).sum()) == result.total
    assert months_of(result)[:3].tolist() == [10, 0, 7]


def test_nothing_elapsed_gives_none_or_the_fallback():
    none = run_rate_forecast([], BASE / 18, 0)
    assert (none.total, none.by_month, none.basis) == (None, None, "none")
    fallback = run_rate_forecast([], BASE, 0, fallback_total=1800)
    assert fallback.basis == "fallback"
    assert fallback.total == 1800
    assert months_of(fallback).tolist() == [100] * 6 + [200] * 6


def test_zero_elapsed_share_falls_back():
    profile = np.array([0, 0] + [1] * 10)
    assert run_rate_forecast([50, 70], profile, 2, fallback_total=1000).total == 120 + 1000
    flat = run_rate_forecast([50, 70], profile, 2)
    assert (flat.basis, flat.total) == ("flat", 120 + 60 * 10)


def test_full_year_is_the_actual_and_negative_actuals_project_nothing():
    assert run_rate_forecast(list(range(12)), BASE, 12).total == 66
    negative = run_rate_forecast([-100, 20], BASE, 2)
    assert negative.total == -80
    assert months_of(negative)[2:].tolist() == [0] * 10


def test_run_rate_accepts_twelve_columns_and_refuses_floats():
    assert run_rate_forecast([100, 100, 100] + [999] * 9, BASE, 3).total == 1800
    with pytest.raises(TypeError, match="minor units"):
        run_rate_forecast([100.0, 100.0], BASE, 2)
    with pytest.raises(ValueError, match="months_elapsed"):
        run_rate_forecast([], BASE, 13)


@given(
    st.lists(st.integers(1, 1000), min_size=12, max_size=12),
    st.integers(1, 10**6),
    st.integers(1, 11),
)
def test_run_rate_is_exact_on_a_perfectly_seasonal_series(base, scale, elapsed):
    base = np.array(base, dtype=np.int64)
    history = np.array([base * 3, base * 10])
    profile = seasonality_profile(history)
    this_year = base * scale
    result = run_rate_forecast(this_year[:elapsed], profile, elapsed)
    assert result.total == int(this_year.sum())
    assert months_of(result).tolist() == this_year.tolist()


@given(
    st.lists(
        st.lists(st.integers(-1000, 10**7), min_size=12, max_size=12), min_size=1, max_size=20
    ),
    st.integers(0, 12),
    st.booleans(),
)
def test_batch_matches_scalar(rows, elapsed, with_fallback):
    actuals = np.array(rows, dtype=np.int64)
    profile = BASE / 18
    fallback = np.arange(len(rows), dtype=np.int64) * 1000
    batch = run_rate_forecast_batch(
        actuals, profile, elapsed, fallback_totals=fallback if with_fallback else None
    )
    for i, row in enumerate(actuals):
        one = run_rate_forecast(
            row[:elapsed],
            profile,
            elapsed,
            fallback_total=int(fallback[i]) if with_fallback else None,
        )
        if one.total is None:
            assert not batch.valid[i]
        else:
            assert batch.totals[i] == one.total
            assert int(months_of(one).sum()) == one.total


# ---------------------------------------------------------------------------- judgment
def test_blend_examples():
    # run-rate inside the seller's range: nothing to move
    assert blend_with_judgment(1000, 900, 1200, 0.5) == 1000
    # below the committed floor: halfway towards it
    assert blend_with_judgment(1000, 1200, 1500, 0.5) == 1100
    # above the best case: fully trusted judgment caps it
    assert blend_with_judgment(2000, 1200, 1500, 1.0) == 1500
    assert blend_with_judgment(2000, 1200, 1500, 0.0) == 2000
    # half to even: 1000 + 0.5 * 1 = 1000.5 -> 1000; 1001.5 -> 1002
    assert blend_with_judgment(1000, 1001, None, 0.5) == 1000
    assert blend_with_judgment(1001, 1002, None, 0.5) == 1002
    assert blend_with_judgment(1000, None, None, 0.7) == 1000
    assert blend_with_judgment(None, 500, 800, 0.3) == 500
    assert blend_with_judgment(None, None, 800, 0.3) == 800
    assert blend_with_judgment(None, None, None, 0.3) is None


def test_blend_refuses_bad_input():
    with pytest.raises(ValueError, match="best case"):
        blend_with_judgment(1000, 1500, 1200, 0.5)
    with pytest.raises(ValueError, match="weight"):
        blend_with_judgment(1000, 900, 1200, 1.5)
    with pytest.raises(TypeError, match="minor units"):
        blend_with_judgment(1000.0, 900, 1200, 0.5)  # type: ignore[arg-type]


@given(
    st.integers(0, 10**12),
    st.integers(0, 10**12),
    st.integers(0, 10**12),
    st.floats(0, 1),
)
def test_blend_lies_between_run_rate_and_range(run_rate, a, b, weight):
    committed, best = min(a, b), max(a, b)
    result = blend_with_judgment(run_rate, committed, best, weight)
    point = min(max(run_rate, committed), best)
    assert min(run_rate, point) <= result <= max(run_rate, point)


# ------------------------------------------------------------------------- probability
def test_probability_without_variance_is_a_certainty():
    expected = [100.0, 100.0, 100.0]
    assert probability_of_reaching(700, expected, 1000, monthly_cv=0.0) == 1.0
    assert probability_of_reaching(700, expected, 1001, monthly_cv=0.0) == 0.0
    assert probability_of_reaching(1000, [], 1000, monthly_cv=0.3) == 1.0
    assert probability_of_reaching(999, [], 1000, monthly_cv=0.3) == 0.0


def test_probability_lognormal_matches_the_normal_approximation():
    # 12 months of 1000 with cv 0.2: mean 12000, sd 1000 * 0.2 * sqrt(12) ≈ 693.
    p_mean = probability_of_reaching(0, [1000.0] * 12, 12000, monthly_cv=0.2, seed=1)
    p_plus_sd = probability_of_reaching(0, [1000.0] * 12, 12693, monthly_cv=0.2, seed=1)
    assert p_mean == pytest.approx(0.5, abs=0.03)  # a slight right skew puts it below 0.5
    assert p_plus_sd == pytest.approx(0.159, abs=0.02)


def test_probability_bootstrap_hand_computed():
    # one month, ratios 0.5 or 1.5 with equal chance: reaching 1200 needs the 1.5 draw.
    p = probability_of_reaching(0, [1000.0], 1200, residual_ratios=[0.5, 1.5], n=20000)
    assert p == pytest.approx(0.5, abs=0.02)
    assert probability_of_reaching(0, [1000.0], 400, residual_ratios=[0.5, 1.5]) == 1.0


def test_probability_needs_exactly_one_variance_model():
    with pytest.raises(ValueError, match="exactly one"):
        probability_of_reaching(0, [1.0], 1)
    with pytest.raises(ValueError, match="exactly one"):
        probability_of_reaching(0, [1.0], 1, monthly_cv=0.1, residual_ratios=[1.0])


def test_residual_ratios_and_cv_from_history():
    history = np.array([[90, 110] * 6])
    ratios = residual_ratios(history, np.full(12, 1 / 12))
    np.testing.assert_allclose(np.sort(ratios), [0.9] * 6 + [1.1] * 6)
    assert monthly_cv(ratios) == pytest.approx(np.std(ratios, ddof=1))
    assert monthly_cv([1.0]) == 0.0


expected_months = st.lists(st.floats(0, 1e6), min_size=0, max_size=12)


@settings(max_examples=40, deadline=None)
@given(
    st.integers(0, 10**6),
    expected_months,
    st.lists(st.integers(0, 3 * 10**7), min_size=2, max_size=6),
    st.floats(0, 2),
    st.integers(0, 2**32),
)
def test_probability_is_in_range_monotone_and_reproducible(actual, expected, goals, cv, seed):
    goals = sorted(goals)
    kwargs = {"monthly_cv": cv, "n": 500, "seed": seed}
    probs = [probability_of_reaching(actual, expected, g, **kwargs) for g in goals]
    assert all(0.0 <= p <= 1.0 for p in probs)
    assert all(a >= b for a, b in itertools.pairwise(probs))
    assert probs == [probability_of_reaching(actual, expected, g, **kwargs) for g in goals]


@settings(max_examples=25, deadline=None)
@given(
    st.integers(1, 20),
    st.integers(1, 12),
    st.integers(0, 2**32),
    st.booleans(),
)
def test_batch_is_monotone_and_independent_of_workers(sellers, months, seed, bootstrap):
    rng = np.random.default_rng(seed)
    expected = rng.uniform(0, 1000, (sellers, months))
    actual = rng.integers(0, 5000, sellers)
    base = actual + expected.sum(axis=1).astype(np.int64)
    goals = np.stack([base - 500, base, base + 500], axis=1)
    model: dict[str, Any] = (
        {"residual_ratios": rng.uniform(0, 2, (sellers, 7))}
        if bootstrap
        else {"monthly_cv": rng.uniform(0, 0.8, sellers)}
    )
    one = probability_of_reaching_batch(
        actual, expected, goals, n=300, seed=seed, workers=1, **model
    )
    two = probability_of_reaching_batch(
        actual, expected, goals, n=300, seed=seed, workers=2, **model
    )
    np.testing.assert_array_equal(one, two)
    assert ((one >= 0) & (one <= 1)).all()
    assert (np.diff(one, axis=1) <= 0).all()
    # a seller's result does not depend on the other sellers' inputs
    alone = probability_of_reaching_batch(
        actual[:1],
        expected[:1],
        goals[:1],
        n=300,
        seed=seed,
        **{k: v[:1] for k, v in model.items()},
    )
    np.testing.assert_array_equal(alone[0], one[0])


def test_scalar_is_row_zero_of_the_batch():
    p = probability_of_reaching(100, [50.0, 60.0], 220, monthly_cv=0.4, n=1000, seed=7)
    batch = probability_of_reaching_batch(
        [100, 0], [[50.0, 60.0], [1.0, 1.0]], [220, 1], monthly_cv=0.4, n=1000, seed=7
    )
    assert p == batch[0]


def test_batch_nan_rows_give_nan():
    out = probability_of_reaching_batch(
        [0, 0], [[np.nan, np.nan], [10.0, 10.0]], [10, 10], monthly_cv=0.1, n=100
    )
    assert np.isnan(out[0])
    assert out[1] == 1.0


def test_batch_of_ten_thousand_sellers_gives_one_probability_each():
    rng = np.random.default_rng(0)
    sellers, months = 10_000, 11
    expected = rng.uniform(1e4, 1e6, (sellers, months))
    actual = rng.integers(0, 10**6, sellers)
    goals = actual + (expected.sum(axis=1) * 1.05).astype(np.int64)
    cv = rng.uniform(0.1, 0.5, sellers)
    probs = probability_of_reaching_batch(actual, expected, goals, monthly_cv=cv, n=1000)
    # Its speed is measured by `make bench` (bench_insights), never by a timed test.
    assert probs.shape == (sellers,)
    assert ((probs >= 0) & (probs <= 1)).all()


# ---------------------------------------------------------------------------- accuracy
def test_forecast_accuracy_hand_computed():
    acc = forecast_accuracy([900, 1200, 1000], 1000)
    assert acc.n == 3
    assert acc.mean_error == pytest.approx(100 / 3)
    assert acc.mape == pytest.approx(300 / 3000)
    assert acc.wape == pytest.approx(300 / 3000)
    assert acc.bias == pytest.approx(100 / 3000)


def test_forecast_accuracy_per_row_actuals_and_zero_actual():
    acc = forecast_accuracy(np.array([[110, 90], [0, 10]]), np.array([[100], [0]]))
    assert acc.mape == pytest.approx(0.1)  # zero actuals are left out of MAPE
    assert acc.wape == pytest.approx(30 / 200)
    assert acc.bias == pytest.approx(10 / 200)
    empty = forecast_accuracy([], 0)
    assert (empty.n, empty.mape, empty.bias) == (0, None, None)


@given(st.integers(-(10**12), 10**12), st.lists(st.floats(0, 1), min_size=1, max_size=12))
def test_largest_remainder_sums_exactly(total, weights):
    if sum(weights) == 0:
        weights = [1.0] * len(weights)
    parts = largest_remainder(total, weights)
    assert int(parts.sum()) == total
    assert (parts * np.sign(total) >= 0).all()
