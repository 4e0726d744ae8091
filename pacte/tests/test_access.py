"""Every page and API route, checked for anonymous, other-workspace and wrong-role access."""

from __future__ import annotations

import importlib
import io
import json
import pkgutil
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

import pacte
from pacte.api import api
from pacte.testing.access import API, PAGES, Route
from pacte.testing.cast import Cast


def _load_app_registries() -> None:
    """Apps may keep their entries in ``pacte/<app>/tests/access.py``."""
    for mod in pkgutil.iter_modules(pacte.__path__):
        try:
            importlib.import_module(f"pacte.{mod.name}.tests.access")
        except ModuleNotFoundError:
            continue


_load_app_registries()


def _walk(patterns: list[Any], namespace: str = "") -> list[tuple[str, URLPattern]]:
    found: list[tuple[str, URLPattern]] = []
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            found.extend(_walk(p.url_patterns, ns))
        elif isinstance(p, URLPattern) and p.name:
            found.append((f"{namespace}{p.name}", p))
    return found


def page_names() -> list[str]:
    names = []
    for name, _pattern in _walk(get_resolver().url_patterns):
        if name.startswith("api:") and name not in ("api:openapi-json", "api:openapi-view"):
            continue  # API operations are covered through the OpenAPI document below
        names.append(name)
    return sorted(set(names))


def api_operations() -> list[tuple[str, str]]:
    schema = api.get_openapi_schema()
    ops = []
    for path, methods in schema["paths"].items():
        for method in methods:
            ops.append((method.upper(), path))
    return sorted(ops)


def test_every_page_is_in_the_access_registry() -> None:
    missing = [name for name in page_names() if name not in PAGES]
    assert not missing, f"Add these routes to pacte/testing/access.py: {missing}"


def test_every_api_operation_is_in_the_access_registry() -> None:
    missing = [op for op in api_operations() if op not in API]
    assert not missing, f"Add these API operations to pacte/testing/access.py: {missing}"


def _url(name: str, route: Route, cast: Cast) -> str:
    return reverse(name, kwargs=route.obj(cast) if route.obj else None)


def _api_call(client: Client, method: str, path: str, route: Route, cast: Cast, **headers: Any):
    url = path.format(**{k: str(v) for k, v in (route.obj(cast) if route.obj else {}).items()})
    if route.files:
        data = {"file": io.BytesIO(b"email,name,unit,lead_of,roles\n")}
        return client.post(url, data, **headers)
    body = route.body(cast) if route.body else None
    return client.generic(
        method,
        url,
        data=b"" if body is None else __import__("json").dumps(body),
        content_type="application/json",
        **headers,
    )


@pytest.mark.parametrize("name", page_names())
def test_page_refuses_anonymous(name: str, cast: Cast) -> None:
    route = PAGES[name]
    url = _url(name, route, cast)
    response = Client().get(url)
    if route.rule == "public":
        allowed = route.extra.get("anonymous_statuses", (200, 302, 405))
        assert response.status_code in allowed, (url, response.status_code)
        return
    if route.rule == "operator":  # a bearer token from the environment, not a member's login
        assert response.status_code in (401, 404), (url, response.status_code)
        return
    if route.rule == "scim":  # a workspace's SCIM token (test_scim_routes_need_the_scim_token)
        assert response.status_code == 401, (url, response.status_code)
        assert response.json()["status"] == "401"
        return
    if response.status_code == 405:  # POST-only: the refusal shows on POST
        response = Client().post(url)
    assert response.status_code == 302, (url, response.status_code)
    assert "/account/login/" in response["Location"]


@pytest.mark.parametrize(
    "name",
    [
        n
        for n in page_names()
        if PAGES.get(n) and PAGES[n].obj and PAGES[n].rule not in ("public", "scim")
    ],
)
def test_page_hides_other_workspace_objects(name: str, cast: Cast, login) -> None:
    route = PAGES[name]
    client = login(cast.outsider)  # executive and admin of another workspace
    url = _url(name, route, cast)
    response = client.get(url)
    assert response.status_code in (404, 405), (url, response.status_code)
    assert client.post(url).status_code in (404, 405), url
    assert 404 in (response.status_code, client.post(url).status_code), url


