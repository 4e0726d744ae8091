"""The splits behind the reasons summary are exact: a gap split by channel shortfalls or evenly
over reasons adds up to the gap, never negative, and moves with the weights."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pacte.objectives.reviews import _split
from pacte.objectives.selectors import _even

amounts = st.integers(min_value=0, max_value=10**15)
weights = st.dictionaries(
    st.sampled_from(["", "field", "web", "partners", "tele"]),
    st.integers(min_value=0, max_value=10**12),
    max_size=5,
)


@given(amounts, weights)
def test_split_is_exact_and_never_negative(amount: int, w: dict[str, int]) -> None:
    parts = _split(amount, w)
    assert sum(parts.values()) == amount
    assert all(v > 0 for v in parts.values())
    if sum(w.values()) > 0:
        assert set(parts) <= {c for c, v in w.items() if v > 0}


@given(amounts, weights)
def test_a_larger_shortfall_never_gets_less(amount: int, w: dict[str, int]) -> None:
    parts = _split(amount, w)
    for a in w:
        for b in w:
            if w[a] > w[b]:
                assert parts.get(a, 0) >= parts.get(b, 0)


@given(amounts, st.integers(min_value=1, max_value=20))
def test_even_split_over_reasons_is_exact(amount: int, n: int) -> None:
    parts = _even(amount, n)
    assert sum(parts) == amount
    assert max(parts) - min(parts) <= 1
