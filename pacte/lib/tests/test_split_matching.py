"""``split_matching``: rows and columns both exact, never negative (property-tested)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pacte.lib.allocation import AllocationError, split_matching


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(0, 10**9), min_size=1, max_size=30),
    st.lists(st.integers(0, 10**6), min_size=1, max_size=60),
    st.integers(1, 100),
)
def test_rows_and_columns_sum_exactly(rows: list[int], weights: list[int], unit: int) -> None:
    amounts = np.array(rows, np.int64)
    total = int(amounts.sum())
    w = np.array(weights, np.float64)
    if w.sum() == 0:
        w[0] = 1
    columns = np.floor(w / w.sum() * total).astype(np.int64)
    columns[int(np.argmax(w))] += total - int(columns.sum())
    out = split_matching(amounts, columns, unit=unit)
    assert (out >= 0).all()
    assert (out.sum(axis=1) == amounts).all()
    assert (out.sum(axis=0) == columns).all()
    assert (out[:, columns == 0] == 0).all()


def test_totals_must_agree() -> None:
    with pytest.raises(AllocationError):
        split_matching([5, 5], [3, 3])
