"""Integer columns read as one text per column (``pacte.columns``): the same values as a read
row by row, exact at the edges of int64, NULL as 0, unions, nothing read."""

from __future__ import annotations

import numpy as np
import pytest
from django.db import connection
from django.db.models import BigIntegerField, Case, F, Value, When
from django.test.utils import CaptureQueriesContext

from pacte.columns import int_columns
from pacte.sales.models import SellerRunningTotal

pytestmark = pytest.mark.django_db

BIG = 2**62 + 1  # beyond a float's exact integers: a read through floats would round it


def _rows(cast):
    sellers = [cast.seller, cast.other_seller, cast.lead]
    SellerRunningTotal.objects.bulk_create(
        SellerRunningTotal(
            workspace=cast.workspace,
            seller=s,
            month=24_000 + m,
            split_amount=BIG * (-1 if m % 2 else 1) + m,
            overlay_amount=i * 100 + m,
        )
        for i, s in enumerate(sellers)
        for m in range(5)
    )
    return SellerRunningTotal.objects.for_workspace(cast.workspace)


def _sorted(columns):
    table = np.column_stack(columns)
    return table[np.lexsort(table.T[::-1])]


def test_columns_hold_the_rows_values_exactly_in_one_statement(cast):
    qs = _rows(cast).values_list("seller_id", "month", "split_amount", "overlay_amount")
    with CaptureQueriesContext(connection) as queries:
        got = int_columns(qs)
    assert len(queries) == 1
    assert [c.dtype for c in got] == [np.dtype(np.int64)] * 4
    want = np.array(sorted(qs), dtype=np.int64)
    assert np.array_equal(_sorted(got), want)
    assert int(_sorted(got)[:, 2].max()) == BIG + 4


def test_a_null_reads_as_zero_and_keeps_the_columns_aligned(cast):
    qs = (
        _rows(cast)
        .annotate(
            maybe=Case(
                When(month=24_002, then=Value(None)),
                default=F("overlay_amount") + 1,
                output_field=BigIntegerField(),
            )
        )
        .values_list("month", "maybe")
    )
    month, maybe = int_columns(qs)
    assert month.size == maybe.size == 15
    assert set(maybe[month == 24_002].tolist()) == {0}
    assert (maybe[month != 24_002] > 0).all()


def test_a_union_and_an_empty_read(cast):
    rows = _rows(cast)
    low = rows.filter(month__lt=24_001).values_list("seller_id", "month")
    high = rows.filter(month__gte=24_004).values_list("seller_id", "month")
    _ids, months = int_columns(low.union(high, all=True))
    assert sorted(months.tolist()) == [24_000] * 3 + [24_004] * 3
    empty = int_columns(rows.filter(month=1).values_list("seller_id", "month"))
    assert [c.size for c in empty] == [0, 0]
