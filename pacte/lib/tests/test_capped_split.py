"""The capped proportional split behind gap rules: exact, never negative, never above a cap,
nothing for a zero weight or a zero cap, proportional where nobody is capped."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pacte.lib.allocation import AllocationError, capped_split

caps_st = st.one_of(st.just(math.inf), st.integers(min_value=0, max_value=10**12).map(float))
weights_st = st.one_of(
    st.just(0.0), st.floats(min_value=1e-3, max_value=1e6, allow_nan=False, allow_infinity=False)
)


@st.composite
def problems(draw: st.DrawFn) -> tuple[int, list[float], list[float]]:
    k = draw(st.integers(min_value=1, max_value=30))
    weights = draw(st.lists(weights_st, min_size=k, max_size=k))
    caps = draw(st.lists(caps_st, min_size=k, max_size=k))
    amount = draw(st.integers(min_value=0, max_value=10**15))
    return amount, weights, caps


@given(problems())
def test_exact_never_negative_never_above_a_cap(
    problem: tuple[int, list[float], list[float]],
) -> None:
    amount, weights, caps = problem
    out = capped_split(amount, weights, caps)
    w = np.array(weights) if sum(weights) > 0 else np.ones(len(weights))
    cap = np.array(caps)
    assert out.dtype == np.int64
    assert (out >= 0).all()
    assert (out <= cap).all()
    assert (out[(w == 0) | (cap == 0)] == 0).all()
    open_ = (w > 0) & (cap > 0)
    room = math.inf if (open_ & ~np.isfinite(cap)).any() else int(cap[open_].sum())
    assert int(out.sum()) == min(amount, room)


@given(
    amount=st.integers(min_value=0, max_value=10**12),
    weights=st.lists(
        st.floats(min_value=1e-3, max_value=1e3, allow_nan=False), min_size=1, max_size=20
    ),
)
def test_uncapped_split_is_the_largest_remainder(amount: int, weights: list[float]) -> None:
    from pacte.lib.allocation import largest_remainder

    out = capped_split(amount, weights, [math.inf] * len(weights))
    assert int(out.sum()) == amount
    quotas = np.array(weights) / sum(weights) * amount
    assert (np.abs(out - quotas) < 1 + 1e-6 * max(amount, 1)).all()
    assert int(largest_remainder(amount, weights).sum()) == int(out.sum())


@given(problems(), st.randoms())
def test_order_does_not_change_anyones_share(
    problem: tuple[int, list[float], list[float]], rnd: object
) -> None:
    amount, weights, caps = problem
    keys = list(range(len(weights)))
    order = keys[:]
    rnd.shuffle(order)  # type: ignore[attr-defined]
    out = capped_split(amount, weights, caps, keys=keys)
    shuffled = capped_split(
        amount, [weights[i] for i in order], [caps[i] for i in order], keys=order
    )
    assert {key: int(v) for key, v in zip(order, shuffled, strict=True)} == dict(
        enumerate(out.tolist())
    )


def test_what_a_capped_seller_cannot_take_goes_to_the_others() -> None:
    assert capped_split(500, [1, 1, 1, 1], [50, math.inf, math.inf, math.inf]).tolist() == [
        50,
        150,
        150,
        150,
    ]
    assert capped_split(500, [1, 1, 1, 1], [50, 10, 10, 10]).tolist() == [50, 10, 10, 10]
    assert capped_split(500, [3, 1], [0, math.inf]).tolist() == [0, 500]


@pytest.mark.parametrize(
    ("weights", "caps"),
    [([1, 1], [1]), ([1, 1], [-1, 2]), ([1], [1.5]), ([[1]], [1])],
)
def test_bad_inputs_are_refused(weights: list, caps: list) -> None:
    with pytest.raises(AllocationError):
        capped_split(10, weights, caps)
