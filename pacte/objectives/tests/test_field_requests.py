"""Requests decided in one step: a seller disputes a credit or asks to move team, the handler
the delegation map names accepts or refuses with a reason; accepting re-credits the sale (cube
exact, audited) or writes a dated placement (audited); bad input is refused, nothing written."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from django.test import Client

from pacte.audit.models import AuditEvent
from pacte.errors import DomainError, PermissionDenied, StaleVersion
from pacte.objectives import field_requests as fr
from pacte.objectives.models import FieldRequest, Notification
from pacte.org.models import Placement
from pacte.sales import cube
from pacte.sales.models import Credit, Sale
from pacte.testing.cast import Cast


def _sale(cast: Cast, amount: int = 1_000_01, *credits: tuple[Any, str, int]) -> Sale:
    day = datetime.date(2024, 3, 10)
    sale = Sale.objects.create(
        workspace=cast.workspace,
        external_id=f"S-{Sale.objects.count() + 1}",
        date=day,
        month=day.year * 12 + day.month - 1,
        amount=amount,
        channel=cast.channel,
        row_hash=1,
    )
    from pacte.lib.allocation import largest_remainder

    splits = [c for c in credits if c[1] == "split"]
    sign = -1 if amount < 0 else 1
    parts = [sign * int(p) for p in largest_remainder(abs(amount), [bp for *_x, bp in splits])]
    for (member, _kind, bp), part in zip(splits, parts, strict=True):
        unit = Placement.objects.filter(membership=member).first()
        Credit.objects.create(
            workspace=cast.workspace,
            sale=sale,
            seller=member,
            unit_id=unit.unit_id,
            kind="split",
            basis_points=bp,
            amount=int(part),
        )
    cube.rebuild_cube(cast.workspace)
    return sale


def _split_of(sale: Sale) -> dict[int, tuple[int, int]]:
    return {
        c.seller_id: (c.basis_points, c.amount)
        for c in Credit.objects.filter(sale=sale, kind="split")
    }


def test_credit_dispute_accepted_recredits_exactly(cast: Cast) -> None:
    sale = _sale(cast, 1_000_01, (cast.other_seller, "split", 10_000))
    req = fr.dispute_credit(
        actor=cast.seller, sale=sale, credit_kind="split", share_bp=3_000, reason="My deal"
    )
    assert req.handler == cast.lead  # the delegation map: the seller's lead
    assert Notification.objects.filter(recipient=cast.lead, kind="request_credit").exists()
    fr.decide(request=req, actor=cast.lead, accept=True, reason="Right", version=req.version)
    split = _split_of(sale)
    assert split == {cast.seller.pk: (3_000, 300_00), cast.other_seller.pk: (7_000, 700_01)}
    assert sum(a for _bp, a in split.values()) == sale.amount
    assert cube.verify(cast.workspace) == []
    assert AuditEvent.objects.filter(action="sale.credited").count() == 1
    assert AuditEvent.objects.filter(action="request.accepted").count() == 1
    assert Notification.objects.filter(recipient=cast.seller, kind="request_accepted").exists()


def test_overlay_dispute_keeps_the_splits(cast: Cast) -> None:
    sale = _sale(cast, 500_00, (cast.other_seller, "split", 10_000))
    req = fr.dispute_credit(
        actor=cast.seller, sale=sale, credit_kind="overlay", share_bp=10_000, reason="Overlay"
    )
    fr.decide(request=req, actor=cast.lead, accept=True, reason="Yes", version=req.version)
    assert _split_of(sale) == {cast.other_seller.pk: (10_000, 500_00)}
    overlay = Credit.objects.get(sale=sale, kind="overlay")
    assert (overlay.seller_id, overlay.amount) == (cast.seller.pk, 500_00)
    assert cube.verify(cast.workspace) == []


def test_refusal_changes_nothing_but_the_request(cast: Cast) -> None:
    sale = _sale(cast, 1_000_00, (cast.seller, "split", 5_000), (cast.lead, "split", 5_000))
    req = fr.dispute_credit(
        actor=cast.seller, sale=sale, credit_kind="split", share_bp=8_000, reason="More"
    )
    fr.decide(request=req, actor=cast.lead, accept=False, reason="No", version=req.version)
    assert _split_of(sale)[cast.seller.pk] == (5_000, 500_00)
    req.refresh_from_db()
    assert (req.status, req.decision_reason) == ("refused", "No")
    assert Notification.objects.filter(recipient=cast.seller, kind="request_refused").exists()


def test_another_sellers_credit_is_refused(cast: Cast) -> None:
    sale = _sale(cast, 1_000_00, (cast.other_seller, "split", 10_000))
    with pytest.raises(DomainError) as e:
        fr.dispute_credit(
            actor=cast.seller,
            sale=sale,
            credit_kind="split",
            share_bp=5_000,
            reason="x",
            seller=cast.other_seller,
        )
    assert (e.value.code, e.value.field) == ("not_your_credit", "seller")
    assert not FieldRequest.objects.exists()


@pytest.mark.parametrize(
    ("kind", "share", "reason", "code"),
    [
        ("bogus", 5_000, "x", "credit_kind"),
        ("split", 0, "x", "share_invalid"),
        ("split", 10_001, "x", "share_invalid"),
        ("split", 5_000, "  ", "reason_required"),
    ],
)
def test_bad_dispute_input(cast: Cast, kind: str, share: int, reason: str, code: str) -> None:
    sale = _sale(cast, 1_000_00, (cast.seller, "split", 10_000))
    with pytest.raises(DomainError) as e:
        fr.dispute_credit(
            actor=cast.seller, sale=sale, credit_kind=kind, share_bp=share, reason=reason
        )
    assert e.value.code == code
    assert not FieldRequest.objects.exists()


def test_move_accepted_writes_a_dated_placement(cast: Cast) -> None:
    day = datetime.date.today() + datetime.timedelta(days=10)
    req = fr.ask_move(actor=cast.seller, unit=cast.other_team, effective=day, reason="Closer")
    assert req.handler == cast.lead
    fr.decide(request=req, actor=cast.lead, accept=True, reason="Go", version=req.version)
    placement = Placement.objects.get(membership=cast.seller, valid_to__isnull=True)
    assert (placement.unit_id, placement.valid_from) == (cast.other_team.pk, day)
    assert AuditEvent.objects.filter(action="member.moved").count() == 1


def test_move_before_joining_or_into_a_closed_month_is_refused(cast: Cast) -> None:
    from pacte.insights.models import ClosedMonth

    with pytest.raises(DomainError) as e:
        fr.ask_move(actor=cast.seller, unit=cast.other_team, effective=datetime.date(2019, 6, 1))
    assert (e.value.code, e.value.field) == ("before_joining", "effective")
    day = datetime.date(2024, 5, 15)
    ClosedMonth.objects.create(workspace=cast.workspace, month=2024 * 12 + 4)
    with pytest.raises(DomainError) as e:
        fr.ask_move(actor=cast.seller, unit=cast.other_team, effective=day)
    assert (e.value.code, e.value.field) == ("period_closed", "effective")
    assert not FieldRequest.objects.exists()


def test_only_the_handler_decides_and_stale_is_412(cast: Cast) -> None:
    day = datetime.date.today() + datetime.timedelta(days=3)
    req = fr.ask_move(actor=cast.seller, unit=cast.other_team, effective=day)
    for someone in (cast.other_seller, cast.seller):
        with pytest.raises(PermissionDenied):
            fr.decide(request=req, actor=someone, accept=True, reason="x", version=req.version)
    with pytest.raises(StaleVersion):
        fr.decide(request=req, actor=cast.lead, accept=True, reason="x", version=req.version - 1)
    assert Placement.objects.filter(membership=cast.seller).count() == 1
    req.refresh_from_db()
    assert req.status == "pending"


def test_a_seller_without_lead_goes_to_the_executive(cast: Cast) -> None:
    day = datetime.date.today() + datetime.timedelta(days=3)
    req = fr.ask_move(actor=cast.other_seller, unit=cast.team, effective=day)
    assert req.handler == cast.executive


def _api(method: str, url: str, token: str, body: dict | None = None) -> Any:
    return Client().generic(
        method,
        f"/api/v1/objectives{url}",
        data=json.dumps(body) if body is not None else b"",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_api_round_trip_and_404_for_others(cast: Cast) -> None:
    sale = _sale(cast, 1_000_00, (cast.other_seller, "split", 10_000))
    r = _api(
        "POST",
        "/requests",
        cast.token(cast.seller),
        {
            "kind": "credit",
            "sale": str(sale.uuid),
            "credit_kind": "split",
            "share_bp": 2_500,
            "reason": "Mine too",
        },
    )
    assert r.status_code == 201, r.content
    uuid, version = r.json()["uuid"], r.json()["version"]
    assert _api("GET", f"/requests/{uuid}", cast.token(cast.other_seller)).status_code == 404
    assert _api("GET", f"/requests/{uuid}", cast.token(cast.outsider)).status_code == 404
    pending = _api("GET", "/requests?pending=1", cast.token(cast.lead)).json()
    assert [p["uuid"] for p in pending["items"]] == [uuid]
    stale = _api(
        "POST",
        f"/requests/{uuid}/decision",
        cast.token(cast.lead),
        {"accept": True, "reason": "ok", "version": version + 1},
    )
    assert stale.status_code == 412
    r = _api(
        "POST",
        f"/requests/{uuid}/decision",
        cast.token(cast.lead),
        {"accept": True, "reason": "ok", "version": version},
    )
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "accepted"
    assert cube.verify(cast.workspace) == []


def test_pages_make_and_decide(cast: Cast, login: Any) -> None:
    day = datetime.date.today() + datetime.timedelta(days=5)
    seller = login(cast.seller)
    r = seller.post(
        "/objectives/requests/new/",
        {
            "kind": "move",
            "unit": str(cast.other_team.uuid),
            "effective": day.isoformat(),
            "reason": "Closer",
        },
    )
    assert r.status_code == 302, r.content
    req = FieldRequest.objects.get()
    lead = login(cast.lead)
    inbox = lead.get("/objectives/inbox/")
    assert "Sam Seller" in inbox.content.decode()
    assert str(req.uuid) in inbox.content.decode()
    assert login(cast.other_seller).get(f"/objectives/requests/{req.uuid}/").status_code == 404
    r = lead.post(
        f"/objectives/requests/{req.uuid}/decide/",
        {"decision": "accept", "reason": "Fine", "version": req.version},
    )
    assert r.status_code == 302
    req.refresh_from_db()
    assert req.status == "accepted"


def test_a_split_with_nobody_else_is_refused(cast: Cast) -> None:
    sale = _sale(cast, 1_000_00, (cast.seller, "split", 10_000))
    with pytest.raises(DomainError) as e:
        fr.dispute_credit(
            actor=cast.seller, sale=sale, credit_kind="split", share_bp=5_000, reason="x"
        )
    assert (e.value.code, e.value.field) == ("nobody_to_share", "share_bp")


def test_a_month_closed_before_the_decision_refuses_the_move(cast: Cast) -> None:
    from pacte.insights.models import ClosedMonth

    day = datetime.date.today() + datetime.timedelta(days=40)
    req = fr.ask_move(actor=cast.seller, unit=cast.other_team, effective=day)
    ClosedMonth.objects.create(workspace=cast.workspace, month=day.year * 12 + day.month - 1)
    with pytest.raises(DomainError) as e:
        fr.decide(request=req, actor=cast.lead, accept=True, reason="ok", version=req.version)
    assert e.value.code == "period_closed"
    req.refresh_from_db()
    assert req.status == "pending"
    assert Placement.objects.filter(membership=cast.seller).count() == 1
    assert not AuditEvent.objects.filter(action="member.moved").exists()


def test_page_refusals_are_located_and_stale_is_412(cast: Cast, login: Any) -> None:
    seller = login(cast.seller)
    r = seller.post(
        "/objectives/requests/new/",
        {"kind": "move", "unit": str(cast.other_team.uuid), "effective": "2019-01-01"},
    )
    assert r.status_code == 400
    assert 'id="effective-error"' in r.content.decode()
    assert not FieldRequest.objects.exists()
    day = datetime.date.today() + datetime.timedelta(days=5)
    req = fr.ask_move(actor=cast.seller, unit=cast.other_team, effective=day)
    r = login(cast.lead).post(
        f"/objectives/requests/{req.uuid}/decide/",
        {"decision": "accept", "reason": "ok", "version": req.version + 1},
    )
    assert r.status_code == 412
    r = seller.post(
        f"/objectives/requests/{req.uuid}/decide/",
        {"decision": "accept", "reason": "ok", "version": req.version},
    )
    assert r.status_code == 404  # the seller is not the handler
    req.refresh_from_db()
    assert req.status == "pending"


def test_notifications_read_in_french(cast: Cast) -> None:
    from django.utils import translation

    from pacte.objectives.services import render_notice

    day = datetime.date(2031, 2, 3)
    fr.ask_move(actor=cast.seller, unit=cast.other_team, effective=day, reason="Closer.")
    notice = Notification.objects.get(recipient=cast.lead)
    with translation.override("fr"):
        subject, body = render_notice(notice, "EUR")
    assert subject == "Sam Seller demande à changer d'équipe"
    assert "« South »" in body
    assert "2031" in body


def test_a_credit_note_is_recredited_exactly(cast: Cast) -> None:
    from pacte.sales.services import set_seller_credit

    sale = _sale(cast, -1_000_01, (cast.other_seller, "split", 6_000), (cast.lead, "split", 4_000))
    set_seller_credit(sale=sale, seller=cast.seller, kind="split", basis_points=3_333, actor=None)
    split = _split_of(sale)
    assert sum(bp for bp, _a in split.values()) == 10_000
    assert sum(a for _bp, a in split.values()) == sale.amount
    assert split[cast.other_seller.pk][0] == 4_000  # 6 667 points rescaled 60:40
    assert cube.verify(cast.workspace) == []
