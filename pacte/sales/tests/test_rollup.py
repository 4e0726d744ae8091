"""The team roll-up (``TeamCell``): kept with the cube by imports, re-crediting and deletions,
checked by ``verify``, rebuilt by ``rebuild_cube``, read by the company and team figures."""

from __future__ import annotations

import logging

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pacte.accounts.models import Workspace
from pacte.insights import monthly
from pacte.lib.fiscal import Month
from pacte.sales import cube, services
from pacte.sales.models import CubeCell, Sale, TeamCell
from pacte.sales.tests.helpers import import_file, rows

pytestmark = pytest.mark.django_db

SELLER = "seller@acme.example"
OTHER = "other@acme.example"
LEAD = "lead@acme.example"


def _teams(ws):
    return {
        (t.unit_id, t.channel_id, t.month): (t.split_amount, t.overlay_amount, t.sale_count)
        for t in TeamCell.objects.for_workspace(ws)
    }


def _cube_by_team(ws):
    return cube.rollup(
        {
            (c.seller_id, c.unit_id, c.channel_id, c.month): (
                c.split_amount,
                c.overlay_amount,
                c.sale_count,
            )
            for c in CubeCell.objects.for_workspace(ws)
        }
    )


def test_an_import_fills_the_roll_up_with_the_cube(cast, channels, write_csv):
    path = write_csv(
        rows(
            f"A1,2026-01-05,10.00,field,{SELLER},,,,",
            f"A2,2026-01-06,20.00,field,{LEAD},,,,",
            f"A3,2026-02-07,5.00,e-commerce,,{SELLER}:50;{OTHER}:50,{LEAD},,",
        )
    )
    import_file(cast.workspace, path)
    team = _teams(cast.workspace)
    assert team == _cube_by_team(cast.workspace)
    january = Month(2026, 1).index
    assert team[(cast.team.pk, channels["field"].pk, january)] == (30_00, 0, 2)
    assert cube.verify(cast.workspace) == []


def test_deletion_and_re_crediting_move_the_roll_up_with_the_cube(cast, channels, write_csv):
    rule = services.create_rule(
        workspace=cast.workspace, actor=None, channel=channels["e-commerce"], owner=cast.seller
    )
    import_file(
        cast.workspace,
        write_csv(
            rows(f"B1,2026-03-05,10.00,field,{SELLER},,,,", "B2,2026-03-05,7.00,e-commerce,,,,,")
        ),
    )
    march = Month(2026, 3).index
    ecommerce = channels["e-commerce"].pk
    assert _teams(cast.workspace)[(cast.team.pk, ecommerce, march)] == (7_00, 0, 1)
    services.update_rule(rule=rule, actor=None, version=rule.version, owner=cast.other_seller)
    teams = _teams(cast.workspace)
    assert (cast.team.pk, ecommerce, march) not in teams
    assert teams[(cast.other_team.pk, ecommerce, march)] == (7_00, 0, 1)
    assert cube.verify(cast.workspace) == []
    services.delete_sales(
        workspace=cast.workspace, actor=None, sales=Sale.objects.filter(external_id="B1")
    )
    assert (cast.team.pk, channels["field"].pk, march) not in _teams(cast.workspace)
    assert cube.verify(cast.workspace) == []


def test_verify_reports_a_wrong_roll_up_and_rebuild_repairs_it(cast, channels, write_csv):
    import_file(cast.workspace, write_csv(rows(f"C1,2026-01-05,10.00,field,{SELLER},,,,")))
    TeamCell.objects.for_workspace(cast.workspace).update(split_amount=1)
    problems = cube.verify(cast.workspace)
    assert len(problems) == 1
    assert problems[0].startswith("team cell unit=")
    assert "roll-up (1, 0, 1) != recomputed (1000, 0, 1)" in problems[0]
    assert cube.rebuild_cube(cast.workspace) is True
    assert cube.verify(cast.workspace) == []


def test_a_rebuild_of_a_deleted_workspace_writes_nothing_and_says_so(cast, caplog):
    gone = Workspace(pk=10**9, slug="gone", name="Gone")  # deleted before the rebuild began
    with caplog.at_level(logging.WARNING, logger="pacte.sales"):
        assert cube.rebuild_cube(gone) is False
    assert "cube rebuild skipped: workspace 1000000000 (gone) was deleted" in caplog.text
    assert not TeamCell.objects.filter(workspace_id=gone.pk).exists()
    assert not CubeCell.objects.filter(workspace_id=gone.pk).exists()


def test_company_and_team_figures_read_the_roll_up_not_the_seller_cells(cast, channels, write_csv):
    import_file(cast.workspace, write_csv(rows(f"D1,2026-01-05,10.00,field,{SELLER},,,,")))
    months = range(Month(2026, 1).index, Month(2027, 1).index)
    with CaptureQueriesContext(connection) as ctx:
        by_team = monthly.actual_rows(cast.workspace, months, ["unit"], overlay=False)
    sql = " ".join(q["sql"] for q in ctx.captured_queries)
    assert "sales_teamcell" in sql
    assert "sales_cubecell" not in sql
    assert by_team == [(cast.team.pk, Month(2026, 1).index, 10_00)]
    with CaptureQueriesContext(connection) as ctx:
        monthly.actual_rows(cast.workspace, months, ["seller"], overlay=True)
    assert "sales_cubecell" in " ".join(q["sql"] for q in ctx.captured_queries)


def test_rollup_from_cube_rebuilds_the_roll_up_of_generated_cells(cast, channels, write_csv):
    import_file(cast.workspace, write_csv(rows(f"E1,2026-01-05,10.00,field,{SELLER},,,,")))
    before = _teams(cast.workspace)
    TeamCell.objects.for_workspace(cast.workspace).delete()
    with connection.cursor() as c:
        cube.rollup_from_cube(c, cast.workspace.pk)
    assert _teams(cast.workspace) == before
