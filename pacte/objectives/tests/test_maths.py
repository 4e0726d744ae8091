"""Phasing, channel cells and auto-agreement maths, property-tested."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pacte.objectives import maths

amount = st.integers(min_value=0, max_value=10**12)
weights = st.lists(st.integers(min_value=0, max_value=10**9), min_size=12, max_size=12)


@given(amount, weights)
def test_phase_is_exact_and_never_negative(a: int, w: list[int]) -> None:
    months = maths.phase(a, w)
    assert len(months) == 12
    assert sum(months) == a
    assert min(months) >= 0


@given(amount, st.dictionaries(st.sampled_from(["a", "b", "c"]), st.integers(0, 3333)))
def test_channel_split_is_exact(a: int, split: dict[str, int]) -> None:
    parts = maths.split_by_channel(a, split)
    assert sum(p for _c, p in parts) == a
    assert all(p >= 0 for _c, p in parts)


@given(amount, st.integers(min_value=1, max_value=10**12), st.integers(0, 10_000))
def test_auto_agreement_is_monotone(a: int, ref: int, tol: int) -> None:
    if maths.auto_agrees(a, ref, tol, True):
        assert maths.auto_agrees(a + 1, ref, tol, True)
    assert maths.auto_agrees(ref, ref, 0, True)
    assert not maths.auto_agrees(a, ref, tol, False)


@given(amount, st.integers(0, 10**10), st.integers(0, 10**10))
def test_realism_range_is_ordered(a: int, history: int, ref: int) -> None:
    r = maths.realism(a, history=history, reference=ref, team_growth=Fraction(1, 10))
    assert r.low <= r.high
    anchors = [x for x in (history, ref) if x > 0]
    assert r.low == (min(anchors) if anchors else 0)
    assert r.high >= max(anchors, default=0)


@pytest.mark.parametrize(
    ("amount", "band"),
    [
        (99_999, "below_history"),
        (100_000, "realistic"),
        (115_000, "realistic"),
        (115_001, "ambitious"),
        (135_000, "ambitious"),
        (135_001, "very_ambitious"),
        (165_000, "very_ambitious"),
    ],
)
def test_history_bands_and_their_bounds(amount: int, band: str) -> None:
    assert maths.history_band(amount, 100_000) == band


def test_plus_65_percent_on_history_is_very_ambitious_even_at_the_reference() -> None:
    """The company may ask for +60 %: the proposal then meets the reference share, and is
    still far above the seller's history (it read "realistic" before)."""
    r = maths.realism(165_000, history=100_000, reference=160_000)
    assert (r.level, r.reference_band, r.growth) == (
        "very_ambitious",
        "at_reference",
        Fraction(65, 100),
    )
    assert (r.low, r.high) == (100_000, 160_000)
    assert not r.in_range


@pytest.mark.parametrize(
    ("amount", "band"),
    [
        (99, "below_reference"),
        (100, "at_reference"),
        (105, "at_reference"),
        (106, "above_reference"),
    ],
)
def test_reference_bands(amount: int, band: str) -> None:
    assert maths.reference_band(amount, 100) == band


def test_levels_without_history() -> None:
    assert maths.realism(10, history=0, reference=100).level == "no_history"
    assert maths.realism(10, history=0, reference=0).level == "unknown"


@given(amount, st.integers(1, 10**10), st.integers(1, 10**10))
def test_bands_are_monotone(a: int, history: int, ref: int) -> None:
    order = maths.HISTORY_BANDS
    assert order.index(maths.history_band(a, history)) <= order.index(  # type: ignore[arg-type]
        maths.history_band(a + 1, history)  # type: ignore[arg-type]
    )
    refs = maths.REFERENCE_BANDS
    assert refs.index(maths.reference_band(a, ref)) <= refs.index(  # type: ignore[arg-type]
        maths.reference_band(a + 1, ref)  # type: ignore[arg-type]
    )


@given(amount, weights, weights)
def test_phase_like_reference_falls_back_only_without_a_phased_reference(
    a: int, reference: list[int], fallback: list[int]
) -> None:
    called = []

    def lazy() -> list[int]:
        called.append(True)
        return fallback

    months = maths.phase_like_reference(a, reference, lazy)
    assert sum(months) == a
    if sum(reference) > 0:
        assert months == maths.phase(a, reference)
        assert not called
    else:
        assert (
            months == maths.phase(a, fallback) == maths.phase_like_reference(a, [0] * 12, fallback)
        )


@given(amount, st.lists(st.integers(0, 10**9), min_size=12, max_size=12))
def test_phasing_gap_is_what_the_months_lack(a: int, months: list[int]) -> None:
    gap = maths.phasing_gap(a, months)
    assert gap + sum(months) == a
    assert (gap == 0) == (sum(months) == a)


def test_default_objective_is_the_reference_share_else_last_year() -> None:
    from pacte.objectives.references import Actuals, ReferenceShare

    history = Actuals(annual=1200, by_month=[100] * 12)
    reference = ReferenceShare(annual=2400, by_month=[0] * 11 + [2400], by_channel={})
    assert maths.default_objective(reference, history) == (2400, [0] * 11 + [2400])
    assert maths.default_objective(ReferenceShare.none(), history) == (1200, [100] * 12)
    zero = ReferenceShare(annual=0, by_month=[0] * 12, by_channel={})
    assert maths.default_objective(zero, history) == (0, [0] * 12)
    nothing = Actuals()
    assert maths.default_objective(ReferenceShare.none(), nothing) == (0, [0] * 12)
