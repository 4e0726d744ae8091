"""Access registry entries of the objectives pages and API (see pacte/testing/access.py)."""

from __future__ import annotations

from typing import Any

from pacte.testing.access import ADMIN, Route, register_api, register_pages
from pacte.testing.cast import Cast

ANALYSTS = ("executive", "admin", "lead")
FY = 2031


def _objective(c: Cast) -> Any:
    """The other team's seller's draft: not visible to the probing seller or the outsider."""
    from pacte.objectives import services
    from pacte.objectives.models import Objective

    existing = Objective.objects.filter(seller=c.other_seller, fiscal_year=FY).first()
    return existing or services.save_draft(seller=c.other_seller, fiscal_year=FY, amount=100_000)


def objective(c: Cast) -> dict[str, Any]:
    return {"uuid": _objective(c).uuid}


def api_objective(c: Cast) -> dict[str, Any]:
    return {"objective_id": _objective(c).uuid}


def api_key_result(c: Cast) -> dict[str, Any]:
    from pacte.objectives import services

    o = _objective(c)
    kr = services.add_key_result(
        objective=o, actor=c.other_seller, name="Visits", measure="n", target="10"
    )
    return {"objective_id": o.uuid, "key_result_id": kr.uuid}


def api_initiative(c: Cast) -> dict[str, Any]:
    from pacte.objectives import services

    o = _objective(c)
    i = services.add_initiative(objective=o, actor=c.other_seller, text="Call back lost accounts")
    return {"objective_id": o.uuid, "initiative_id": i.uuid}


def _notice(c: Cast) -> Any:
    """A notification of the other team's seller: nobody else's to read."""
    from pacte.objectives.models import Notification

    return Notification.objects.create(workspace=c.workspace, recipient=c.other_seller, kind="x")


def notice(c: Cast) -> dict[str, Any]:
    return {"uuid": _notice(c).uuid}


def api_notice(c: Cast) -> dict[str, Any]:
    return {"notification_id": _notice(c).uuid}


def _check_in(c: Cast) -> Any:
    """The other team's seller's check-in: only South's lead (there is none) may answer it."""
    from pacte.objectives import services
    from pacte.objectives.models import CheckIn

    o = _objective(c)
    return CheckIn.objects.filter(objective=o).first() or services.check_in(
        objective=o, actor=c.other_seller, confidence=5
    )


def check_in(c: Cast) -> dict[str, Any]:
    return {"uuid": _check_in(c).uuid}


def api_check_in(c: Cast) -> dict[str, Any]:
    return {"check_in_id": _check_in(c).uuid}


def _review(c: Cast) -> Any:
    """The other team's seller's review of a quarter: not visible to the probing seller or the
    outsider, answerable by nobody in the cast."""
    from pacte.objectives.models import PeriodReview

    return PeriodReview.objects.get_or_create(
        workspace=c.workspace,
        seller=c.other_seller,
        fiscal_year=2024,
        quarter=1,
        defaults={"basis": "target", "committed": 100, "actual": 40, "gap": 60},
    )[0]


def review(c: Cast) -> dict[str, Any]:
    return {"uuid": _review(c).uuid}


def api_review(c: Cast) -> dict[str, Any]:
    return {"review_id": _review(c).uuid}


def _request(c: Cast) -> Any:
    """The other team's seller's move request: not visible to the probing seller or the
    outsider (their handler is the executive)."""
    import datetime

    from pacte.objectives.models import FieldRequest

    return FieldRequest.objects.get_or_create(
        workspace=c.workspace,
        seller=c.other_seller,
        kind="move",
        defaults={
            "handler": c.executive,
            "unit": c.team,
            "effective": datetime.date(2031, 1, 1),
            "reason": "Closer to home",
        },
    )[0]


def field_request(c: Cast) -> dict[str, Any]:
    return {"uuid": _request(c).uuid}


def api_field_request(c: Cast) -> dict[str, Any]:
    return {"request_id": _request(c).uuid}


def _rule(c: Cast) -> dict[str, Any]:
    return {"fiscal_year": FY, "kind": "reserve", "amount": 100_00}


register_pages(
    {
        "objectives:index": Route("member"),
        "objectives:inbox": Route("member"),
        "objectives:notifications_read": Route("member"),
        "objectives:notification_read": Route("member", obj=notice),
        "objectives:mine": Route("member"),
        "objectives:phasing": Route("member"),
        "objectives:realism": Route("member"),
        "objectives:policy": Route(ADMIN),
        "objectives:reconciliation": Route(ANALYSTS),
        "objectives:check_ins": Route(ANALYSTS),
        "objectives:check_in_answer": Route("member", obj=check_in),
        "objectives:reviews": Route("member"),
        "objectives:review": Route("member", obj=review),
        "objectives:review_summary": Route(ADMIN),
        "objectives:review_export": Route(ADMIN),
        "objectives:review_reasons": Route(ADMIN),
        "objectives:requests": Route("member"),
        "objectives:request_new": Route("member"),
        "objectives:request_detail": Route("member", obj=field_request),
        "objectives:request_decide": Route("member", obj=field_request),
        "objectives:detail": Route("member", obj=objective),
        "objectives:decide": Route("member", obj=objective),
        "objectives:plan": Route("member", obj=objective),
    }
)

P = "/api/v1/objectives"

