"""Pages and API of moves carrying targets: the policy, the pool, the move form's preview,
"why my number" and the team's open share."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from pacte.audit.models import AuditEvent
from pacte.org import services as org
from pacte.planning import moves
from pacte.planning.models import TargetMove, TargetTransfer
from pacte.planning.tests.test_moves import MONTHLY, mid_year, published, set_policy
from pacte.testing.cast import Cast


def _api(cast: Cast, method: str, url: str, body: dict[str, Any] | None = None, who=None) -> Any:  # type: ignore[no-untyped-def]
    return Client().generic(
        method,
        f"/api/v1/targets{url}",
        data=json.dumps(body) if body is not None else b"",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {cast.token(who or cast.admin)}",
    )


def test_policy_api_round_trip_stale_and_bad_input(cast: Cast) -> None:
    got = _api(cast, "GET", "/move-policy").json()
    assert got == {"outcome": "person", "proration": "days", "version": 1}
    r = _api(cast, "PUT", "/move-policy", {"outcome": "team", "proration": "month", "version": 1})
    assert r.status_code == 200, r.content
    assert r.json()["version"] == 2
    stale = _api(
        cast, "PUT", "/move-policy", {"outcome": "pool", "proration": "days", "version": 1}
    )
    assert stale.status_code == 412
    bad = _api(cast, "PUT", "/move-policy", {"outcome": "nowhere", "proration": "days"})
    assert bad.status_code == 400
    assert bad.json()["field"] == "outcome"
    assert _api(cast, "GET", "/move-policy", who=cast.seller).status_code == 403


def test_policy_page_saves_and_is_audited(cast: Cast, login: Any) -> None:
    client = login(cast.admin)
    assert client.get("/targets/moves/").status_code == 200
    r = client.post(
        "/targets/moves/policy/", {"outcome": "pool", "proration": "phasing", "version": 1}
    )
    assert r.status_code == 302
    assert moves.policy_of(cast.workspace).outcome == "pool"
    assert AuditEvent.objects.filter(action="move_policy.updated").exists()
    r = client.post("/targets/moves/policy/", {"outcome": "x", "proration": "days", "version": 2})
    assert r.status_code == 400
    assert 'id="id_outcome-error"' in r.content.decode()


def test_pool_page_and_api_show_and_assign(cast: Cast, login: Any) -> None:
    run = published(cast)
    set_policy(cast, "pool", "phasing")
    org.move_member(
        member=cast.seller, actor=cast.admin, unit=cast.other_team, effective=mid_year(cast, 1)
    )
    listed = _api(cast, "GET", f"/moves?year=FY{run.fiscal_year}").json()
    assert listed["pool"] == 9 * MONTHLY
    assert [m["kind"] for m in listed["moves"]] == ["move"]
    page = login(cast.executive).get(f"/targets/moves/?year=FY{run.fiscal_year}")
    assert "Sam Seller" in page.content.decode()
    # more than the pool holds from this month on: a located refusal, nothing written
    lines = TargetTransfer.objects.count()
    r = _api(
        cast,
        "POST",
        "/moves/pool/assign",
        {"year": f"FY{run.fiscal_year}", "amount": 10**12, "unit": str(cast.team.uuid)},
    )
    assert r.status_code == 400
    assert r.json()["field"] == "amount"
    assert TargetTransfer.objects.count() == lines


def test_preview_api_and_move_form_preview_write_nothing(cast: Cast, login: Any) -> None:
    published(cast)
    set_policy(cast, "team")
    day = mid_year(cast, 1)
    r = _api(
        cast,
        "GET",
        f"/moves/preview?member_id={cast.seller.uuid}&unit={cast.other_team.uuid}&effective={day}",
    )
    assert r.status_code == 200, r.content
    assert r.json()["target_amount"] == 9 * MONTHLY
    page = login(cast.admin).post(
        f"/people/{cast.seller.uuid}/move/",
        {
            "unit": str(cast.other_team.uuid),
            "effective": day.isoformat(),
            "version": cast.seller.version,
            "preview": "1",
        },
    )
    assert page.status_code == 200
    assert "Saving this move carries" in page.content.decode()
    assert not TargetMove.objects.exists()


def test_why_my_number_shows_the_move_and_the_team_its_open_share(cast: Cast, login: Any) -> None:
    run = published(cast)
    set_policy(cast, "team")
    org.move_member(
        member=cast.seller, actor=cast.admin, unit=cast.other_team, effective=mid_year(cast, 1)
    )
    from pacte.planning.models import SellerExplanation

    SellerExplanation.objects.create(
        workspace=cast.workspace, run=run, seller=cast.seller, unit=cast.team, amount=12 * MONTHLY
    )
    page = login(cast.seller).get(f"/targets/sellers/{cast.seller.uuid}/")
    text = page.content.decode()
    assert "as an open share when you moved to South" in text
    team = login(cast.lead).get(f"/teams/{cast.team.uuid}/").content.decode()
    assert "Open share of the team" in team
