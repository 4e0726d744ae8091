"""The accuracy and bias of the calls in the API, scoped as on the pages: a seller sees their
own, a lead their own team call and their sellers', executives and admins every call."""

from __future__ import annotations

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pacte.accounts.models import Workspace
from pacte.pipeline import services, snapshots
from pacte.pipeline.models import Call, CallLevel
from pacte.sales.models import CubeCell
from pacte.testing.cast import Cast

pytestmark = pytest.mark.django_db
URL = "/api/v1/pipeline/accuracy"


@pytest.fixture
def closed(cast: Cast) -> Cast:
    """Last quarter: the seller called 8,000 then 12,000 and sold 10,000 (error 20 %, no bias);
    the lead's team call was 15,000 every week (North sold 10,000: bias +50 %); the other
    team's seller called 5,000 and sold nothing."""
    past = snapshots.previous_quarter(cast.workspace, timezone.localdate())
    for i, commit in enumerate((8_000, 12_000)):
        day = past.bounds[0] + datetime.timedelta(days=7 * (i + 1))
        common = {"workspace": cast.workspace, "period": past.key, "week": services.week_of(day)}
        Call.objects.create(
            member=cast.seller, level=CallLevel.SELLER, commit=commit, best_case=commit, **common
        )
        Call.objects.create(
            member=cast.other_seller,
            level=CallLevel.SELLER,
            commit=5_000,
            best_case=5_000,
            **common,
        )
        Call.objects.create(
            member=cast.lead,
            unit=cast.team,
            level=CallLevel.TEAM,
            commit=15_000,
            best_case=15_000,
            **common,
        )
        snapshots.snapshot_week(workspace=cast.workspace, day=day)
    CubeCell.objects.create(
        workspace=cast.workspace,
        seller=cast.seller,
        unit=cast.team,
        channel=cast.channel,
        month=past.month_indexes.start,
        split_amount=10_000,
    )
    Workspace.objects.filter(pk=cast.workspace.pk).update(cube_version=F("cube_version") + 1)
    cache.clear()
    return cast


def _rows(client, query: str = "") -> dict[tuple[str, str], dict]:  # type: ignore[no-untyped-def]
    response = client.get(URL + query)
    assert response.status_code == 200, response.content
    return {(r["member"]["name"], r["level"]): r for r in response.json()["items"]}


def test_the_executive_sees_every_call_with_its_error_and_bias(closed: Cast, api_client) -> None:  # type: ignore[no-untyped-def]
    rows = _rows(api_client(closed.executive))
    past = snapshots.previous_quarter(closed.workspace, timezone.localdate())
    sam = rows[(closed.seller.name, "seller")]
    assert sam == {
        "member": {"uuid": str(closed.seller.uuid), "name": closed.seller.name},
        "level": "seller",
        "period": past.key,
        "calls": 2,
        "last_call": 12_000,
        "actual": 10_000,
        "error": pytest.approx(0.2),
        "bias": pytest.approx(0.0),
        "mean_error": pytest.approx(0.0),
    }
    lea = rows[(closed.lead.name, "team")]
    assert (lea["actual"], lea["bias"]) == (10_000, pytest.approx(0.5))
    olga = rows[(closed.other_seller.name, "seller")]
    assert (olga["actual"], olga["error"], olga["bias"]) == (0, None, None)
    assert set(rows) == {
        (closed.seller.name, "seller"),
        (closed.lead.name, "team"),
        (closed.other_seller.name, "seller"),
    }


def test_a_seller_sees_only_their_own(closed: Cast, api_client) -> None:  # type: ignore[no-untyped-def]
    assert set(_rows(api_client(closed.seller))) == {(closed.seller.name, "seller")}
    assert set(_rows(api_client(closed.other_seller))) == {(closed.other_seller.name, "seller")}


def test_a_lead_sees_their_team_call_and_their_sellers(closed: Cast, api_client) -> None:  # type: ignore[no-untyped-def]
    assert set(_rows(api_client(closed.lead))) == {
        (closed.seller.name, "seller"),
        (closed.lead.name, "team"),
    }


def test_an_outsider_sees_nothing_of_the_workspace(closed: Cast, api_client) -> None:  # type: ignore[no-untyped-def]
    assert _rows(api_client(closed.outsider)) == {}


def test_a_named_closed_period_and_an_open_one(closed: Cast, api_client) -> None:  # type: ignore[no-untyped-def]
    client = api_client(closed.executive)
    past = snapshots.previous_quarter(closed.workspace, timezone.localdate())
    assert len(_rows(client, f"?period={past.key}")) == 3
    current = services.parse_period(closed.workspace, None)
    response = client.get(f"{URL}?period={current.key}")
    assert response.status_code == 400
    assert (response.json()["code"], response.json()["field"]) == ("period_open", "period")
    assert client.get(f"{URL}?period=nope").status_code == 400


def test_pages_cost_as_many_queries_whatever_their_rows(closed: Cast, api_client) -> None:  # type: ignore[no-untyped-def]
    client = api_client(closed.executive)
    first = client.get(f"{URL}?limit=1").json()
    assert first["count"] == 3
    assert len(first["items"]) == 1
    with CaptureQueriesContext(connection) as one:
        client.get(f"{URL}?limit=1")
    with CaptureQueriesContext(connection) as three:
        assert len(client.get(f"{URL}?limit=3").json()["items"]) == 3
    assert len(three) == len(one)
