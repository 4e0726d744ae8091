"""Access rules of the partner pages and API (read by pacte/tests/test_access.py). The
partner role itself is walked by ``test_partner_walker.py``."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from pacte.testing.access import ADMIN, Route, register_api, register_pages
from pacte.testing.cast import Cast


def partner(c: Cast) -> dict[str, Any]:
    from pacte.partners.tests.helpers import make_partner

    return {"uuid": make_partner(c).uuid}


def api_partner(c: Cast) -> dict[str, Any]:
    return {"partner_id": partner(c)["uuid"]}


HIDDEN = {"refused": 404}  # a seller does not see a partner they do not manage

register_pages(
    {
        "partners:list": Route("member"),
        "partners:create": Route(ADMIN),
        "partners:figures": Route("member"),
        "partners:detail": Route("member", obj=partner),
        "partners:edit": Route(ADMIN, obj=partner),
        "partners:person_add": Route("member", obj=partner),
        "partner:home": Route("member"),
        "partner:propose": Route("member"),
        "partner:check_in": Route("member"),
        "partner:key_result_add": Route("member"),
        "partner:key_result_delete": Route("member", obj=lambda c: {"uuid": uuid4()}),
        "partner:notifications_read": Route("member"),
        "partner:review": Route("member", obj=lambda c: {"uuid": uuid4()}),
    }
)


def _partner_body(c: Cast) -> dict[str, Any]:
    from pacte.partners.tests.helpers import distributors

    return {
        "code": "tessin",
        "name": "Tessin Trade",
        "kind": "reseller",
        "channel": distributors(c).code,
        "owner": str(c.lead.uuid),
    }


register_api(
    {
        ("GET", "/api/v1/partners"): Route("member"),
        ("POST", "/api/v1/partners"): Route(ADMIN, body=_partner_body),
        ("GET", "/api/v1/partners/figures"): Route("member"),
        ("GET", "/api/v1/partners/{partner_id}"): Route("member", obj=api_partner),
        ("PATCH", "/api/v1/partners/{partner_id}"): Route(
            ADMIN, obj=api_partner, body=lambda c: {"name": "Alpine"}, extra=HIDDEN
        ),
        ("GET", "/api/v1/partners/{partner_id}/people"): Route("member", obj=api_partner),
        ("POST", "/api/v1/partners/{partner_id}/people"): Route(
            "member",
            obj=api_partner,
            body=lambda c: {"email": "pia@alpine.example", "name": "Pia"},
        ),
        ("GET", "/api/v1/partner"): Route("member"),
        ("POST", "/api/v1/partner/commitment"): Route(
            "member", body=lambda c: {"fiscal_year": 2027, "amount": 100}
        ),
        ("POST", "/api/v1/partner/check-in"): Route(
            "member", body=lambda c: {"fiscal_year": 2027, "confidence": 5}
        ),
        ("POST", "/api/v1/partner/key-results"): Route(
            "member", body=lambda c: {"fiscal_year": 2027, "name": "Demos", "target": 10}
        ),
        ("DELETE", "/api/v1/partner/key-results/{key_result_id}"): Route(
            "member", obj=lambda c: {"key_result_id": uuid4()}
        ),
        ("GET", "/api/v1/partner/notifications"): Route("member"),
        ("POST", "/api/v1/partner/notifications/read"): Route("member"),
        ("GET", "/api/v1/partner/reviews"): Route("member"),
        ("GET", "/api/v1/partner/reviews/{review_id}"): Route(
            "member", obj=lambda c: {"review_id": uuid4()}
        ),
        ("POST", "/api/v1/partner/reviews/{review_id}/submit"): Route(
            "member",
            obj=lambda c: {"review_id": uuid4()},
            body=lambda c: {"reasons": ["pricing"], "next_change": "More demos"},
        ),
    }
)
