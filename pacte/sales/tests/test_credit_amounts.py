"""Credit amounts of a slice (``prepare.allocate``): largest remainder per sale, exactly."""

from __future__ import annotations

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from pacte.sales.ingest.prepare import allocate


def reference(rows: list[tuple[int, str, int, int]]) -> list[int]:
    """One credit at a time: (k, kind, basis_points, sale_amount) → amount."""
    out = [0] * len(rows)
    for i, (_k, kind, bp, amount) in enumerate(rows):
        if kind == "overlay":
            out[i] = (1 if amount >= 0 else -1) * ((abs(amount) * bp + 5_000) // 10_000)
    for k in {row[0] for row in rows}:
        mine = [i for i, row in enumerate(rows) if row[0] == k and row[1] == "split"]
        if not mine:
            continue
        amount = rows[mine[0]][3]
        sign = 1 if amount >= 0 else -1
        base = {i: abs(amount) * rows[i][2] // 10_000 for i in mine}
        short = abs(amount) - sum(base.values())
        order = sorted(mine, key=lambda i: (-(abs(amount) * rows[i][2] % 10_000), i))
        for place, i in enumerate(order):
            out[i] = sign * (base[i] + (1 if place < short else 0))
    return out


@st.composite
def credits(draw: st.DrawFn) -> list[tuple[int, str, int, int]]:
    rows = []
    for k in range(draw(st.integers(0, 6))):
        amount = draw(st.integers(-(10**12), 10**12) | st.integers(-3, 3))
        shares = draw(st.lists(st.integers(1, 10_000), min_size=1, max_size=4))
        if draw(st.booleans()):  # shares of 100% (as a valid file gives), else any
            total, cut = 10_000, sorted(draw(st.sets(st.integers(1, 9_999), max_size=3)))
            shares = [b - a for a, b in zip([0, *cut], [*cut, total], strict=True)]
        rows += [(k, "split", bp, amount) for bp in shares]
        overlays = draw(st.lists(st.integers(1, 10_000), max_size=2))
        rows += [(k, "overlay", bp, amount) for bp in overlays]
    return draw(st.permutations(rows))


@given(credits())
def test_split_amounts_follow_the_largest_remainder_of_each_sale(
    rows: list[tuple[int, str, int, int]],
) -> None:
    frame = pl.DataFrame(
        rows,
        schema={
            "k": pl.Int64,
            "kind": pl.String,
            "basis_points": pl.Int64,
            "sale_amount": pl.Int64,
        },
        orient="row",
    )
    assert allocate(frame).to_list() == reference(rows)


def test_shares_of_a_whole_sale_sum_to_its_amount() -> None:
    frame = pl.DataFrame(
        {
            "k": [1, 1, 1, 2, 3, 3],
            "kind": ["split", "split", "split", "split", "split", "overlay"],
            "basis_points": [3_333, 3_333, 3_334, 10_000, 10_000, 5_000],
            "sale_amount": [100, 100, 100, -7, -5, -5],
        }
    )
    assert allocate(frame).to_list() == [33, 33, 34, -7, -5, -3]
