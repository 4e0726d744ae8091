"""The pipeline pages: my forecast, a deal moved, the team call, the company, deals, import."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pacte.pipeline.models import Call, CallLevel, Deal
from pacte.pipeline.tests.helpers import load, quarter, row
from pacte.testing.cast import Cast

pytestmark = pytest.mark.django_db


def test_seller_sees_deals_and_sets_a_call(cast: Cast, login) -> None:  # type: ignore[no-untyped-def]
    load(cast, [row(cast.seller, "D1", name="Acme renewal", category="commit")])
    client = login(cast.seller)
    page = client.get(reverse("pipeline:mine"))
    assert page.status_code == 200
    assert "Acme renewal" in page.content.decode()
    assert b'data-testid="not-updated"' in page.content
    deal = Deal.objects.for_workspace(cast.workspace).get()
    response = client.post(
        reverse("pipeline:mine") + f"?period={quarter(cast).key}",
        {
            "period": quarter(cast).key,
            "commit": "1000",
            "best_case": "1500.50",
            "note": "On track",
            "deals": [str(deal.uuid)],
        },
    )
    assert response.status_code == 302
    call = Call.objects.for_workspace(cast.workspace).get()
    assert (call.commit, call.best_case, call.note) == (100_000, 150_050, "On track")
    assert b'data-testid="not-updated"' not in client.get(reverse("pipeline:mine")).content


def test_a_bad_call_is_refused_next_to_its_field(cast: Cast, login) -> None:  # type: ignore[no-untyped-def]
    client = login(cast.seller)
    response = client.post(
        reverse("pipeline:mine"), {"commit": "20", "best_case": "10", "period": quarter(cast).key}
    )
    assert response.status_code == 400
    assert b'id="id_best_case-error"' in response.content
    assert not Call.objects.for_workspace(cast.workspace).exists()


def test_seller_moves_a_deal_to_commit(cast: Cast, login) -> None:  # type: ignore[no-untyped-def]
    load(cast, [row(cast.seller, "D1")])
    deal = Deal.objects.for_workspace(cast.workspace).get()
    client = login(cast.seller)
    response = client.post(
        reverse("pipeline:deal_update", args=[deal.uuid]),
        {"category": "commit", "version": deal.version, "next": "/forecast/"},
    )
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.category == "commit"


def test_another_sellers_deal_is_not_found(cast: Cast, login) -> None:  # type: ignore[no-untyped-def]
    load(cast, [row(cast.other_seller, "D1")])
    deal = Deal.objects.for_workspace(cast.workspace).get()
    response = login(cast.seller).post(
        reverse("pipeline:deal_update", args=[deal.uuid]), {"category": "commit"}
    )
    assert response.status_code == 404


def test_lead_adjusts_and_submits_the_team_call(cast: Cast, login) -> None:  # type: ignore[no-untyped-def]
    from pacte.pipeline import services

    services.set_call(
        actor=cast.seller,
        seller=cast.seller,
        period_key=quarter(cast).key,
        commit=100_000,
        best_case=100_000,
    )
    client = login(cast.lead)
    page = client.get(reverse("pipeline:team"))
    assert page.status_code == 200
    assert cast.seller.name in page.content.decode()
    response = client.post(
        reverse("pipeline:team_adjust"),
        {
            "period": quarter(cast).key,
            "team": str(cast.team.uuid),
            "direction": "down",
            "adjustment": "100",
            "note": "One slips",
            "action": "submit",
        },
    )
    assert response.status_code == 302
    call = Call.objects.for_workspace(cast.workspace).get(level=CallLevel.TEAM)
    assert (call.gross_commit, call.adjustment, call.commit, call.status) == (
        100_000,
        -10_000,
        90_000,
        "submitted",
    )
    company = login(cast.executive).get(reverse("pipeline:company"))
    assert company.status_code == 200
    assert b'data-testid="company-call"' in company.content


def test_a_stale_team_call_answers_412(cast: Cast, login) -> None:  # type: ignore[no-untyped-def]
    client = login(cast.lead)
    data = {"period": quarter(cast).key, "team": str(cast.team.uuid), "adjustment": ""}
    assert client.post(reverse("pipeline:team_adjust"), data).status_code == 302
    assert client.post(reverse("pipeline:team_adjust"), {**data, "version": "1"}).status_code == 302
    stale = client.post(reverse("pipeline:team_adjust"), {**data, "version": "1"})
    assert stale.status_code == 412


def test_lead_cannot_open_another_team(cast: Cast, login) -> None:  # type: ignore[no-untyped-def]
    response = login(cast.lead).get(reverse("pipeline:team") + f"?team={cast.other_team.uuid}")
    assert response.status_code == 404


def test_company_page_queries_do_not_grow_with_deals(cast: Cast, login) -> None:  # type: ignore[no-untyped-def]
    client = login(cast.executive)
    load(cast, [row(cast.seller, "A"), row(cast.other_seller, "Z")])
    assert client.get(reverse("pipeline:company")).status_code == 200  # caches warm
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("pipeline:company")).status_code == 200
    load(cast, [row(m, f"B{i}") for i, m in enumerate([cast.lead, cast.other_seller] * 20)])
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse("pipeline:company")).status_code == 200
    assert len(many) == len(few), [q["sql"][:120] for q in many.captured_queries]


def test_deal_list_filters_and_exports(cast: Cast, login) -> None:  # type: ignore[no-untyped-def]
    load(
        cast,
        [row(cast.seller, "A", category="commit"), row(cast.seller, "B", name="=HYPERLINK()")],
    )
    client = login(cast.seller)
    page = client.get(reverse("pipeline:deals") + "?category=commit")
    assert page.status_code == 200
    assert "Deal A" in page.content.decode()
    assert "Deal B" not in page.content.decode()
    csv = client.get(reverse("pipeline:deals") + "?format=csv")
    text = csv.content.decode("utf-8-sig")
    assert "Deal A" in text
    assert "'=HYPERLINK()" in text
    xlsx = client.get(reverse("pipeline:deals") + "?format=xlsx")
    assert xlsx.content[:2] == b"PK"


def test_deal_list_as_of_a_day(cast: Cast, login) -> None:  # type: ignore[no-untyped-def]
    load(cast, [row(cast.seller, "A")])
    page = login(cast.seller).get(reverse("pipeline:deals") + "?as_of=2001-01-01")
    assert page.status_code == 200
    assert "Deal A" not in page.content.decode()


def test_import_page_shows_located_errors_and_imports_nothing(cast: Cast, login) -> None:  # type: ignore[no-untyped-def]
    day = row(cast.seller, "x")["close_date"]
    body = (
        "external_id,name,amount,close_date,stage,probability,category,owner\n"
        f"A,One,100,{day},Proposal,50,commit,{cast.seller.email}\n"
        f"B,Two,100,{day},Proposal,150,commit,{cast.seller.email}\n"
    ).encode()
    upload = io.BytesIO(body)
    upload.name = "deals.csv"
    response = login(cast.admin).post(reverse("pipeline:deal_import"), {"file": upload})
    assert response.status_code == 400
    assert "probability" in response.content.decode()
    assert not Deal.objects.for_workspace(cast.workspace).exists()
    upload = io.BytesIO(body.replace(b",150,", b",15,"))
    upload.name = "deals.csv"
    response = login(cast.admin).post(reverse("pipeline:deal_import"), {"file": upload})
    assert response.status_code == 302
    assert Deal.objects.for_workspace(cast.workspace).count() == 2


def test_my_objective_links_to_my_deals(cast: Cast, login) -> None:  # type: ignore[no-untyped-def]
    page = login(cast.seller).get(reverse("objectives:mine"))
    assert reverse("pipeline:mine").encode() in page.content
