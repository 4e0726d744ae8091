"""Access registry entries of the targets pages and API (see pacte/testing/access.py)."""

from __future__ import annotations

from typing import Any

from pacte.testing.access import ADMIN, Route, register_api, register_pages
from pacte.testing.cast import Cast


def _run(c: Cast) -> Any:
    from pacte.planning import runs, services
    from pacte.testing.cast import next_fiscal_year

    fy = next_fiscal_year(c)
    services.set_company_target(workspace=c.workspace, actor=None, fiscal_year=fy, amount=1000_00)
    return runs.create_run(workspace=c.workspace, actor=None, fiscal_year=fy, parameters={})


def run_obj(c: Cast) -> dict[str, Any]:
    return {"uuid": _run(c).uuid}


def api_run(c: Cast) -> dict[str, Any]:
    return {"run_id": _run(c).uuid}


def api_pair(c: Cast) -> dict[str, Any]:
    run = _run(c)
    return {"run_id": run.uuid, "other_id": run.uuid}


def api_explain(c: Cast) -> dict[str, Any]:
    return {"run_id": _run(c).uuid, "member_id": c.other_seller.uuid}


def other_seller(c: Cast) -> dict[str, Any]:
    return {"uuid": c.other_seller.uuid}


def _year_body(c: Cast) -> dict[str, Any]:
    from pacte.testing.cast import next_fiscal_year

    return {"year": f"FY{next_fiscal_year(c)}"}


register_pages(
    {
        "planning:index": Route("member"),
        "planning:target_set": Route(ADMIN),
        "planning:editor": Route(ADMIN),
        "planning:preview": Route(ADMIN),
        "planning:potential_import": Route(ADMIN),
        "planning:compare": Route(ADMIN),
        "planning:run": Route(ADMIN, obj=run_obj),
        "planning:publish": Route(ADMIN, obj=run_obj),
        "planning:rerun": Route(ADMIN, obj=run_obj),
        # the seller, their lead, executives and admins; others only with the leaderboard on
        "planning:seller": Route("member", obj=other_seller),
        "planning:moves": Route(ADMIN),
        "planning:move_policy": Route(ADMIN),
        "planning:move_assign": Route(ADMIN),
    }
)

register_api(
    {
        ("GET", "/api/v1/targets/calendar"): Route("member"),
        ("GET", "/api/v1/targets/company-target"): Route("member"),
        ("PUT", "/api/v1/targets/company-target"): Route(
            ADMIN, body=lambda c: {**_year_body(c), "amount": 100}
        ),
        ("POST", "/api/v1/targets/preview"): Route(ADMIN, body=_year_body),
        ("GET", "/api/v1/targets/runs"): Route(ADMIN),
        ("POST", "/api/v1/targets/runs"): Route(ADMIN, body=_year_body),
        ("GET", "/api/v1/targets/runs/{run_id}/compare/{other_id}"): Route(ADMIN, obj=api_pair),
        ("GET", "/api/v1/targets/shares"): Route("member"),
        ("POST", "/api/v1/targets/potential/import"): Route(ADMIN, files=True),
        ("PUT", "/api/v1/targets/capacity/{member_id}"): Route(
            ADMIN, obj=lambda c: {"member_id": c.other_seller.uuid}, body=lambda c: {"fte": 1}
        ),
        ("GET", "/api/v1/targets/runs/{run_id}"): Route(ADMIN, obj=api_run),
        ("POST", "/api/v1/targets/runs/{run_id}/publish"): Route(ADMIN, obj=api_run),
        ("GET", "/api/v1/targets/runs/{run_id}/diff"): Route(ADMIN, obj=api_run),
        ("POST", "/api/v1/targets/runs/{run_id}/rerun"): Route(ADMIN, obj=api_run),
        ("GET", "/api/v1/targets/runs/{run_id}/explain/{member_id}"): Route(
            "member", obj=api_explain
        ),
        ("GET", "/api/v1/targets/move-policy"): Route(ADMIN),
        ("PUT", "/api/v1/targets/move-policy"): Route(
            ADMIN, body=lambda c: {"outcome": "team", "proration": "days"}
        ),
        ("GET", "/api/v1/targets/moves"): Route(ADMIN),
        ("GET", "/api/v1/targets/moves/preview"): Route(ADMIN),
        ("POST", "/api/v1/targets/moves/pool/assign"): Route(
            ADMIN, body=lambda c: {**_year_body(c), "amount": 100, "unit": str(c.team.uuid)}
        ),
    }
)


def _delegation(c: Cast) -> Any:
    import datetime

    from django.utils import timezone

    from pacte.planning import delegation, runs

    run = runs.publish_run(run=_run(c), actor=None)
    today = timezone.localdate()
    return delegation.open_delegation(
        run=run, actor=None, opens_on=today, closes_on=today + datetime.timedelta(days=7)
    )


def _other_team_split(c: Cast) -> Any:
    """A split of the team the cast's lead does not lead: hidden from them and from sellers."""
    from pacte.planning.models import TeamSplit

    return TeamSplit.objects.get(delegation=_delegation(c), unit=c.other_team)


def split_obj(c: Cast) -> dict[str, Any]:
    return {"uuid": _other_team_split(c).uuid}


def api_split(c: Cast) -> dict[str, Any]:
    return {"split_id": _other_team_split(c).uuid}


def delegation_run(c: Cast) -> dict[str, Any]:
    return {"uuid": _delegation(c).run.uuid}


def api_delegation_run(c: Cast) -> dict[str, Any]:
    return {"run_id": _delegation(c).run.uuid}


def published_run(c: Cast) -> dict[str, Any]:
    from pacte.planning import runs

    return {"run_id": runs.publish_run(run=_run(c), actor=None).uuid}


HIDDEN = {"refused": 404}

register_pages(
    {
        "planning:delegation": Route(ADMIN, obj=delegation_run),
        "planning:delegation_accept": Route(ADMIN, obj=delegation_run),
        # the lead of the team (only their own teams), executives and admins; others 404
        "planning:splits": Route("member"),
        "planning:split": Route(ADMIN, obj=split_obj, extra=HIDDEN),
        "planning:split_preview": Route(ADMIN, obj=split_obj, extra=HIDDEN),
        "planning:split_lock": Route(ADMIN, obj=split_obj, extra=HIDDEN),
    }
)

register_api(
    {
        ("POST", "/api/v1/targets/runs/{run_id}/delegation"): Route(
            ADMIN,
            obj=published_run,
            body=lambda c: {"opens_on": "2020-01-01", "closes_on": "2020-01-02"},
        ),
        ("GET", "/api/v1/targets/runs/{run_id}/delegation"): Route(ADMIN, obj=api_delegation_run),
        ("POST", "/api/v1/targets/runs/{run_id}/delegation/accept"): Route(
            ADMIN, obj=api_delegation_run
        ),
        ("GET", "/api/v1/targets/splits"): Route("member"),
        ("GET", "/api/v1/targets/splits/{split_id}"): Route(ADMIN, obj=api_split, extra=HIDDEN),
        ("POST", "/api/v1/targets/splits/{split_id}/preview"): Route(
            ADMIN, obj=api_split, body=lambda c: {"method": "equal"}, extra=HIDDEN
        ),
        ("PUT", "/api/v1/targets/splits/{split_id}"): Route(
            ADMIN, obj=api_split, body=lambda c: {"method": "equal"}, extra=HIDDEN
        ),
        ("POST", "/api/v1/targets/splits/{split_id}/lock"): Route(
            ADMIN, obj=api_split, extra=HIDDEN
        ),
    }
)
