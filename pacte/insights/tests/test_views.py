"""Insights pages: the three numbers, drill-down, visibility, query counts, bad input."""

from __future__ import annotations

import pytest

from pacte.insights import periods


@pytest.mark.django_db
def test_overview_shows_company_teams_and_channels(sales, quotas, login):
    response = login(sales.executive).get("/insights/?period=FY2026")
    assert response.status_code == 200
    data = response.context["data"]
    year = data["summary"][3]
    assert year["target"] == (3000_00 + 1500_00 + 6000_00) * 4
    # company actuals count split credits only
    assert year["actual"] == 5 * (1200_00 + 400_00 + 2000_00)
    assert [t["name"] for t in data["teams"]] == ["North", "South"]
    assert data["channels"]["rows"][0]["actual"] == year["actual"]
    body = response.content.decode()
    assert f"/insights/teams/{sales.team.uuid}/" in body  # one click to the team
    assert 'id="insights-heatmap"' in body
    assert "<script>" not in body.replace("<script src", "")


@pytest.mark.django_db
def test_periods_are_labelled_in_the_members_language(sales, quotas, login):
    sales.executive.user.language = "fr"
    sales.executive.user.save()
    page = login(sales.executive).get("/insights/?period=FY2026-Q2").content.decode()
    assert "T2 Ex. 2026" in page  # the header, headings and the period selector
    assert '<option value="FY2026">Ex. 2026</option>' in page
    assert "Ex. 2026, cumul annuel" in page


def test_team_view_lists_its_sellers_with_forecast_and_probability(sales, quotas, login):
    response = login(sales.lead).get(f"/insights/teams/{sales.team.uuid}/?period=FY2026")
    assert response.status_code == 200
    rows = {r["name"]: r for r in response.context["data"]["sellers"]["rows"]}
    assert set(rows) == {"Lea Lead", "Sam Seller"}
    sam = rows["Sam Seller"]
    assert sam["actual"] == 5 * (1200_00 + 100_00)  # a seller's own attainment counts overlay
    assert sam["year_forecast"] is not None
    assert 0 <= sam["p_target"] <= 1
    assert f"/insights/sellers/{sales.seller.uuid}/" in response.content.decode()


@pytest.mark.django_db
def test_seller_sees_team_totals_but_not_teammates_without_leaderboard(sales, quotas, login):
    client = login(sales.seller)
    response = client.get(f"/insights/teams/{sales.team.uuid}/?period=FY2026")
    rows = response.context["data"]["sellers"]["rows"]
    assert [r["name"] for r in rows] == ["Sam Seller"]
    assert response.context["data"]["sellers"]["hidden"] == 1
    assert client.get(f"/insights/sellers/{sales.lead.uuid}/").status_code == 404
    assert response.context["data"]["ranking"] is None
    sales.workspace.leaderboard_enabled = True
    sales.workspace.save()
    assert client.get(f"/insights/sellers/{sales.lead.uuid}/").status_code == 200


@pytest.mark.django_db
def test_lead_sees_own_team_sellers_only(sales, quotas, login):
    client = login(sales.lead)
    assert client.get(f"/insights/sellers/{sales.seller.uuid}/").status_code == 200
    assert client.get(f"/insights/sellers/{sales.other_seller.uuid}/").status_code == 404
    ranking = client.get("/insights/?period=FY2026").context["data"]["ranking"]
    names = {r["name"] for r in ranking["behind"] + ranking["ahead"]}
    assert names <= {"Lea Lead", "Sam Seller"}


