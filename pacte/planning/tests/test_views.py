"""Targets pages: target entry, editor preview, runs, publish, compare, seller explanation."""

from __future__ import annotations

import pytest

from pacte.planning import runs
from pacte.planning.models import CascadeRun, CompanyTarget, RunStatus
from pacte.planning.tests.conftest import add_history


def test_index_shows_the_fiscal_calendar_with_labels(cast, login, fy) -> None:
    response = login(cast.seller).get(f"/targets/?year=FY{fy}")
    assert response.status_code == 200
    body = response.content.decode()
    assert f"FY{fy}-Q2" in body
    assert f"Q2 FY{fy}" in body
    assert "Targets" in body


def test_index_rejects_an_unknown_year_key(cast, login) -> None:
    response = login(cast.seller).get("/targets/?year=2027")
    assert response.status_code == 400
    assert "FY2027" in response.content.decode()


def test_executive_sets_the_target_from_the_page(cast, login, fy) -> None:
    client = login(cast.executive)
    response = client.post("/targets/target/", {"year": f"FY{fy}", "amount": "1250000.50"})
    assert response.status_code == 302
    assert CompanyTarget.objects.get(fiscal_year=fy).amount == 125000050


@pytest.mark.parametrize("bad", ["-5", "lots"])
def test_bad_target_on_the_page_says_why_and_stores_nothing(cast, login, fy, bad) -> None:
    client = login(cast.executive)
    response = client.post("/targets/target/", {"year": f"FY{fy}", "amount": bad}, follow=True)
    assert not CompanyTarget.objects.exists()
    body = response.content.decode()
    assert "negative" in body or "not an amount" in body


def test_editor_preview_stores_nothing_and_shows_teams_and_months(cast, login, fy, target) -> None:
    client = login(cast.executive)
    assert client.get(f"/targets/cascade/?year=FY{fy}").status_code == 200
    data = {
        "year": f"FY{fy}",
        "method": "equal",
        "window_months": 12,
        "ramp_months": 3,
        "phasing": "flat",
        "effective_from": 1,
    }
    response = client.post("/targets/cascade/preview/", data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert "North" in body
    assert "Sam Seller" in body
    assert 'id="cascade-data"' in body
    assert "HX-Request" in response["Vary"]
    assert not CascadeRun.objects.exists()


def test_editor_preview_shows_infeasible_bounds(cast, login, fy, target) -> None:
    add_history(cast, fy, {"seller": 100_00, "lead": 100_00, "other_seller": 100_00})
    data = {
        "year": f"FY{fy}",
        "method": "history",
        "window_months": 12,
        "ramp_months": 3,
        "phasing": "flat",
        "effective_from": 1,
        "bound_low": "-10",
        "bound_high": "30",
    }
    response = login(cast.executive).post("/targets/cascade/preview/", data)
    body = response.content.decode()
    assert "cannot all hold" in body
    assert "Sam Seller" in body


def test_save_draft_publish_and_explain(cast, login, fy, target) -> None:
    client = login(cast.executive)
    data = {
        "year": f"FY{fy}",
        "method": "equal",
        "window_months": 12,
        "ramp_months": 3,
        "phasing": "flat",
        "effective_from": 1,
        "holds": "seller@acme.example = 100000",
    }
    response = client.post("/targets/cascade/", data)
    assert response.status_code == 302
    run = CascadeRun.objects.get()
    assert client.get(f"/targets/runs/{run.uuid}/").status_code == 200
    assert client.get(f"/targets/runs/{run.uuid}/publish/").status_code == 200
    client.post(f"/targets/runs/{run.uuid}/publish/", {"version": run.version, "replaces": ""})
    run.refresh_from_db()
    assert run.status == RunStatus.PUBLISHED
    page = login(cast.seller).get(f"/targets/sellers/{cast.seller.uuid}/?year=FY{fy}")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Why this number" in body
    assert "fixed by hand" in body


def test_explanation_visibility(cast, login, fy, target) -> None:
    run = runs.create_run(workspace=cast.workspace, actor=None, fiscal_year=fy, parameters={})
    runs.publish_run(run=run, actor=None)
    url = f"/targets/sellers/{cast.seller.uuid}/?year=FY{fy}"
    assert login(cast.seller).get(url).status_code == 200
    assert login(cast.lead).get(url).status_code == 200  # leads North
    assert login(cast.executive).get(url).status_code == 200
    assert login(cast.admin).get(url).status_code == 200
    assert login(cast.other_seller).get(url).status_code == 404
    assert login(cast.outsider).get(url).status_code == 404
    cast.workspace.leaderboard_enabled = True
    cast.workspace.save()
    assert login(cast.other_seller).get(url).status_code == 200


def test_compare_page_lists_gains_and_losses(cast, login, fy, target) -> None:
    a = runs.create_run(workspace=cast.workspace, actor=None, fiscal_year=fy, parameters={})
    b = runs.create_run(
        workspace=cast.workspace,
        actor=None,
        fiscal_year=fy,
        parameters={"exclusions": [str(cast.other_seller.uuid)]},
    )
    response = login(cast.executive).get(f"/targets/compare/?a={a.uuid}&b={b.uuid}")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Olga Other" in body
    assert "exclusion changed" in body


def test_potential_import_page_reports_lines(cast, login, fy) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("p.csv", b"seller,potential\nghost@acme.example,10\n")
    response = login(cast.admin).post("/targets/potential/", {"year": f"FY{fy}", "file": upload})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Line 2" in body
    assert "ghost@acme.example" in body


def test_run_page_query_count_is_bounded(
    cast, login, fy, target, django_assert_max_num_queries
) -> None:
    run = runs.create_run(workspace=cast.workspace, actor=None, fiscal_year=fy, parameters={})
    client = login(cast.executive)
    with django_assert_max_num_queries(20):
        assert client.get(f"/targets/runs/{run.uuid}/").status_code == 200


def test_nav_links_to_targets(cast, login) -> None:
    assert 'href="/targets/"' in login(cast.seller).get("/targets/").content.decode()
