"""Delayering proposals end to end: propose, edit, save, compare, apply from a date, discard."""

from __future__ import annotations

import datetime
import json

import pytest
from django.test import Client

from pacte.audit.models import AuditEvent
from pacte.org import services, structure
from pacte.org.models import Placement, ProposalDraft, ProposalStatus, Unit

pytestmark = pytest.mark.django_db


def call(token, method, path, body=None):
    return Client().generic(
        method,
        f"/api/v1{path}",
        data=b"" if body is None else json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


@pytest.fixture
def deep(cast):
    """Acme (Eve) > North (Lea) > Deep (Dan, two sellers): the sellers of Deep are 3 deep."""
    services.update_unit(unit=cast.company, actor=None, lead=cast.executive)
    deep_team = services.create_unit(
        workspace=cast.workspace, actor=None, name="Deep", parent=cast.team
    )
    dan = services.create_member(
        workspace=cast.workspace,
        actor=None,
        email="dan@acme.example",
        name="Dan Deep",
        roles={"lead"},
        unit=deep_team,
        joined_on=datetime.date(2020, 1, 1),
    )
    services.update_unit(unit=deep_team, actor=None, lead=dan)
    for n in range(2):
        services.create_member(
            workspace=cast.workspace,
            actor=None,
            email=f"d{n}@acme.example",
            name=f"Deep Seller {n}",
            roles={"seller"},
            unit=deep_team,
            joined_on=datetime.date(2020, 1, 1),
        )
    return deep_team


SHAPE = {"max_layers": 2, "span_min": 1, "span_max": 20}


def test_preview_explains_moves_and_reaches_the_shape(cast, deep):
    token = cast.token(cast.executive)
    data = call(token, "POST", "/org/proposals/preview", SHAPE).json()
    assert data["before"]["layers"]["max"] == 3
    assert data["reached"] is True
    assert data["after"]["layers"]["max"] <= 2
    assert data["moves"]
    assert all(m["action"] and m["why"] for m in data["moves"])


def test_unreachable_shape_says_what_blocks(cast, deep):
    token = cast.token(cast.executive)
    data = call(
        token, "POST", "/org/proposals/preview", {"max_layers": 1, "span_min": 0, "span_max": 2}
    ).json()
    assert data["reached"] is False
    assert "capacity" in data["blocking_codes"] if "blocking_codes" in data else data["blocking"]
    assert any("cannot fit" in b for b in data["blocking"])


def test_save_edit_compare_apply(cast, deep):
    token = cast.token(cast.executive)
    created = call(token, "POST", "/org/proposals", {**SHAPE, "name": "Flat"})
    assert created.status_code == 201, created.content
    flat = created.json()
    empty = call(token, "POST", "/org/proposals", {**SHAPE, "name": "Nothing", "moves": []}).json()
    compare = call(token, "GET", f"/org/proposals/compare?a={flat['uuid']}&b={empty['uuid']}")
    assert compare.json()["a"]["after"]["layers"]["max"] == 2
    assert compare.json()["b"]["after"]["layers"]["max"] == 3
    # edit: keep the moves, add a manual reattach of Olga into North
    moves = [
        {k: m[k] for k in ("kind", "person", "unit", "target", "explanation")}
        for m in flat["moves"]
    ]
    moves.append(
        {"kind": "reattach", "person": str(cast.other_seller.uuid), "target": str(cast.team.uuid)}
    )
    edited = call(
        token,
        "PATCH",
        f"/org/proposals/{flat['uuid']}",
        {"moves": moves, "version": flat["version"]},
    )
    assert edited.status_code == 200, edited.content
    assert edited.json()["moves"][-1]["why"] == "Added by hand."
    stale = call(
        token, "PATCH", f"/org/proposals/{flat['uuid']}", {"moves": [], "version": flat["version"]}
    )
    assert stale.status_code == 412
    effective = datetime.date.today() + datetime.timedelta(days=30)
    applied = call(
        token,
        "POST",
        f"/org/proposals/{flat['uuid']}/apply",
        {"effective": effective.isoformat(), "version": edited.json()["version"]},
    )
    assert applied.status_code == 200, applied.content
    assert applied.json()["status"] == "applied"
    # the organisation changes from the date on, not before
    after = structure.metrics_of(
        structure.snapshot(cast.workspace, effective), structure.shape_settings(cast.workspace)
    )
    before = structure.metrics_of(
        structure.snapshot(cast.workspace, effective - datetime.timedelta(days=1)),
        structure.shape_settings(cast.workspace),
    )
    assert (before["layers"]["max"], after["layers"]["max"]) == (3, 2)
    olga = Placement.objects.on(effective).get(membership=cast.other_seller)
    assert olga.unit_id == cast.team.pk
    assert AuditEvent.objects.filter(action="proposal.applied").count() == 1
    assert AuditEvent.objects.filter(
        action__in=["unit.updated", "unit.moved", "member.moved"]
    ).exists()
    again = call(
        token, "POST", f"/org/proposals/{flat['uuid']}/apply", {"effective": effective.isoformat()}
    )
    assert again.json()["code"] == "proposal_closed"


def test_apply_is_all_or_nothing(cast, deep):
    token = cast.token(cast.executive)
    flat = call(token, "POST", "/org/proposals", {**SHAPE, "name": "Flat"}).json()
    before_links = list(Unit.objects.values_list("pk", "parent_id", "lead_id"))
    events = AuditEvent.objects.count()
    # dated before the people joined: refused, nothing changed
    response = call(
        token, "POST", f"/org/proposals/{flat['uuid']}/apply", {"effective": "2019-06-01"}
    )
    assert response.status_code == 400
    assert list(Unit.objects.values_list("pk", "parent_id", "lead_id")) == before_links
    assert AuditEvent.objects.count() == events
    assert ProposalDraft.objects.get(uuid=flat["uuid"]).status == ProposalStatus.DRAFT


def test_discard(cast, deep):
    token = cast.token(cast.executive)
    flat = call(token, "POST", "/org/proposals", {**SHAPE, "name": "Flat"}).json()
    assert (
        call(token, "POST", f"/org/proposals/{flat['uuid']}/discard").json()["status"]
        == "discarded"
    )


def test_stale_move_refused(cast, deep):
    token = cast.token(cast.executive)
    bad = [
        {
            "kind": "reattach",
            "person": "00000000-0000-0000-0000-000000000001",
            "target": str(cast.team.uuid),
        }
    ]
    response = call(token, "POST", "/org/proposals", {**SHAPE, "name": "Bad", "moves": bad})
    assert response.json()["code"] == "stale_proposal"


def test_proposal_pages(cast, deep, login):
    client = login(cast.executive)
    response = client.post(
        "/org/proposals/", {**SHAPE, "name": "Page draft", "on": datetime.date.today().isoformat()}
    )
    assert response.status_code == 302
    draft = ProposalDraft.objects.get(name="Page draft")
    page = client.get(f"/org/proposals/{draft.uuid}/").content.decode()
    assert "These moves reach the target shape." in page
    n = len(draft.moves)
    client.post(
        f"/org/proposals/{draft.uuid}/", {"action": "remove", "index": 0, "version": draft.version}
    )
    draft.refresh_from_db()
    assert len(draft.moves) == n - 1
    other = ProposalDraft.objects.create(
        workspace=cast.workspace, name="Other", based_on=draft.based_on, moves=[], **SHAPE
    )
    compare = client.get(f"/org/proposals/compare/?a={draft.uuid}&b={other.uuid}")
    assert compare.status_code == 200
