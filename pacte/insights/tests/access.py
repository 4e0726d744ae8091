"""Access registry entries of the insights pages and API (see pacte/testing/access.py)."""

from __future__ import annotations

from pacte.testing.access import ADMIN, Route, register_api, register_pages


def _seller(c):
    return {"uuid": c.other_seller.uuid}


def _team(c):
    return {"uuid": c.other_team.uuid}


register_pages(
    {
        "insights:overview": Route("member"),
        "insights:mine": Route("member"),
        # team totals are visible to every member of the workspace
        "insights:team": Route("member", obj=_team),
        # the seller, their lead, executives and admins; others only with the leaderboard on
        "insights:seller": Route("member", obj=_seller),
        "insights:what_if": Route(
            "member", obj=_seller, body=lambda c: {"amount": "100", "month": "3"}
        ),
        "insights:judgment": Route("member", obj=_seller),
        "insights:preferences": Route("member"),
        "insights:close": Route(ADMIN),
        "insights:export": Route("member"),
        "insights:report": Route("member"),
        "insights:report_pdf": Route("member"),
    }
)

register_api(
    {
        ("GET", "/api/v1/insights/summary"): Route("member"),
        ("GET", "/api/v1/insights/attainment"): Route("member"),
        ("GET", "/api/v1/insights/heatmap"): Route("member"),
        ("GET", "/api/v1/insights/ranking"): Route("member"),
        ("GET", "/api/v1/insights/report.pdf"): Route("member"),
        ("GET", "/api/v1/insights/accuracy"): Route(
            "member", extra={"query": lambda c: {"seller": str(c.other_seller.uuid)}}
        ),
        ("POST", "/api/v1/insights/what-if"): Route(
            "member", body=lambda c: {"seller": str(c.other_seller.uuid), "amount": 100, "month": 3}
        ),
        ("PUT", "/api/v1/insights/judgment"): Route("member", body=lambda c: {"committed": 100}),
        ("GET", "/api/v1/insights/closed-months"): Route("member"),
        ("POST", "/api/v1/insights/closed-months"): Route(
            ADMIN, body=lambda c: {"month": "2020-01"}
        ),
        ("DELETE", "/api/v1/insights/closed-months/{month}"): Route(
            ADMIN, obj=lambda c: {"month": "2020-01"}
        ),
        ("GET", "/api/v1/insights/settings"): Route(ADMIN),
        ("PUT", "/api/v1/insights/settings"): Route(
            ADMIN, body=lambda c: {"late_sale_policy": "refuse"}
        ),
        ("GET", "/api/v1/insights/digest-preference"): Route("member"),
        ("PUT", "/api/v1/insights/digest-preference"): Route(
            "member", body=lambda c: {"digest": True, "alerts": True}
        ),
    }
)