@pytest.mark.django_db
def test_cockpit_shows_objective_progress_forecast_and_what_if(sales, quotas, login):
    client = login(sales.seller)
    response = client.get("/insights/me/", follow=True)
    assert response.status_code == 200
    forecast = response.context["data"]["forecast"]
    assert forecast["year_forecast"] is not None
    assert forecast["p_target"] is not None
    response = client.post(
        f"/insights/sellers/{sales.seller.uuid}/what-if/?period=FY2026",
        {"amount": "5000", "month": "6"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    result = response.context["what_if"]
    assert result["after"]["actual"] == result["before"]["actual"] + 5000_00
    assert result["after"]["p_target"] >= result["before"]["p_target"]
    assert response["Vary"]
    assert "HX-Request" in response["Vary"]


@pytest.mark.django_db
def test_seller_saves_own_judgment_and_it_moves_the_forecast(sales, quotas, login):
    client = login(sales.seller)
    before = client.get(f"/insights/sellers/{sales.seller.uuid}/?period=FY2026").context["data"]
    run_rate = before["forecast"]["run_rate"]
    client.post(
        f"/insights/sellers/{sales.seller.uuid}/judgment/?period=FY2026",
        {"committed": str(run_rate / 100 + 10000), "best_case": str(run_rate / 100 + 20000)},
    )
    after = client.get(f"/insights/sellers/{sales.seller.uuid}/?period=FY2026").context["data"]
    assert after["forecast"]["committed"] == run_rate + 10000_00
    assert after["forecast"]["year_forecast"] == run_rate + 5000_00  # weight 50 %
    # someone else cannot enter it
    other = login(sales.lead).post(
        f"/insights/sellers/{sales.seller.uuid}/judgment/?period=FY2026", {"committed": "1"}
    )
    assert other.status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/insights/?period=FY20x7",
        "/insights/?period=FY2026-Q5",
        "/insights/?channel=not-a-uuid",
        "/insights/?channel=00000000-0000-0000-0000-000000000000",
        "/insights/export/?table=nope&format=csv",
        "/insights/export/?table=summary&format=csv&team=00000000-0000-0000-0000-000000000000",
    ],
)
def test_bad_filters_get_a_clear_message(cast, login, url):
    response = login(cast.executive).get(url)
    assert response.status_code in (400, 404)
    assert response.context["message"]


@pytest.mark.django_db
def test_overview_query_count_is_pinned(sales, quotas, login, django_assert_max_num_queries):
    client = login(sales.executive)
    client.get("/insights/")
    with django_assert_max_num_queries(10):
        assert client.get("/insights/?period=FY2026").status_code == 200


@pytest.mark.django_db
def test_team_view_query_count_is_pinned(sales, quotas, login, django_assert_max_num_queries):
    client = login(sales.executive)
    with django_assert_max_num_queries(
        30
    ):  # 29th, 30th: the team's callers and their call snapshots
        assert client.get(f"/insights/teams/{sales.team.uuid}/?period=FY2026").status_code == 200


@pytest.mark.django_db
def test_cockpit_query_count_is_pinned(sales, quotas, login, django_assert_max_num_queries):
    client = login(sales.seller)
    # 18th: the seller's team, for the link back to it; 19th: the levels of their share
    # 20th: the call snapshots (accuracy); 21st: the partners they manage as channel manager
    with django_assert_max_num_queries(21):
        assert client.get(f"/insights/sellers/{sales.seller.uuid}/").status_code == 200


@pytest.mark.django_db
def test_query_count_does_not_grow_with_sellers(
    sales, quotas, cell, login, django_assert_max_num_queries
):
    import datetime

    from pacte.org.services import create_member

    for i in range(15):
        m = create_member(
            workspace=sales.workspace,
            actor=None,
            email=f"s{i}@acme.example",
            name=f"S{i}",
            roles={"seller"},
            unit=sales.team,
            joined_on=datetime.date(2020, 1, 1),
        )
        cell(m, 2026, 2, 100_00, unit=sales.team)
    client = login(sales.executive)
    with django_assert_max_num_queries(30):
        assert client.get(f"/insights/teams/{sales.team.uuid}/?period=FY2026").status_code == 200


@pytest.mark.django_db
def test_exports_csv_and_xlsx_of_every_table(sales, quotas, login):
    client = login(sales.executive)
    for table in ("summary", "months", "teams", "channels", "heatmap", "ranking"):
        for fmt in ("csv", "xlsx"):
            response = client.get(f"/insights/export/?table={table}&format={fmt}&period=FY2026")
            assert response.status_code == 200, (table, fmt)
    csv = client.get(
        f"/insights/export/?table=sellers&format=csv&period=FY2026&team={sales.team.uuid}"
    ).content.decode()
    assert csv.startswith("\ufeff")  # for spreadsheets
    assert "Sam Seller" in csv
    assert "Olga Other" not in csv


@pytest.mark.django_db
def test_report_is_print_ready_and_translated(sales, quotas, login):
    client = login(sales.executive)
    client.post("/account/language/", {"language": "fr"})
    response = client.get(f"/insights/report/?period=FY2026&team={sales.team.uuid}")
    assert response.status_code == 200
    assert 'id="insights-months"' in response.content.decode()


