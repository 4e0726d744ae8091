"""The structure API: chart, metrics as of a date, trend, settings, chain, handler, proposals."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client

from pacte.audit.models import AuditEvent
from pacte.org import services
from pacte.org.models import Unit
from pacte.testing.clients import api_client_for

pytestmark = pytest.mark.django_db


def api(cast, member, method, path, body=None):
    import json

    return api_client_for(member).generic(
        method,
        f"/api/v1{path}",
        data=b"" if body is None else json.dumps(body),
        content_type="application/json",
    )


def test_metrics_of_the_cast(cast):
    data = api(cast, cast.executive, "GET", "/org/structure").json()
    # executive leads nobody: the company has no lead, so the lead of North is a top
    assert data["people"] == 5
    assert data["sellers"] == 3
    assert data["leads"] == 1


def test_metrics_with_a_company_lead(cast):
    services.update_unit(unit=cast.company, actor=None, lead=cast.executive)
    data = api(cast, cast.executive, "GET", "/org/structure").json()
    # seller (North) -> lead -> executive: 2 layers; other seller (South, no lead) -> exec: 1
    assert data["layers"]["max"] == 2
    # the lead sells too (1 layer), Olga (1), Sam (2)
    assert data["layers"]["sellers_by_layers"] == [0, 2, 1]
    assert data["span"]["max"] == 3  # executive: admin, lead of North, Olga
    assert data["leads"] == 2


def test_lead_sees_own_subtree_only(cast):
    data = api(cast, cast.lead, "GET", "/org/structure").json()
    assert data["people"] == 2  # the lead and the seller of North
    chart = api(cast, cast.lead, "GET", "/org/chart").json()
    assert chart["node"]["name"] == "North"
    names = [n["name"] for n in chart["children"]]
    assert names == ["Sam Seller"]
    assert api(cast, cast.lead, "GET", f"/org/chart?unit={cast.other_team.uuid}").status_code == 404


def test_seller_sees_chain_not_chart(cast):
    assert api(cast, cast.seller, "GET", "/org/chart").status_code == 403
    chain = api(cast, cast.seller, "GET", f"/members/{cast.seller.uuid}/chain").json()
    assert [x["name"] for x in chain["leads"]] == ["Lea Lead"]
    other = api(cast, cast.seller, "GET", f"/members/{cast.other_seller.uuid}/chain")
    assert other.status_code == 404


def test_chart_branch_has_role_team_and_layers(cast):
    services.update_unit(unit=cast.company, actor=None, lead=cast.executive)
    root = api(cast, cast.executive, "GET", "/org/chart").json()
    assert root["node"]["lead"] == "Eve Executive"
    north = next(n for n in root["children"] if n["name"] == "North")
    assert north["has_children"]
    branch = api(cast, cast.executive, "GET", f"/org/chart?unit={cast.team.uuid}").json()
    sam = branch["children"][0]
    assert (sam["name"], sam["team"], sam["layers"]) == ("Sam Seller", "North", 2)
    assert "Seller" in sam["roles"]
    found = api(cast, cast.executive, "GET", "/org/chart/search?q=sam").json()
    assert found[0]["path"] == [f"u:{cast.company.uuid}", f"u:{cast.team.uuid}"]


def test_team_move_is_dated_and_history_kept(cast):
    # the cast names the lead of North today; South moves under North in ten days
    today = datetime.date.today()
    day = today + datetime.timedelta(days=10)
    eve = (day - datetime.timedelta(days=1)).isoformat()
    response = api(
        cast,
        cast.admin,
        "PATCH",
        f"/units/{cast.other_team.uuid}",
        {"parent": str(cast.team.uuid), "effective": day.isoformat()},
    )
    assert response.status_code == 200, response.content
    history = api(cast, cast.admin, "GET", f"/units/{cast.other_team.uuid}/history").json()
    assert [(h["parent"]["name"], h["valid_from"], h["valid_to"]) for h in history] == [
        ("Acme", None, day.isoformat()),
        ("North", day.isoformat(), None),
    ]
    before = api(cast, cast.executive, "GET", f"/org/chart?on={eve}").json()
    after = api(cast, cast.executive, "GET", f"/org/chart?on={day}").json()
    assert "South" in [n["name"] for n in before["children"]]
    assert "South" not in [n["name"] for n in after["children"]]
    # Olga (South) reports to the lead of North from the move on
    path = f"/members/{cast.other_seller.uuid}/chain"
    chain = api(cast, cast.executive, "GET", f"{path}?on={day}").json()
    assert [x["name"] for x in chain["leads"]] == ["Lea Lead"]
    assert api(cast, cast.executive, "GET", f"{path}?on={eve}").json()["leads"] == []
    # a year ago North had no lead yet (named today): Sam reported to nobody
    old = (today - datetime.timedelta(days=365)).isoformat()
    sam = api(cast, cast.executive, "GET", f"/members/{cast.seller.uuid}/chain?on={old}").json()
    assert sam["leads"] == []


def test_cycle_refused_nothing_changed(cast):
    services.update_unit(unit=cast.other_team, actor=None, parent=cast.team)
    token = cast.token(cast.admin)
    events = AuditEvent.objects.count()
    response = Client().patch(
        f"/api/v1/units/{cast.team.uuid}",
        data={"parent": str(cast.other_team.uuid)},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "cycle"
    assert AuditEvent.objects.count() == events
    assert Unit.objects.get(pk=cast.team.pk).parent_id == cast.company.pk


def test_dated_cycle_refused(cast):
    # South moves under North in March; North under South in February is a cycle from March
    services.update_unit(
        unit=cast.other_team, actor=None, parent=cast.team, effective=datetime.date(2024, 3, 1)
    )
    east = services.create_unit(
        workspace=cast.workspace, actor=None, name="East", parent=cast.company
    )
    with pytest.raises(services.DomainError) as exc:
        services.update_unit(
            unit=cast.team, actor=None, parent=cast.other_team, effective=datetime.date(2024, 2, 1)
        )
    assert exc.value.code == "cycle"
    assert east.parent_id == cast.company.pk


def test_lead_change_before_joining_refused(cast):
    response = api(
        cast,
        cast.admin,
        "PATCH",
        f"/units/{cast.other_team.uuid}",
        {"lead": str(cast.other_seller.uuid), "effective": "2019-01-01"},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "before_joining"
    assert Unit.objects.get(pk=cast.other_team.pk).lead_id is None


def test_lead_required_policy(cast):
    refused = api(
        cast,
        cast.admin,
        "PUT",
        "/org/settings",
        {"max_layers": 2, "span_min": 1, "span_max": 9, "require_lead": True},
    )
    assert refused.json()["code"] == "lead_required"  # South has no lead
    services.update_unit(unit=cast.other_team, actor=None, lead=cast.other_seller)
    services.update_unit(unit=cast.company, actor=None, lead=cast.executive)
    ok = api(
        cast,
        cast.admin,
        "PUT",
        "/org/settings",
        {"max_layers": 2, "span_min": 1, "span_max": 9, "require_lead": True},
    )
    assert ok.status_code == 200, ok.content
    response = api(cast, cast.admin, "PATCH", f"/units/{cast.team.uuid}", {"remove_lead": True})
    assert response.json()["code"] == "lead_required"
    assert Unit.objects.get(pk=cast.team.pk).lead_id == cast.lead.pk


def test_settings_are_audited_and_versioned(cast):
    body = {"max_layers": 1, "span_min": 2, "span_max": 10}
    first = api(cast, cast.executive, "PUT", "/org/settings", body).json()
    second = api(
        cast,
        cast.executive,
        "PUT",
        "/org/settings",
        {**body, "span_max": 11, "version": first["version"]},
    )
    assert second.status_code == 200
    stale = api(cast, cast.executive, "PUT", "/org/settings", {**body, "version": first["version"]})
    assert stale.status_code == 412
    assert AuditEvent.objects.filter(action="org_settings.updated").count() == 2
    inverted = api(
        cast,
        cast.executive,
        "PUT",
        "/org/settings",
        {"max_layers": 1, "span_min": 9, "span_max": 2},
    )
    assert inverted.json()["code"] == "span_bounds_inverted"


def test_trend_has_twelve_month_ends(cast):
    data = api(cast, cast.executive, "GET", "/org/structure/trend").json()
    assert len(data) == 12
    assert data[-1]["people"] == 5
