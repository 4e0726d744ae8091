"""Each seller's running totals (``SellerRunningTotal``): kept dense and exact with the cube by
imports, back-dated and later sales, re-crediting and deletions; checked by ``verify``, rebuilt
by ``rebuild_cube`` and ``rollup_from_cube``; read by the company's ranking of sellers."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pacte.insights import monthly
from pacte.lib.fiscal import Month
from pacte.sales import cube, services
from pacte.sales.models import Sale, SellerRunningTotal
from pacte.sales.tests.helpers import import_file, rows

pytestmark = pytest.mark.django_db

SELLER = "seller@acme.example"
OTHER = "other@acme.example"
LEAD = "lead@acme.example"


def _running(ws):
    return {
        (r.seller_id, r.month): (r.split_amount, r.overlay_amount)
        for r in SellerRunningTotal.objects.for_workspace(ws)
    }


def _from_cube(ws, months, **filters):
    """Each seller's split + overlay over ``months``, summed from the cube cells (the old way)."""
    return monthly.sum_by_key(
        monthly._actual_rows_sql(ws, months, ["seller"], overlay=True, per_month=False, **filters)
    )


def test_an_import_opens_dense_running_totals_per_seller(cast, channels, write_csv):
    import_file(
        cast.workspace,
        write_csv(
            rows(
                f"A1,2026-01-05,10.00,field,{SELLER},,,,",
                f"A2,2026-03-06,20.00,field,{SELLER},,{LEAD},,",
                f"A3,2026-02-07,5.00,e-commerce,,{SELLER}:50;{OTHER}:50,,,",
            )
        ),
    )
    jan, feb, mar = (Month(2026, m).index for m in (1, 2, 3))
    got = _running(cast.workspace)
    seller, other, lead = cast.seller.pk, cast.other_seller.pk, cast.lead.pk
    assert got[(seller, jan)] == (10_00, 0)
    assert got[(seller, feb)] == (12_50, 0)  # January's total carried, February's half added
    assert got[(seller, mar)] == (32_50, 0)
    assert (other, jan) not in got  # no row before a seller's first credit
    assert got[(other, feb)] == (2_50, 0)
    assert got[(other, mar)] == (2_50, 0)  # dense up to the workspace's last month
    assert got[(lead, mar)] == (0, 20_00)  # overlay kept apart
    assert cube.verify(cast.workspace) == []


def test_a_later_month_extends_every_seller_and_a_back_dated_sale_opens_earlier(
    cast, channels, write_csv
):
    import_file(cast.workspace, write_csv(rows(f"B1,2026-02-05,10.00,field,{SELLER},,,,")))
    import_file(cast.workspace, write_csv(rows(f"B2,2026-05-05,3.00,field,{OTHER},,,,")))
    got = _running(cast.workspace)
    may = Month(2026, 5).index
    assert got[(cast.seller.pk, may)] == (10_00, 0)  # carried to the new last month
    import_file(cast.workspace, write_csv(rows(f"B3,2025-11-05,1.00,field,{OTHER},,,,")))
    got = _running(cast.workspace)
    assert got[(cast.other_seller.pk, Month(2025, 11).index)] == (1_00, 0)
    assert got[(cast.other_seller.pk, Month(2026, 2).index)] == (1_00, 0)
    assert got[(cast.other_seller.pk, may)] == (4_00, 0)
    assert cube.verify(cast.workspace) == []


def test_re_crediting_and_deletion_move_the_running_totals(cast, channels, write_csv):
    rule = services.create_rule(
        workspace=cast.workspace, actor=None, channel=channels["e-commerce"], owner=cast.seller
    )
    import_file(
        cast.workspace,
        write_csv(
            rows(f"C1,2026-03-05,10.00,field,{SELLER},,,,", "C2,2026-04-05,7.00,e-commerce,,,,,")
        ),
    )
    apr = Month(2026, 4).index
    assert _running(cast.workspace)[(cast.seller.pk, apr)] == (17_00, 0)
    services.update_rule(rule=rule, actor=None, version=rule.version, owner=cast.other_seller)
    got = _running(cast.workspace)
    assert got[(cast.seller.pk, apr)] == (10_00, 0)
    assert got[(cast.other_seller.pk, apr)] == (7_00, 0)
    services.delete_sales(
        workspace=cast.workspace, actor=None, sales=Sale.objects.filter(external_id="C1")
    )
    assert _running(cast.workspace)[(cast.seller.pk, apr)] == (0, 0)
    assert cube.verify(cast.workspace) == []


