"""The leads' second-level split: open, preview, draft, submit, sub-teams, lock, accept, apply,
access, bad input, and the explanation at both levels."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from django.db.models import Sum
from django.test import Client
from django.utils import timezone

from pacte.audit.models import AuditEvent
from pacte.errors import DomainError, StaleVersion
from pacte.org.services import create_unit, update_unit
from pacte.planning import delegation as dl
from pacte.planning import runs, services
from pacte.planning.models import (
    CascadeShare,
    Delegation,
    SellerExplanation,
    SplitStatus,
    TeamSplit,
    UnitShare,
)
from pacte.testing.cast import Cast, _member


def _publish(cast: Cast, fy: int) -> Any:
    services.set_company_target(
        workspace=cast.workspace, actor=cast.executive, fiscal_year=fy, amount=900_000_00
    )
    run = runs.create_run(
        workspace=cast.workspace, actor=cast.executive, fiscal_year=fy, parameters={}
    )
    return runs.publish_run(run=run, actor=cast.executive)


def _open(cast: Cast, fy: int, *, closes_in: int = 14) -> Delegation:
    run = _publish(cast, fy)
    today = timezone.localdate()
    return dl.open_delegation(
        run=run,
        actor=cast.executive,
        opens_on=today,
        closes_on=today + datetime.timedelta(days=closes_in),
    )


def _split(found: Delegation, unit: Any) -> TeamSplit:
    return TeamSplit.objects.get(delegation=found, unit=unit)


def _json(client: Client, method: str, url: str, body: object = None, **headers: Any):
    return client.generic(
        method,
        url,
        data=json.dumps(body) if body is not None else b"",
        content_type="application/json",
        **headers,
    )


def test_open_gives_each_team_its_share_and_is_audited(cast, fy) -> None:
    found = _open(cast, fy)
    north = _split(found, cast.team)
    south = _split(found, cast.other_team)
    shares = dict(
        UnitShare.objects.filter(run=found.run)
        .values_list("unit_id")
        .annotate(t=Sum("amount"))
        .values_list("unit_id", "t")
    )
    assert north.amount == shares[cast.team.pk]
    assert south.amount == shares[cast.other_team.pk]
    assert north.status == SplitStatus.PENDING
    assert AuditEvent.objects.filter(action="delegation.opened").count() == 1
    with pytest.raises(DomainError) as err:
        dl.open_delegation(
            run=found.run,
            actor=cast.executive,
            opens_on=found.opens_on,
            closes_on=found.closes_on,
        )
    assert err.value.code == "already_open"


def test_window_closing_before_it_opens_is_refused(cast, fy) -> None:
    run = _publish(cast, fy)
    today = timezone.localdate()
    with pytest.raises(DomainError) as err:
        dl.open_delegation(
            run=run,
            actor=cast.executive,
            opens_on=today,
            closes_on=today - datetime.timedelta(days=1),
        )
    assert err.value.field == "closes_on"
    assert not Delegation.objects.exists()


def test_preview_with_a_hold_sums_exactly(cast, fy) -> None:
    found = _open(cast, fy)
    north = _split(found, cast.team)
    hold = 100_000_00
    out = dl.preview(
        north,
        method="equal",
        parameters={"holds": {str(cast.seller.uuid): hold}},
        currency="EUR",
    )
    assert out["exact"]
    assert out["sum"] == north.amount
    by_key = {i["key"]: i for i in out["items"]}
    assert by_key[str(cast.seller.uuid)]["amount"] == hold
    assert by_key[str(cast.seller.uuid)]["held"]
    assert by_key[str(cast.lead.uuid)]["amount"] == north.amount - hold


def test_hold_above_the_share_is_a_located_refusal(cast, fy) -> None:
    found = _open(cast, fy)
    north = _split(found, cast.team)
    with pytest.raises(DomainError) as err:
        dl.save_split(
            split=north,
            actor=cast.lead,
            method="equal",
            parameters={"holds": {str(cast.seller.uuid): north.amount + 1}},
        )
    assert err.value.code == "hold_above_share"
    assert err.value.field == f"holds.{cast.seller.uuid}"
    north.refresh_from_db()
    assert north.status == SplitStatus.PENDING
    assert north.version == 1


def test_submit_that_does_not_sum_is_refused_and_nothing_written(cast, fy) -> None:
    found = _open(cast, fy)
    north = _split(found, cast.team)
    amounts = {str(cast.seller.uuid): north.amount // 2, str(cast.lead.uuid): 1}
    with pytest.raises(DomainError) as err:
        dl.save_split(split=north, actor=cast.lead, method="manual", amounts=amounts, submit=True)
    assert err.value.code == "split_mismatch"
    north.refresh_from_db()
    assert north.amounts == {}
    assert north.status == SplitStatus.PENDING
    assert not AuditEvent.objects.filter(action__startswith="team_split").exists()
    # a draft may be incomplete
    saved = dl.save_split(split=north, actor=cast.lead, method="manual", amounts=amounts)
    assert saved.status == SplitStatus.DRAFT
    assert saved.version == 2
    assert AuditEvent.objects.filter(action="team_split.saved").count() == 1


def test_another_team_in_a_manual_split_is_refused(cast, fy) -> None:
    found = _open(cast, fy)
    north = _split(found, cast.team)
    with pytest.raises(DomainError) as err:
        dl.save_split(
            split=north,
            actor=cast.lead,
            method="manual",
            amounts={str(cast.other_seller.uuid): north.amount},
        )
    assert err.value.code == "unknown_seller"


def test_two_leads_saving_the_same_split_second_is_stale(cast, fy) -> None:
    found = _open(cast, fy)
    north = _split(found, cast.team)
    dl.save_split(split=north, actor=cast.lead, method="equal", version=1)
    with pytest.raises(StaleVersion):
        dl.save_split(split=north, actor=cast.lead, method="history", version=1)
    north.refresh_from_db()
    assert north.method == "equal"


def test_closed_window_refuses_the_lead_but_the_executive_takes_over(cast, fy) -> None:
    found = _open(cast, fy)
    north = _split(found, cast.team)
    later = found.closes_on + datetime.timedelta(days=1)
    with pytest.raises(DomainError) as err:
        dl.save_split(split=north, actor=cast.lead, method="equal", today=later)
    assert err.value.code == "window_closed"
    assert dl.late(north, today=later)
    taken = dl.save_split(
        split=north, actor=cast.executive, method="equal", submit=True, today=later
    )
    assert taken.taken_over
    assert taken.status == SplitStatus.SUBMITTED


def _with_sub_team(cast: Cast) -> tuple[Any, Any, Any]:
    east = create_unit(workspace=cast.workspace, actor=None, name="North-East", parent=cast.team)
    east_lead = _member(cast.workspace, "elle@acme.example", "Elle East", {"lead", "seller"}, east)
    update_unit(unit=east, actor=None, lead=east_lead)
    east_seller = _member(cast.workspace, "ed@acme.example", "Ed East", {"seller"}, east)
    return east, east_lead, east_seller


def test_sub_teams_split_in_turn_and_the_run_takes_every_split(cast, fy) -> None:
    east, east_lead, east_seller = _with_sub_team(cast)
    found = _open(cast, fy)
    run = found.run
    total_before = CascadeShare.objects.filter(run=run).aggregate(t=Sum("amount"))["t"]
    north_cells_before = sorted(
        UnitShare.objects.filter(run=run, unit=cast.team).values_list(
            "channel_id", "month", "amount"
        )
    )
    north = _split(found, cast.team)
    east_split = _split(found, east)
    assert east_split.parent_id == north.pk
    assert east_split.status == SplitStatus.WAITING
    # the lead of the sub-team cannot split before the team above
    with pytest.raises(DomainError) as err:
        dl.save_split(split=east_split, actor=east_lead, method="equal")
    assert err.value.code == "waiting"
    # North's lead: the seller held, the rest by hand to the lead and the sub-team
    held = 150_000_00
    to_east = 200_000_00
    dl.save_split(
        split=north,
        actor=cast.lead,
        method="manual",
        amounts={
            str(cast.seller.uuid): held,
            str(east.uuid): to_east,
            str(cast.lead.uuid): north.amount - held - to_east,
        },
        submit=True,
    )
    east_split.refresh_from_db()
    assert east_split.amount == to_east
    assert east_split.status == SplitStatus.PENDING
    dl.save_split(
        split=east_split,
        actor=east_lead,
        method="equal",
        parameters={"holds": {str(east_seller.uuid): 50_000_00}},
        submit=True,
    )
    south = _split(found, cast.other_team)
    dl.save_split(split=south, actor=cast.executive, method="equal", submit=True)
    found.refresh_from_db()
    assert found.status == Delegation.Status.APPLIED
    amounts = dict(
        CascadeShare.objects.filter(run=run)
        .values_list("seller_id")
        .annotate(t=Sum("amount"))
        .values_list("seller_id", "t")
    )
    assert amounts[cast.seller.pk] == held
    assert amounts[east_seller.pk] == 50_000_00
    assert amounts[east_lead.pk] == to_east - 50_000_00
    assert sum(amounts.values()) == total_before
    # the team above keeps its cells exactly; the sub-team's rollup is its sellers' sum
    assert (
        sorted(
            UnitShare.objects.filter(run=run, unit=cast.team).values_list(
                "channel_id", "month", "amount"
            )
        )
        == north_cells_before
    )
    assert UnitShare.objects.filter(run=run, unit=east).aggregate(t=Sum("amount"))["t"] == to_east
    expl = SellerExplanation.objects.get(run=run, seller=east_seller)
    assert expl.amount == 50_000_00
    assert sum(expl.data["months"]) == 50_000_00
    levels = expl.data["levels"]
    assert [lv["by"] for lv in levels] == ["company", "lead", "lead"]
    assert levels[1]["to"] == "North-East"
    assert levels[1]["amount"] == to_east
    assert levels[2]["held"] is True
    assert AuditEvent.objects.filter(action="delegation.applied").count() == 1
    with pytest.raises(DomainError):
        dl.save_split(split=north, actor=cast.executive, method="equal")


def test_lock_keeps_the_cascade_and_accept_all_applies(cast, fy) -> None:
    found = _open(cast, fy)
    north = _split(found, cast.team)
    south = _split(found, cast.other_team)
    before = dict(
        SellerExplanation.objects.filter(run=found.run).values_list("seller_id", "amount")
    )
    dl.save_split(split=north, actor=cast.lead, method="equal", submit=True)
    locked = dl.lock_split(split=south, actor=cast.executive)
    assert locked.status == SplitStatus.LOCKED
    assert locked.amounts == {str(cast.other_seller.uuid): before[cast.other_seller.pk]}
    found.refresh_from_db()
    assert found.status == Delegation.Status.APPLIED  # submitted + locked: every team done


def test_accept_all_marks_submitted_splits_accepted(cast, fy) -> None:
    found = _open(cast, fy)
    north = _split(found, cast.team)
    dl.save_split(split=north, actor=cast.lead, method="equal", submit=True)
    assert dl.accept_all(delegation=found, actor=cast.executive) == 1
    north.refresh_from_db()
    assert north.status == SplitStatus.ACCEPTED
    with pytest.raises(DomainError) as err:
        dl.save_split(split=north, actor=cast.lead, method="equal")
    assert err.value.code == "locked"


# ------------------------------------------------------------------------------------------
# pages


def test_lead_split_page_preview_and_submit(cast, fy, login) -> None:
    found = _open(cast, fy)
    north = _split(found, cast.team)
    client = login(cast.lead)
    url = f"/targets/splits/{north.uuid}/"
    page = client.get(url)
    assert page.status_code == 200
    assert cast.seller.name in page.content.decode()
    hold_key = f"hold_{cast.seller.uuid}"
    preview = client.post(
        f"/targets/splits/{north.uuid}/preview/",
        {"method": "equal", hold_key: "1,234.50"},
        HTTP_HX_REQUEST="true",
    )
    assert preview.status_code == 200
    assert 'data-exact="1"' in preview.content.decode()
    bad = client.post(
        f"/targets/splits/{north.uuid}/preview/", {"method": "equal", hold_key: "12,3,4"}
    )
    assert "Sam Seller" in bad.content.decode()
    assert "split-error" in bad.content.decode()
    done = client.post(
        url, {"method": "equal", hold_key: "1,234.50", "action": "submit", "version": "1"}
    )
    assert done.status_code == 302
    north.refresh_from_db()
    assert north.status == SplitStatus.SUBMITTED
    assert north.amounts[str(cast.seller.uuid)] == 1_234_50
    stale = client.post(url, {"method": "equal", "action": "save", "version": "1"})
    assert stale.status_code == 412


def test_lead_cannot_open_another_teams_split(cast, fy, login, api_client) -> None:
    found = _open(cast, fy)
    south = _split(found, cast.other_team)
    client = login(cast.lead)
    assert client.get(f"/targets/splits/{south.uuid}/").status_code == 404
    assert client.post(f"/targets/splits/{south.uuid}/preview/", {}).status_code == 404
    api = api_client(cast.lead)
    assert api.get(f"/api/v1/targets/splits/{south.uuid}").status_code == 404
    assert _json(api, "PUT", f"/api/v1/targets/splits/{south.uuid}", {}).status_code == 404
    assert login(cast.seller).get(f"/targets/splits/{south.uuid}/").status_code == 404


def test_delegation_page_shows_done_and_late(cast, fy, login) -> None:
    run = _publish(cast, fy)
    client = login(cast.executive)
    page = client.get(f"/targets/runs/{run.uuid}/delegation/")
    assert page.status_code == 200
    assert "open-delegation" in page.content.decode()
    today = timezone.localdate()
    opened = client.post(
        f"/targets/runs/{run.uuid}/delegation/",
        {"opens_on": today.isoformat(), "closes_on": today.isoformat()},
    )
    assert opened.status_code == 302
    found = Delegation.objects.get(run=run)
    dl.save_split(split=_split(found, cast.team), actor=cast.lead, method="equal", submit=True)
    page = client.get(f"/targets/runs/{run.uuid}/delegation/")
    text = page.content.decode()
    assert 'data-state="done"' in text
    assert 'data-state="pending"' in text
    assert client.post(f"/targets/runs/{run.uuid}/delegation/accept/").status_code == 302
    assert _split(found, cast.team).status == SplitStatus.ACCEPTED


def test_seller_sees_both_levels(cast, fy, login) -> None:
    found = _open(cast, fy)
    north = _split(found, cast.team)
    dl.save_split(
        split=north,
        actor=cast.lead,
        method="equal",
        parameters={"holds": {str(cast.seller.uuid): 300_000_00}},
        submit=True,
    )
    dl.lock_split(split=_split(found, cast.other_team), actor=cast.executive)
    client = login(cast.seller)
    page = client.get(f"/targets/sellers/{cast.seller.uuid}/?year=FY{fy}")
    text = page.content.decode()
    assert "The company gave your team North" in text
    assert "Lea Lead, lead of North, gave you €300,000, by the method" in text
    client.post("/account/language/", {"language": "fr"})
    page = client.get(
        f"/targets/sellers/{cast.seller.uuid}/?year=FY{fy}", HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert page.status_code == 200


# ------------------------------------------------------------------------------------------
# API


def test_api_open_preview_save_submit_with_if_match(cast, fy, api_client) -> None:
    run = _publish(cast, fy)
    today = timezone.localdate().isoformat()
    executive = api_client(cast.executive)
    r = _json(
        executive,
        "POST",
        f"/api/v1/targets/runs/{run.uuid}/delegation",
        {"opens_on": today, "closes_on": today},
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["pending"] == 2
    north = next(s for s in body["splits"] if s["team_name"] == "North")
    lead = api_client(cast.lead)
    assert [s["uuid"] for s in lead.get("/api/v1/targets/splits").json()["items"]] == [
        north["uuid"]
    ]
    url = f"/api/v1/targets/splits/{north['uuid']}"
    r = _json(
        lead,
        "POST",
        url + "/preview",
        {"method": "equal", "holds": {str(cast.seller.uuid): "1,000.00"}},
    )
    assert r.status_code == 200
    assert r.json()["exact"]
    r = _json(
        lead,
        "PUT",
        url,
        {"method": "manual", "amounts": {str(cast.seller.uuid): 5}, "submit": True},
    )
    assert r.status_code == 400
    assert r.json()["code"] == "split_mismatch"
    r = _json(lead, "PUT", url, {"method": "equal"}, HTTP_IF_MATCH='"1"')
    assert r.status_code == 200
    assert r.json()["version"] == 2
    r = _json(lead, "PUT", url, {"method": "equal", "submit": True}, HTTP_IF_MATCH='"1"')
    assert r.status_code == 412
    r = _json(lead, "PUT", url, {"method": "equal", "submit": True, "version": 2})
    assert r.status_code == 200
    assert r.json()["status"] == "submitted"
    r = _json(executive, "POST", f"/api/v1/targets/runs/{run.uuid}/delegation/accept")
    assert r.status_code == 200
    assert r.json()["done"] == 1
    r = executive.get(f"/api/v1/targets/runs/{run.uuid}/delegation")
    assert r.status_code == 200
    assert (
        _json(lead, "POST", f"/api/v1/targets/runs/{run.uuid}/delegation/accept").status_code == 403
    )


def test_sub_team_split_only_through_its_own_lead(cast, fy, login) -> None:
    east, east_lead, _east_seller = _with_sub_team(cast)
    found = _open(cast, fy)
    east_split = _split(found, east)
    north = _split(found, cast.team)
    assert login(cast.lead).get(f"/targets/splits/{east_split.uuid}/").status_code == 404
    assert login(east_lead).get(f"/targets/splits/{north.uuid}/").status_code == 404
    assert login(east_lead).get(f"/targets/splits/{east_split.uuid}/").status_code == 200
