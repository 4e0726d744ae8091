"""Access registry entries of the organisation structure pages and API."""

from __future__ import annotations

import datetime
from typing import Any

from pacte.testing.access import Route, register_api, register_pages
from pacte.testing.cast import Cast

ADMIN = ("admin", "executive")
ANALYSTS = ("admin", "executive", "lead")


def _deputy(c: Cast) -> Any:
    from pacte.org.models import Deputy

    return Deputy.objects.create(
        workspace=c.workspace,
        principal=c.lead,
        deputy=c.other_seller,
        starts_on=datetime.date(2024, 1, 1),
        ends_on=datetime.date(2024, 1, 31),
    )


def _draft(c: Cast) -> Any:
    from pacte.org.models import ProposalDraft

    return ProposalDraft.objects.create(
        workspace=c.workspace,
        name="probe",
        max_layers=2,
        span_min=1,
        span_max=10,
        based_on=datetime.date.today(),
        moves=[],
    )


def deputy(c: Cast) -> dict[str, Any]:
    return {"uuid": _deputy(c).uuid}


def draft(c: Cast) -> dict[str, Any]:
    return {"uuid": _draft(c).uuid}


def person(c: Cast) -> dict[str, Any]:
    return {"uuid": c.other_seller.uuid}


def lead_person(c: Cast) -> dict[str, Any]:
    return {"uuid": c.lead.uuid}


register_pages(
    {
        "org:chart": Route(ANALYSTS),
        "org:structure": Route(ANALYSTS),
        "org:shape_settings": Route(ADMIN),
        "org:delegation": Route(ANALYSTS),
        "org:deputy_add": Route(ANALYSTS, obj=lead_person),
        "org:deputy_remove": Route(ANALYSTS, obj=deputy),
        "org:proposals": Route(ADMIN),
        "org:proposal_compare": Route(ADMIN),
        "org:proposal": Route(ADMIN, obj=draft),
    }
)

SHAPE = {"max_layers": 2, "span_min": 1, "span_max": 10}

register_api(
    {
        ("GET", "/api/v1/org/chart"): Route(ANALYSTS),
        ("GET", "/api/v1/org/chart/search"): Route(ANALYSTS),
        ("GET", "/api/v1/org/structure"): Route(ANALYSTS),
        ("GET", "/api/v1/org/structure/trend"): Route(ANALYSTS),
        ("GET", "/api/v1/org/settings"): Route("member"),
        ("PUT", "/api/v1/org/settings"): Route(ADMIN, body=lambda c: SHAPE),
        ("GET", "/api/v1/units/{unit_id}/history"): Route(
            "member", obj=lambda c: {"unit_id": c.other_team.uuid}
        ),
        ("GET", "/api/v1/members/{member_id}/chain"): Route(
            "member", obj=lambda c: {"member_id": c.other_seller.uuid}
        ),
        ("GET", "/api/v1/members/{member_id}/handler"): Route(
            "member", obj=lambda c: {"member_id": c.other_seller.uuid}
        ),
        ("GET", "/api/v1/org/delegation"): Route(ANALYSTS),
        ("GET", "/api/v1/org/deputies"): Route("member"),
        ("POST", "/api/v1/org/deputies"): Route(
            ANALYSTS,
            body=lambda c: {
                "principal": str(c.lead.uuid),
                "deputy": str(c.other_seller.uuid),
                "starts_on": "2024-01-01",
            },
        ),
        ("DELETE", "/api/v1/org/deputies/{deputy_id}"): Route(
            ANALYSTS, obj=lambda c: {"deputy_id": _deputy(c).uuid}
        ),
        ("POST", "/api/v1/org/proposals/preview"): Route(ADMIN, body=lambda c: SHAPE),
        ("GET", "/api/v1/org/proposals/compare"): Route(ADMIN),
        ("GET", "/api/v1/org/proposals"): Route(ADMIN),
        ("POST", "/api/v1/org/proposals"): Route(ADMIN, body=lambda c: {**SHAPE, "name": "x"}),
        ("GET", "/api/v1/org/proposals/{proposal_id}"): Route(
            ADMIN, obj=lambda c: {"proposal_id": _draft(c).uuid}
        ),
        ("PATCH", "/api/v1/org/proposals/{proposal_id}"): Route(
            ADMIN,
            obj=lambda c: {"proposal_id": _draft(c).uuid},
            body=lambda c: {"moves": [], "version": 1},
        ),
        ("POST", "/api/v1/org/proposals/{proposal_id}/apply"): Route(
            ADMIN,
            obj=lambda c: {"proposal_id": _draft(c).uuid},
            body=lambda c: {"effective": "2030-01-01"},
        ),
        ("POST", "/api/v1/org/proposals/{proposal_id}/discard"): Route(
            ADMIN, obj=lambda c: {"proposal_id": _draft(c).uuid}
        ),
    }
)
