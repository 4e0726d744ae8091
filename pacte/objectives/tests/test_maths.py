"""Phasing, channel cells and auto-agreement maths, property-tested."""

from __future__ import annotations

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
    r = maths.realism(a, history=history, reference=ref, team_growth=0.1)
    assert r.low <= r.high
