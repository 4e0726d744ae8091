"""The team of the day: a join for sellers placed once, the placement of the day for the
others, the same answer as looking up the day for everyone."""

from __future__ import annotations

import datetime

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from pacte.sales.ingest.context import PLACEMENT_SCHEMA, Context
from pacte.sales.ingest.prepare import _dated_units, team_of_the_day

DAY = st.dates(min_value=datetime.date(2024, 1, 1), max_value=datetime.date(2026, 12, 31))


def _context(placements: list[tuple[int, datetime.date, int]]) -> Context:
    return Context(
        workspace_id=1,
        currency="EUR",
        exponent=2,
        root_unit_id=99,
        channels=pl.DataFrame(schema={"key": pl.String, "channel_id": pl.Int64}),
        members=pl.DataFrame(schema={"email": pl.String, "seller_id": pl.Int64}),
        placements=pl.DataFrame(
            [(seller, day, None, unit) for seller, day, unit in placements],
            schema=PLACEMENT_SCHEMA,
            orient="row",
        ),
        rules=[],
        managers=pl.DataFrame(schema={"customer": pl.String, "manager_id": pl.Int64}),
    )


@given(
    placements=st.lists(
        st.tuples(st.integers(1, 5), DAY, st.integers(1, 4)),
        unique_by=lambda p: (p[0], p[1]),
        max_size=10,
    ),
    credits=st.lists(st.tuples(st.integers(1, 6), DAY), max_size=30),
)
def test_sellers_placed_once_get_the_team_the_day_lookup_gives(placements, credits):
    ctx = _context(placements)
    frame = pl.DataFrame(credits, schema={"seller_id": pl.Int64, "date": pl.Date}, orient="row")
    expected = _dated_units(ctx, frame).to_list() if credits else []
    assert team_of_the_day(ctx, frame).to_list() == expected


def test_a_seller_moved_is_in_the_team_of_the_day_and_nobody_in_the_company():
    start, move = datetime.date(2025, 1, 1), datetime.date(2025, 7, 1)
    ctx = _context([(1, start, 10), (2, start, 20), (2, move, 21)])
    days = [datetime.date(2024, 6, 1), datetime.date(2025, 3, 1), datetime.date(2025, 8, 1)]
    frame = pl.DataFrame(
        {"seller_id": [1, 2, 2, 2, 3], "date": [days[2], days[0], days[1], days[2], days[1]]}
    )
    assert team_of_the_day(ctx, frame).to_list() == [10, 20, 20, 21, 99]