register_api(
    {
        ("GET", f"{P}/policy"): Route("member"),
        ("PUT", f"{P}/policy"): Route(
            ("executive",), body=lambda c: {"auto_agree": True, "tolerance_pct": "5", "version": 1}
        ),
        ("GET", f"{P}/windows"): Route("member"),
        ("PUT", f"{P}/windows"): Route(
            ("executive",),
            body=lambda c: {"fiscal_year": FY, "opens_on": "2030-10-01", "closes_on": "2030-12-31"},
        ),
        ("GET", f"{P}/reconciliation"): Route(ANALYSTS),
        ("GET", f"{P}/realism"): Route("member"),
        ("POST", f"{P}/gap-rules/preview"): Route(ANALYSTS, body=_rule),
        ("GET", f"{P}/gap-rules"): Route(ANALYSTS),
        ("POST", f"{P}/gap-rules"): Route(ANALYSTS, body=_rule),
        ("GET", f"{P}/notifications"): Route("member"),
        ("POST", f"{P}/notifications/read"): Route("member"),
        ("POST", f"{P}/notifications/{{notification_id}}/read"): Route("member", obj=api_notice),
        ("GET", f"{P}/pending"): Route("member"),
        ("GET", f"{P}/team-check-ins"): Route(ANALYSTS),
        ("GET", f"{P}/review-reasons"): Route("member"),
        ("PUT", f"{P}/review-reasons"): Route(
            ADMIN,
            body=lambda c: {
                "reasons": [{"name_en": "Pipeline slipped", "name_fr": "Pipeline décalé"}]
            },
        ),
        ("GET", f"{P}/reviews"): Route("member"),
        ("POST", f"{P}/reviews"): Route(
            "member",
            body=lambda c: {
                "fiscal_year": 2024,
                "quarter": 1,
                "reasons": ["pricing"],
                "next_change": "More calls",
            },
        ),
        ("POST", f"{P}/reviews/request"): Route(
            ADMIN, body=lambda c: {"fiscal_year": 2024, "quarter": 1}
        ),
        ("GET", f"{P}/reviews/reasons-summary"): Route(ADMIN),
        ("GET", f"{P}/reviews/{{review_id}}"): Route("member", obj=api_review),
        ("POST", f"{P}/reviews/{{review_id}}/submit"): Route(
            "member",
            obj=api_review,
            body=lambda c: {"reasons": ["pricing"], "next_change": "More calls"},
        ),
        ("POST", f"{P}/reviews/{{review_id}}/answer"): Route(
            "member", obj=api_review, body=lambda c: {"answer": "Let's talk"}
        ),
        ("POST", f"{P}/check-ins/{{check_in_id}}/seen"): Route("member", obj=api_check_in),
        ("POST", f"{P}/check-ins/{{check_in_id}}/reply"): Route(
            "member", obj=api_check_in, body=lambda c: {"reply": "Well done"}
        ),
        ("GET", f"{P}/requests"): Route("member"),
        ("POST", f"{P}/requests"): Route(
            "member",
            body=lambda c: {
                "kind": "move",
                "unit": str(c.other_team.uuid),
                "effective": "2031-01-01",
            },
        ),
        ("GET", f"{P}/requests/{{request_id}}"): Route("member", obj=api_field_request),
        ("POST", f"{P}/requests/{{request_id}}/decision"): Route(
            "member",
            obj=api_field_request,
            body=lambda c: {"accept": False, "reason": "No", "version": 1},
        ),
        ("GET", P): Route("member"),
        ("POST", f"{P}/draft"): Route("member", body=lambda c: {"fiscal_year": FY, "amount": 1}),
        ("POST", f"{P}/propose"): Route("member", body=lambda c: {"fiscal_year": FY, "amount": 1}),
        ("GET", f"{P}/{{objective_id}}"): Route("member", obj=api_objective),
        ("GET", f"{P}/{{objective_id}}/versions"): Route("member", obj=api_objective),
        ("POST", f"{P}/{{objective_id}}/decide"): Route(
            "member", obj=api_objective, body=lambda c: {"decision": "agree", "version": 1}
        ),
        ("POST", f"{P}/{{objective_id}}/counter"): Route(
            "member", obj=api_objective, body=lambda c: {"amount": 1, "reason": "x", "version": 1}
        ),
        ("POST", f"{P}/{{objective_id}}/accept"): Route(
            "member", obj=api_objective, body=lambda c: {"version": 1}
        ),
        ("GET", f"{P}/{{objective_id}}/plan"): Route("member", obj=api_objective),
        ("POST", f"{P}/{{objective_id}}/key-results"): Route(
            "member", obj=api_objective, body=lambda c: {"name": "n", "target": "1"}
        ),
        ("DELETE", f"{P}/{{objective_id}}/key-results/{{key_result_id}}"): Route(
            "member", obj=api_key_result
        ),
        ("POST", f"{P}/{{objective_id}}/initiatives"): Route(
            "member", obj=api_objective, body=lambda c: {"text": "t"}
        ),
        ("PATCH", f"{P}/{{objective_id}}/initiatives/{{initiative_id}}"): Route(
            "member", obj=api_initiative, body=lambda c: {"status": "done"}
        ),
        ("GET", f"{P}/{{objective_id}}/check-ins"): Route("member", obj=api_objective),
        ("POST", f"{P}/{{objective_id}}/check-ins"): Route(
            "member", obj=api_objective, body=lambda c: {"confidence": 5}
        ),
    }
)
