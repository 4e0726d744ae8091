"""A second pending request of the same kind about the same subject is refused: a clear,
located message on the page and in the API, and a constraint under races."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from pacte.errors import DomainError
from pacte.objectives import field_requests as fr
from pacte.objectives.models import FieldRequest
from pacte.objectives.tests.test_field_requests import _sale
from pacte.testing.cast import Cast


def _day() -> datetime.date:
    return datetime.date.today() + datetime.timedelta(days=3)


def test_a_second_pending_move_is_refused(cast: Cast) -> None:
    fr.ask_move(actor=cast.seller, unit=cast.other_team, effective=_day())
    with pytest.raises(DomainError) as e:
        fr.ask_move(actor=cast.seller, unit=cast.other_team, effective=_day())
    assert (e.value.code, e.value.field) == ("already_pending", "unit")
    assert "team move" in e.value.message
    assert FieldRequest.objects.count() == 1


def test_a_second_dispute_of_the_same_sale_is_refused_another_sale_is_not(cast: Cast) -> None:
    sale = _sale(cast, 1_000_00, (cast.other_seller, "split", 10_000))
    other = _sale(cast, 2_000_00, (cast.other_seller, "split", 10_000))
    fr.dispute_credit(actor=cast.seller, sale=sale, credit_kind="split", share_bp=1_000, reason="a")
    with pytest.raises(DomainError) as e:
        fr.dispute_credit(
            actor=cast.seller, sale=sale, credit_kind="overlay", share_bp=1_000, reason="b"
        )
    assert (e.value.code, e.value.field) == ("already_pending", "sale")
    fr.dispute_credit(
        actor=cast.seller, sale=other, credit_kind="split", share_bp=1_000, reason="c"
    )
    assert FieldRequest.objects.count() == 2


def test_the_database_keeps_one_pending_request_of_a_kind(cast: Cast) -> None:
    req = fr.ask_move(actor=cast.seller, unit=cast.other_team, effective=_day())
    with pytest.raises(IntegrityError), transaction.atomic():
        FieldRequest.objects.create(
            workspace=cast.workspace, seller=cast.seller, kind="move", unit=cast.team
        )
    req.status = "refused"
    req.save()
    fr.ask_move(actor=cast.seller, unit=cast.other_team, effective=_day())  # decided: a new one


def test_a_race_past_the_check_is_refused_with_the_same_message(cast: Cast, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    fr.ask_move(actor=cast.seller, unit=cast.other_team, effective=_day())
    monkeypatch.setattr(fr, "_pending_exists", lambda *a, **k: None)
    with pytest.raises(DomainError) as e:
        fr.ask_move(actor=cast.seller, unit=cast.other_team, effective=_day())
    assert e.value.code == "already_pending"
    assert FieldRequest.objects.count() == 1


def test_page_and_api_say_so(cast: Cast, login: Any) -> None:
    fr.ask_move(actor=cast.seller, unit=cast.other_team, effective=_day())
    page = login(cast.seller).post(
        "/objectives/requests/new/",
        {"kind": "move", "unit": str(cast.other_team.uuid), "effective": _day().isoformat()},
    )
    assert page.status_code == 400
    assert "already have a team move waiting" in page.content.decode()
    api = Client().post(
        "/api/v1/objectives/requests",
        data=json.dumps(
            {"kind": "move", "unit": str(cast.other_team.uuid), "effective": _day().isoformat()}
        ),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {cast.token(cast.seller)}",
    )
    assert api.status_code == 400
    assert api.json()["code"] == "already_pending"
    assert FieldRequest.objects.count() == 1
