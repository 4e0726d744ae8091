"""The insights cache: a new import, a published run and an agreed objective invalidate the
cached overview (the figures change right after), and the cube version moves with the cube."""

from __future__ import annotations

from django.test import Client

from pacte.accounts.models import Workspace
from pacte.sales import import_jobs


def _year(cast, fy: int) -> dict:
    r = Client().get(
        f"/api/v1/insights/summary?period=FY{fy:04d}",
        HTTP_AUTHORIZATION=f"Bearer {cast.token(cast.executive)}",
    )
    assert r.status_code == 200, r.content
    return r.json()["periods"][3]


def _cube_version(cast) -> int:
    return Workspace.objects.get(pk=cast.workspace.pk).cube_version


def test_an_import_bumps_the_cube_version_and_refreshes_the_overview(sales, quotas):
    before = _year(sales, 2026)
    assert _year(sales, 2026) == before  # served from the cache
    version = _cube_version(sales)
    job = import_jobs.ingest_records(
        workspace=sales.workspace,
        actor=None,
        records=[
            (
                1,
                {
                    "external_id": "cache-1",
                    "date": "2026-03-05",
                    "amount": "250",
                    "channel": "field",
                    "seller": sales.seller.user.email,
                },
            )
        ],
    )
    assert job.status == "done", job.errors
    assert _cube_version(sales) > version
    after = _year(sales, 2026)
    assert after["actual"] == before["actual"] + 250_00
    assert after["target"] == before["target"]


def test_a_workspace_save_never_rolls_the_cube_version_back(cast):
    stale = Workspace.objects.get(pk=cast.workspace.pk)
    Workspace.objects.filter(pk=stale.pk).update(cube_version=7)
    stale.name = "Renamed"
    stale.save()
    fresh = Workspace.objects.get(pk=stale.pk)
    assert (fresh.name, fresh.cube_version) == ("Renamed", 7)


def test_a_published_run_refreshes_the_overview_targets(cast):
    from django.utils import timezone

    from pacte.planning import runs
    from pacte.planning import services as planning

    fy = cast.workspace.calendar.year_of(timezone.localdate()) + 1
    planning.set_company_target(
        workspace=cast.workspace, actor=cast.executive, fiscal_year=fy, amount=1_000_000_00
    )
    run = runs.create_run(
        workspace=cast.workspace, actor=cast.executive, fiscal_year=fy, parameters={}
    )
    assert _year(cast, fy)["target"] is None
    runs.publish_run(run=run, actor=cast.executive)
    assert _year(cast, fy)["target"] == 1_000_000_00


def test_an_agreed_objective_refreshes_the_overview_objectives(cast):
    from pacte.objectives import services as objectives

    fy = 2026
    assert _year(cast, fy)["objective"] is None
    objective = objectives.save_draft(seller=cast.seller, fiscal_year=fy, amount=12_000_000)
    objective = objectives.propose(
        seller=cast.seller, fiscal_year=fy, amount=12_000_000, version=objective.version
    )
    objectives.agree(objective=objective, actor=cast.lead, version=objective.version)
    assert _year(cast, fy)["objective"] == 120_000_00


def test_another_workspaces_import_keeps_this_workspaces_cache(sales, quotas):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _year(sales, 2026)  # cached
    version = _cube_version(sales)
    job = import_jobs.ingest_records(
        workspace=sales.outsider_workspace,
        actor=None,
        records=[
            (
                1,
                {
                    "external_id": "other-1",
                    "date": "2026-03-05",
                    "amount": "990",
                    "channel": "field",
                    "seller": sales.outsider.user.email,
                },
            )
        ],
    )
    assert job.status == "done", job.errors
    assert _cube_version(sales) == version
    with CaptureQueriesContext(connection) as ctx:
        _year(sales, 2026)
    cube_reads = [q["sql"] for q in ctx.captured_queries if "sales_teamcell" in q["sql"]]
    assert cube_reads == []  # still served from this workspace's cached aggregates
    Workspace.objects.filter(pk=sales.workspace.pk).update(cube_version=version + 1)
    with CaptureQueriesContext(connection) as ctx:
        _year(sales, 2026)
    assert any("sales_teamcell" in q["sql"] for q in ctx.captured_queries)  # its own change


def test_every_fingerprinted_table_has_its_workspace_id_index():
    """``sources._counts_fp`` reads MAX(id) of a workspace (and year): without an index led by
    those columns and ending with the id, PostgreSQL walks the primary key down through every
    other workspace's newer rows (found by ``bench/bench_tenants.py``)."""
    from pacte.insights.sources import FINGERPRINTED

    for model, by_year in FINGERPRINTED:
        expected = ["workspace", "fiscal_year", "id"] if by_year else ["workspace", "id"]
        assert any(list(index.fields) == expected for index in model._meta.indexes), model


def test_a_sellers_cached_frame_follows_an_import_and_an_agreed_objective(sales, quotas, login):
    """The cockpit's frame is cached under the cube version and the plan of the year: a new
    sale and a newly agreed objective show on the next request."""
    from pacte.objectives import services as objectives

    client = login(sales.seller)
    url = f"/insights/sellers/{sales.seller.uuid}/?period=FY2026"

    def year() -> dict:
        response = client.get(url)
        assert response.status_code == 200
        return response.context["data"]["summary"][3]

    before = year()
    assert year() == before  # served from the cache
    job = import_jobs.ingest_records(
        workspace=sales.workspace,
        actor=None,
        records=[
            (
                1,
                {
                    "external_id": "cache-seller-1",
                    "date": "2026-03-05",
                    "amount": "250",
                    "channel": "field",
                    "seller": sales.seller.user.email,
                },
            )
        ],
    )
    assert job.status == "done", job.errors
    assert year()["actual"] == before["actual"] + 250_00
    objective = objectives.save_draft(seller=sales.seller, fiscal_year=2026, amount=12_000_000)
    objective = objectives.propose(
        seller=sales.seller, fiscal_year=2026, amount=12_000_000, version=objective.version
    )
    if objective.status == "proposed":  # not agreed by the delegation policy on its own
        objectives.agree(objective=objective, actor=sales.lead, version=objective.version)
    assert year()["objective"] == 120_000_00