def test_verify_reports_a_wrong_running_total_and_rebuild_repairs_it(cast, channels, write_csv):
    import_file(cast.workspace, write_csv(rows(f"D1,2026-01-05,10.00,field,{SELLER},,,,")))
    SellerRunningTotal.objects.for_workspace(cast.workspace).update(split_amount=1)
    problems = cube.verify(cast.workspace)
    assert problems == [
        f"running total seller={cast.seller.pk} month={Month(2026, 1).index}: "
        "stored (1, 0) != recomputed (1000, 0)"
    ]
    SellerRunningTotal.objects.for_workspace(cast.workspace).delete()
    assert cube.verify(cast.workspace)[0].endswith("stored None != recomputed (1000, 0)")
    assert cube.rebuild_cube(cast.workspace) is True
    assert cube.verify(cast.workspace) == []


def test_rollup_from_cube_rebuilds_the_running_totals(cast, channels, write_csv):
    import_file(
        cast.workspace,
        write_csv(
            rows(f"E1,2026-01-05,10.00,field,{SELLER},,,,", f"E2,2026-06-05,4.00,field,{OTHER},,,,")
        ),
    )
    before = _running(cast.workspace)
    SellerRunningTotal.objects.for_workspace(cast.workspace).delete()
    with connection.cursor() as c:
        cube.rollup_from_cube(c, cast.workspace.pk)
    assert _running(cast.workspace) == before


@pytest.mark.parametrize(
    ("first", "stop"),
    [
        ((2026, 1), (2027, 1)),
        ((2026, 2), (2026, 4)),
        ((2026, 4), (2026, 5)),
        ((2025, 1), (2026, 2)),
    ],
)
def test_the_ranking_reads_two_running_rows_per_seller_and_matches_the_cube(
    cast, channels, write_csv, first, stop
):
    import_file(
        cast.workspace,
        write_csv(
            rows(
                f"F1,2026-01-05,10.00,field,{SELLER},,,,",
                f"F2,2026-02-06,20.00,field,{OTHER},,{LEAD},,",
                f"F3,2026-03-07,5.01,e-commerce,,{SELLER}:33;{OTHER}:67,,,",
                f"F4,2026-04-07,-2.00,field,{SELLER},,,,",
            )
        ),
    )
    months = range(Month(*first).index, Month(*stop).index)
    cache.clear()  # another test's figures of the same workspace id and cube version
    with CaptureQueriesContext(connection) as ctx:
        ids, sums = monthly.seller_actual_totals(cast.workspace, months, closed=[])
    sql = " ".join(q["sql"] for q in ctx.captured_queries)
    assert "sales_sellerrunningtotal" in sql
    assert "sales_cubecell" not in sql
    want_ids, want_sums = _from_cube(cast.workspace, months)
    have = dict(zip(ids.tolist(), sums.tolist(), strict=True))
    want = dict(zip(want_ids.tolist(), want_sums.tolist(), strict=True))
    assert {k: v for k, v in have.items() if v} == {k: v for k, v in want.items() if v}
    assert set(want) <= set(have)


def _one_sale_a_month(cast: Any, write_csv: Any, prefix: str) -> None:
    """The seller sells m.00 in month m of 2026 (ids ``<prefix><m>``)."""
    import_file(
        cast.workspace,
        write_csv(
            rows(*(f"{prefix}{m},2026-{m:02d}-05,{m}.00,field,{SELLER},,,," for m in range(1, 13)))
        ),
    )


def test_spans_with_closed_months_between_add_up(cast, channels, write_csv):
    _one_sale_a_month(cast, write_csv, "G")  # month m sells m.00
    spans = [
        range(Month(2026, 2).index, Month(2026, 4).index),
        range(Month(2026, 7).index, Month(2027, 3).index),
    ]
    ids, sums = monthly.running_totals(cast.workspace, spans)
    assert ids.tolist() == [cast.seller.pk]
    assert sums.tolist() == [(2 + 3 + 7 + 8 + 9 + 10 + 11 + 12) * 100]
    empty = monthly.running_totals(
        cast.workspace, [range(Month(2027, 1).index, Month(2027, 3).index)]
    )
    assert np.asarray(empty[0]).size == 0


def test_adjacent_spans_read_their_shared_month_once(cast, channels, write_csv):
    """A month that ends one span and precedes the next counts +1 and -1: it is not read, and
    the spans add up as one."""
    _one_sale_a_month(cast, write_csv, "H")  # month m sells m.00
    spans = [
        range(Month(2026, 2).index, Month(2026, 4).index),
        range(Month(2026, 4).index, Month(2026, 6).index),
    ]
    with CaptureQueriesContext(connection) as ctx:
        ids, sums = monthly.running_totals(cast.workspace, spans)
    assert ids.tolist() == [cast.seller.pk]
    assert sums.tolist() == [(2 + 3 + 4 + 5) * 100]
    read = ctx.captured_queries[-1]["sql"]
    assert str(Month(2026, 3).index) not in read  # the shared month (March) is not read
    assert str(Month(2026, 5).index) in read  # the last span's end
    assert str(Month(2026, 1).index) in read  # the month before the first span