@pytest.mark.parametrize(
    "name", [n for n in page_names() if PAGES.get(n) and isinstance(PAGES[n].rule, tuple)]
)
def test_page_refuses_wrong_role(name: str, cast: Cast, login) -> None:
    """A seller may see the object but not use the page: 403 (404 only where the registry
    says the object itself is hidden from them)."""
    route = PAGES[name]
    client = login(cast.seller)
    url = _url(name, route, cast)
    refused = route.extra.get("refused", 403)
    response = client.get(url)
    if response.status_code == 405:  # POST-only: the refusal shows on POST
        response = client.post(url)
    assert response.status_code == refused, (url, response.status_code)
    assert client.post(url).status_code in (refused, 405), url


@pytest.mark.parametrize("op", api_operations())
def test_api_refuses_anonymous(op: tuple[str, str], cast: Cast) -> None:
    method, path = op
    route = API[op]
    response = _api_call(Client(), method, path, route, cast)
    assert response.status_code == 401, (op, response.status_code, response.content[:200])
    response = _api_call(
        Client(), method, path, route, cast, HTTP_AUTHORIZATION="Bearer pacte_forged"
    )
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


@pytest.mark.parametrize("op", [op for op in api_operations() if API.get(op) and API[op].obj])
def test_api_hides_other_workspace_objects(op: tuple[str, str], cast: Cast) -> None:
    method, path = op
    token = cast.token(cast.outsider)
    response = _api_call(
        Client(), method, path, API[op], cast, HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 404, (op, response.status_code, response.content[:200])
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    "op", [op for op in api_operations() if API.get(op) and isinstance(API[op].rule, tuple)]
)
def test_api_refuses_wrong_role(op: tuple[str, str], cast: Cast) -> None:
    method, path = op
    token = cast.token(cast.seller)
    response = _api_call(
        Client(), method, path, API[op], cast, HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    refused = API[op].extra.get("refused", 403)
    assert response.status_code == refused, (op, response.status_code, response.content[:200])


def test_forged_ids_are_not_found(cast: Cast, login) -> None:
    client = login(cast.executive)
    assert client.get("/people/00000000-0000-0000-0000-000000000000/").status_code == 404
    token = cast.token(cast.executive)
    for bad in ("not-a-uuid", "1", "00000000-0000-0000-0000-000000000000"):
        response = Client().get(f"/api/v1/members/{bad}", HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 404, bad


def test_session_api_writes_need_csrf(cast: Cast) -> None:
    client = Client(enforce_csrf_checks=True)
    client.login(username=cast.admin.user.email, password="correct-horse-battery-staple")
    response = client.post("/api/v1/units", data={"name": "X"}, content_type="application/json")
    assert response.status_code in (401, 403)
    assert re.search(r"csrf|CSRF|unauthorized", response.content.decode())


@pytest.mark.parametrize(
    "name", [n for n in page_names() if PAGES.get(n) and PAGES[n].rule == "scim"]
)
def test_scim_routes_need_the_scim_token(name: str, cast: Cast, login) -> None:
    """The SCIM client is a role of its own: a session or a personal token is refused (401),
    even an admin's; another workspace's SCIM token finds none of this workspace's people or
    groups (404), whatever the method."""
    from pacte.accounts.scim import create_scim_token

    route = PAGES[name]
    url = _url(name, route, cast)
    assert login(cast.admin).get(url).status_code == 401, url
    personal = cast.token(cast.admin)
    assert Client().get(url, HTTP_AUTHORIZATION=f"Bearer {personal}").status_code == 401, url
    own = create_scim_token(workspace=cast.workspace, actor=None, name="own")[1]
    assert Client().get(url, HTTP_AUTHORIZATION=f"Bearer {own}").status_code in (200, 404, 405, 501)
    if name in ("scim:user", "scim:group"):
        other = create_scim_token(workspace=cast.outsider_workspace, actor=None, name="other")[1]
        auth = {"HTTP_AUTHORIZATION": f"Bearer {other}"}
        patch = {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "active", "value": False}],
        }
        for method, body in (("GET", None), ("PATCH", patch), ("PUT", {}), ("DELETE", None)):
            response = Client().generic(
                method,
                url,
                data=json.dumps(body) if body else b"",
                content_type="application/scim+json",
                **auth,
            )
            assert response.status_code == 404, (method, url, response.status_code)
        from pacte.audit.models import AuditEvent

        refusals = AuditEvent.objects.for_workspace(cast.outsider_workspace).filter(
            action="scim.refused"
        )
        assert refusals.count() == 3  # PATCH, PUT and DELETE, in the caller's workspace
        assert not AuditEvent.objects.for_workspace(cast.workspace).filter(action="scim.refused")
        assert Client().get(url, HTTP_AUTHORIZATION=f"Bearer {own}").status_code == 200