@pytest.mark.django_db
def test_default_period_falls_back_to_latest_year_with_sales(cast, cell):
    cell(cast.seller, 2019, 3, 100)
    choice = periods.resolve_period(cast.workspace, None)
    assert choice.fy == 2019


@pytest.mark.django_db
def test_overview_pages_its_teams_and_every_team_stays_reachable(sales, quotas, cell, login):
    from pacte.insights.views import TEAMS_PER_PAGE
    from pacte.org.models import Unit

    root = sales.team.parent
    extra = [
        Unit.objects.create(workspace=sales.workspace, name=f"Z{i:02d}", parent=root)
        for i in range(TEAMS_PER_PAGE + 3)
    ]
    cell(sales.seller, 2026, 2, 100_00, unit=extra[-1])
    client = login(sales.executive)
    first = client.get("/insights/?period=FY2026")
    data = first.context["data"]
    assert len(data["teams"]) == TEAMS_PER_PAGE
    assert len(data["heatmap"]["rows"]) == TEAMS_PER_PAGE
    assert 'href="?period=FY2026&amp;page=2#teams-title" rel="next"' in first.content.decode()
    second = client.get("/insights/?period=FY2026&page=2").context["data"]
    names = [t["name"] for t in data["teams"] + second["teams"]]
    assert names == sorted({"North", "South", *(u.name for u in extra)})
    assert second["heatmap"]["rows"] == [t["name"] for t in second["teams"]]
    assert {c[1] for c in second["heatmap"]["cells"]} == set(range(len(second["teams"])))
    last = second["teams"][-1]
    assert (last["name"], last["actual"]) == ("Z22", 100_00)
    # exports and the API keep every team
    csv = client.get("/insights/export/?table=teams&format=csv&period=FY2026").content.decode()
    assert all(u.name in csv for u in extra)


@pytest.mark.django_db
def test_ranking_orders_sellers_by_attainment_with_exact_amounts(sales, cell, login):
    import datetime

    from pacte.insights.tests.conftest import cast_quotas, publish_quotas
    from pacte.org.services import create_member

    quotas = cast_quotas(sales)
    # more sellers than the ranking shows, one with a target and no sale, two tied
    for i, (quota, sold) in enumerate(
        [(3000_00, 0), (3000_00, 2000_00), (3000_00, 2000_00), (1000_00, 5000_00)]
        + [(2000_00, 100_00 * k) for k in range(1, 8)]
    ):
        m = create_member(
            workspace=sales.workspace,
            actor=None,
            email=f"rank{i}@acme.example",
            name=f"Rank {i:02d}",
            roles={"seller"},
            unit=sales.team,
            joined_on=datetime.date(2020, 1, 1),
        )
        quotas.append((m, 1, quota))
        if sold:
            cell(m, 2026, 2, sold, unit=sales.team)
    publish_quotas(sales, quotas)
    ranking = login(sales.executive).get("/insights/?period=FY2026-Q1").context["data"]["ranking"]
    behind = [(r["name"], r["actual"], r["target"], r["gap_target"]) for r in ranking["behind"]]
    assert behind[0] == ("Rank 00", 0, 3000_00, -3000_00)
    assert [n for n, *_ in behind[1:5]] == ["Rank 04", "Rank 05", "Rank 06", "Rank 07"]
    ahead = ranking["ahead"]
    assert (ahead[0]["name"], ahead[0]["actual"], ahead[0]["target"]) == (
        "Rank 03",
        5000_00,
        1000_00,
    )
    assert ahead[0]["attainment_target"] == 5.0
    assert all(isinstance(r["actual"], int) for r in ranking["behind"] + ahead)
    values = [r["attainment_target"] for r in ranking["behind"]]
    assert values == sorted(values)
    values = [r["attainment_target"] for r in ahead]
    assert values == sorted(values, reverse=True)


@pytest.mark.django_db
def test_teams_pages_keep_the_period_and_channel(sales, cast, login, monkeypatch):
    monkeypatch.setattr("pacte.insights.views.TEAMS_PER_PAGE", 1)
    client = login(cast.executive)
    url = f"/insights/?period=FY2026-Q2&channel={cast.channel.uuid}"
    body = client.get(url).content.decode()
    link = f'href="?period=FY2026-Q2&amp;channel={cast.channel.uuid}&amp;page=2#teams-title"'
    assert link in body
    second = client.get(f"{url}&page=2")
    assert "Page 2 of 2" in second.content.decode()
