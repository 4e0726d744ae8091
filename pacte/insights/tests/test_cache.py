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
