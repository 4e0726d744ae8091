"""Access registry entries of the pipeline pages and API (see pacte/testing/access.py).

A seller sees their own deals and calls, a lead their team's, executives and admins all:
the other team's seller's deal and call are hidden (404) from the probing seller."""

from __future__ import annotations

from typing import Any

from pacte.testing.access import ADMIN, Route, register_api, register_pages
from pacte.testing.cast import Cast

LEADS = ("lead", "admin", "executive")


def _deal(c: Cast) -> Any:
    """The other team's seller's deal: not visible to the probing seller or the outsider."""
    from pacte.pipeline.models import Deal
    from pacte.pipeline.tests.helpers import load, row

    existing = Deal.objects.for_workspace(c.workspace).filter(external_id="PROBE").first()
    if existing:
        return existing
    load(c, [row(c.other_seller, "PROBE")], source="probe")
    return Deal.objects.for_workspace(c.workspace).get(external_id="PROBE")


def deal(c: Cast) -> dict[str, Any]:
    return {"uuid": _deal(c).uuid}


def api_deal(c: Cast) -> dict[str, Any]:
    return {"deal_id": _deal(c).uuid}


def _team_call(c: Cast) -> Any:
    """South's team call: nobody in the cast leads South."""
    from django.utils import timezone

    from pacte.pipeline.models import Call, CallLevel
    from pacte.pipeline.services import week_of
    from pacte.pipeline.tests.helpers import quarter

    return Call.objects.get_or_create(
        workspace=c.workspace,
        unit=c.other_team,
        level=CallLevel.TEAM,
        period=quarter(c).key,
        week=week_of(timezone.localdate()),
        defaults={"member": c.executive, "commit": 0, "best_case": 0},
    )[0]


def api_call(c: Cast) -> dict[str, Any]:
    return {"call_id": _team_call(c).uuid}


def api_team(c: Cast) -> dict[str, Any]:
    return {"unit_id": c.other_team.uuid}


def _period(c: Cast) -> str:
    from pacte.pipeline.tests.helpers import quarter

    return str(quarter(c).key)


register_pages(
    {
        "pipeline:mine": Route("member"),
        "pipeline:team": Route(LEADS),
        "pipeline:team_adjust": Route(LEADS),
        "pipeline:company": Route(ADMIN),
        "pipeline:deals": Route("member"),
        "pipeline:deal_import": Route(ADMIN),
        "pipeline:deal_update": Route("member", obj=deal),
    }
)

P = "/api/v1/pipeline"

register_api(
    {
        ("GET", f"{P}/deals"): Route("member"),
        ("POST", f"{P}/deals/bulk"): Route(ADMIN, body=lambda c: {"deals": []}),
        ("GET", f"{P}/deals/{{deal_id}}"): Route("member", obj=api_deal),
        ("PATCH", f"{P}/deals/{{deal_id}}"): Route(
            "member", obj=api_deal, body=lambda c: {"category": "commit"}
        ),
        ("GET", f"{P}/forecast"): Route("member"),
        ("PUT", f"{P}/calls/mine"): Route(
            "member", body=lambda c: {"period": _period(c), "commit": 1, "best_case": 2}
        ),
        ("GET", f"{P}/calls"): Route("member"),
        ("GET", f"{P}/teams/{{unit_id}}/forecast"): Route(
            LEADS, obj=api_team, extra={"refused": 404}
        ),
        ("PUT", f"{P}/teams/{{unit_id}}/call"): Route(
            LEADS,
            obj=api_team,
            body=lambda c: {"period": _period(c), "adjustment": 0},
            extra={"refused": 404},
        ),
        ("POST", f"{P}/calls/{{call_id}}/submit"): Route(
            LEADS, obj=api_call, body=lambda c: {}, extra={"refused": 404}
        ),
        ("GET", f"{P}/company"): Route(ADMIN),
        ("GET", f"{P}/accuracy"): Route("member"),
        ("GET", f"{P}/stage-rules"): Route("member"),
        ("PUT", f"{P}/stage-rules"): Route(
            ADMIN, body=lambda c: {"rules": {"Prospecting": ["pipeline"]}}
        ),
    }
)
