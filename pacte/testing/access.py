"""The access registry: every page and API route with who may use it.

The generic access test (``pacte/tests/test_access.py``) walks every URL pattern and every API
operation and fails on any route missing here, so a new route is covered the day it is added.

Each entry says:
- ``rule``: ``public`` (anyone), ``operator`` (a bearer token from the environment: 401 or 404
  for anyone else), ``member`` (any member of the workspace), or a tuple of roles;
- ``obj``: how to build the route's ids from the cast (``None`` when it has none);
- ``body``: a valid request body for the API (so that a refusal is about access, not input);
- ``extra["refused"]``: what a seller gets on a route their role may not use, 403 unless
  set (404 where the object itself is hidden from them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pacte.testing.cast import Cast

ADMIN = ("admin", "executive")


@dataclass(frozen=True)
class Route:
    rule: str | tuple[str, ...]
    obj: Callable[[Cast], dict[str, Any]] | None = None
    body: Callable[[Cast], dict[str, Any] | list[Any]] | None = None
    files: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def person(c: Cast) -> dict[str, Any]:
    return {"uuid": c.other_seller.uuid}


def team(c: Cast) -> dict[str, Any]:
    return {"uuid": c.other_team.uuid}


def token(c: Cast) -> dict[str, Any]:
    from pacte.accounts.services import create_api_token

    return {"uuid": create_api_token(member=c.admin, name="probe")[0].uuid}


#: Pages, by URL name.
PAGES: dict[str, Route] = {
    "home": Route("member"),
    "healthz": Route("public"),
    "metrics": Route("operator"),
    "favicon": Route("public"),
    "accounts:login": Route("public"),
    "accounts:logout": Route("public"),
    "accounts:set_language": Route("public"),
    "accounts:password_change": Route("member"),
    "accounts:password_change_done": Route("member"),
    "accounts:account": Route("member"),
    "accounts:token_revoke": Route("member", obj=token),
    "accounts:switch_workspace": Route("member"),
    "accounts:workspace_settings": Route(ADMIN),
    "audit:events": Route(ADMIN),
    "org:people": Route("member"),
    "org:person": Route("member", obj=person),
    "org:person_create": Route(ADMIN),
    "org:person_edit": Route(ADMIN, obj=person),
    "org:person_move": Route(ADMIN, obj=person),
    "org:person_active": Route(ADMIN, obj=person),
    "org:people_import": Route(ADMIN),
    "org:teams": Route("member"),
    "org:team": Route("member", obj=team),
    "org:team_create": Route(ADMIN),
    "org:team_edit": Route(ADMIN, obj=team),
    "org:team_active": Route(ADMIN, obj=team),
    "org:team_delete": Route(ADMIN, obj=team),
    "api:openapi-json": Route("member"),
    "api:openapi-view": Route("member"),
}


def api_person(c: Cast) -> dict[str, Any]:
    return {"member_id": c.other_seller.uuid}


def api_team(c: Cast) -> dict[str, Any]:
    return {"unit_id": c.other_team.uuid}


def api_token(c: Cast) -> dict[str, Any]:
    from pacte.accounts.services import create_api_token

    return {"token_id": create_api_token(member=c.admin, name="probe")[0].uuid}


#: API operations, by (method, path template as in the OpenAPI document).
API: dict[tuple[str, str], Route] = {
    ("GET", "/api/v1/me"): Route("member"),
    ("GET", "/api/v1/workspace"): Route("member"),
    ("PATCH", "/api/v1/workspace"): Route(ADMIN, body=lambda c: {"name": "Acme"}),
    ("GET", "/api/v1/tokens"): Route("member"),
    ("POST", "/api/v1/tokens"): Route("member", body=lambda c: {"name": "ci"}),
    ("DELETE", "/api/v1/tokens/{token_id}"): Route("member", obj=api_token),
    ("GET", "/api/v1/units"): Route("member"),
    ("POST", "/api/v1/units"): Route(ADMIN, body=lambda c: {"name": "East"}),
    ("GET", "/api/v1/units/{unit_id}"): Route("member", obj=api_team),
    ("PATCH", "/api/v1/units/{unit_id}"): Route(ADMIN, obj=api_team, body=lambda c: {"name": "S"}),
    ("POST", "/api/v1/units/{unit_id}/deactivate"): Route(ADMIN, obj=api_team),
    ("DELETE", "/api/v1/units/{unit_id}"): Route(ADMIN, obj=api_team),
    ("GET", "/api/v1/members"): Route("member"),
    ("POST", "/api/v1/members"): Route(
        ADMIN,
        body=lambda c: {
            "email": "new@acme.example",
            "name": "New",
            "roles": ["seller"],
            "unit": str(c.team.uuid),
        },
    ),
    ("GET", "/api/v1/members/{member_id}"): Route("member", obj=api_person),
    ("PATCH", "/api/v1/members/{member_id}"): Route(
        ADMIN, obj=api_person, body=lambda c: {"name": "O"}
    ),
    ("POST", "/api/v1/members/{member_id}/move"): Route(
        ADMIN, obj=api_person, body=lambda c: {"unit": str(c.team.uuid)}
    ),
    ("POST", "/api/v1/members/{member_id}/deactivate"): Route(ADMIN, obj=api_person),
    ("POST", "/api/v1/members/{member_id}/reactivate"): Route(ADMIN, obj=api_person),
    ("POST", "/api/v1/members/import"): Route(ADMIN, files=True),
    ("GET", "/api/v1/audit"): Route(ADMIN),
}


def register_pages(entries: dict[str, Route]) -> None:
    """Apps added later register their pages here (imported by the access test)."""
    PAGES.update(entries)


def register_api(entries: dict[tuple[str, str], Route]) -> None:
    API.update(entries)
