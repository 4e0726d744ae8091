"""SCIM provisioning: the request sequences Microsoft Entra ID and Okta are documented to send,
the mapping of groups to roles and teams, deprovisioning, ETags, refusals."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from pacte.accounts.models import Membership, ScimGroup
from pacte.accounts.scim import create_scim_token, revoke_scim_token
from pacte.accounts.signin import save_group_mapping
from pacte.audit.models import AuditEvent
from pacte.org.models import Placement
from pacte.testing.cast import Cast

PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


class Scim:
    def __init__(self, secret: str) -> None:
        self.client = Client()
        self.auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}

    def __call__(self, method: str, path: str, body: Any = None, **headers: Any) -> Any:
        response = self.client.generic(
            method,
            f"/scim/v2{path}",
            data=json.dumps(body) if body is not None else b"",
            content_type="application/scim+json",
            **self.auth,
            **headers,
        )
        response.data = response.json() if response.content else None  # type: ignore[attr-defined]
        return response


@pytest.fixture
def scim(cast: Cast) -> Scim:
    return Scim(create_scim_token(workspace=cast.workspace, actor=cast.admin, name="Entra")[1])


def entra_user(user_name: str, external_id: str, **extra: Any) -> dict[str, Any]:
    """The creation request Entra ID sends (its provisioning documentation's example)."""
    return {
        "schemas": [USER, ENTERPRISE],
        "externalId": external_id,
        "userName": user_name,
        "active": True,
        "displayName": "Test User",
        "emails": [{"primary": True, "type": "work", "value": user_name}],
        "meta": {"resourceType": "User"},
        "name": {
            "formatted": "givenName familyName",
            "familyName": "familyName",
            "givenName": "givenName",
        },
        "roles": [],
        ENTERPRISE: {"department": "Sales", "manager": {"value": ""}},
        **extra,
    }


def test_entra_sequence(cast: Cast, scim: Scim) -> None:
    """Entra: look the person up by userName, create them, look again, update with PATCH
    (capitalised ops, "False" as a string, a path-less Replace, the manager as a bare id),
    then push a group and its membership, remove it, and delete."""
    name = "Test_User@acme-corp.example"
    r = scim("GET", '/Users?filter=userName eq "Test_User@acme-corp.example"')
    assert r.status_code == 200
    assert r.data["totalResults"] == 0
    r = scim("POST", "/Users", entra_user(name, "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"))
    assert r.status_code == 201, r.data
    user_id = r.data["id"]
    assert r["Location"].endswith(f"/scim/v2/Users/{user_id}")
    assert r["ETag"] == r.data["meta"]["version"]
    member = Membership.objects.get(uuid=user_id)
    assert member.workspace == cast.workspace
    assert member.user.email == name.lower()
    assert member.name == "Test User"
    assert member.roles == ["seller"]
    r = scim("GET", '/Users?filter=userName eq "test_user@acme-corp.example"')
    assert r.data["totalResults"] == 1
    assert r.data["Resources"][0]["id"] == user_id
    r = scim("GET", '/Users?filter=externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"')
    assert r.data["totalResults"] == 1
    r = scim(
        "PATCH",
        f"/Users/{user_id}",
        {
            "schemas": [PATCH],
            "Operations": [
                {
                    "op": "Replace",
                    "path": 'emails[type eq "work"].value',
                    "value": "tu@acme-corp.example",
                },
                {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"},
                {"op": "Add", "path": f"{ENTERPRISE}:manager", "value": str(cast.admin.uuid)},
                {"op": "Replace", "value": {"displayName": "Updated Name"}},
            ],
        },
    )
    assert r.status_code == 200, r.data
    assert r.data["name"]["familyName"] == "updatedFamilyName"
    assert r.data[ENTERPRISE]["manager"]["value"] == str(cast.admin.uuid)
    member.refresh_from_db()
    assert member.name == "Updated Name"
    assert member.user.email == "tu@acme-corp.example"  # the login was this workspace's alone

    # Groups: create, filter by displayName excluding members, add and remove the member.
    r = scim(
        "POST",
        "/Groups",
        {"schemas": [GROUP], "displayName": "Sales North", "externalId": "g-1", "members": []},
    )
    assert r.status_code == 201, r.data
    group_id = r.data["id"]
    r = scim("GET", '/Groups?excludedAttributes=members&filter=displayName eq "Sales North"')
    assert r.data["totalResults"] == 1
    assert "members" not in r.data["Resources"][0]
    add = {
        "schemas": [PATCH],
        "Operations": [{"op": "Add", "path": "members", "value": [{"value": user_id}]}],
    }
    assert scim("PATCH", f"/Groups/{group_id}", add).status_code == 200
    assert list(ScimGroup.objects.get(uuid=group_id).members.all()) == [member]
    remove = {
        "schemas": [PATCH],
        "Operations": [{"op": "Remove", "path": "members", "value": [{"value": user_id}]}],
    }
    r = scim("PATCH", f"/Groups/{group_id}", remove)
    assert r.status_code == 200
    assert "members" not in r.data
    assert not ScimGroup.objects.get(uuid=group_id).members.exists()

    # Disable: Entra's string "False".
    disable = {
        "schemas": [PATCH],
        "Operations": [{"op": "Replace", "path": "active", "value": "False"}],
    }
    r = scim("PATCH", f"/Users/{user_id}", disable)
    assert r.status_code == 200
    assert r.data["active"] is False
    member.refresh_from_db()
    assert not member.is_active
    assert AuditEvent.objects.filter(action="member.deactivated", object_id=user_id).exists()
    assert (
        AuditEvent.objects.get(action="member.deactivated", object_id=user_id).actor_name
        == "SCIM (Entra)"
    )

    # Delete: gone for the provider, kept (deactivated) in Pacte.
    assert scim("DELETE", f"/Users/{user_id}").status_code == 204
    assert scim("GET", f"/Users/{user_id}").status_code == 404
    assert Membership.objects.filter(uuid=user_id, is_active=False).exists()


def test_okta_sequence(cast: Cast, scim: Scim) -> None:
    """Okta: filter with count, create, deactivate with a path-less replace, push a group
    (PUT with the full member list), remove a member by value filter, rename, delete."""
    r = scim("GET", '/Users?filter=userName eq "dana@acme-corp.example"&startIndex=1&count=100')
    assert r.data["totalResults"] == 0
    assert r.data["startIndex"] == 1
    r = scim(
        "POST",
        "/Users",
        {
            "schemas": [USER],
            "userName": "dana@acme-corp.example",
            "name": {"givenName": "Dana", "familyName": "Scully"},
            "emails": [{"primary": True, "value": "dana@acme-corp.example", "type": "work"}],
            "displayName": "Dana Scully",
            "locale": "en-US",
            "externalId": "00u1",
            "groups": [],
            "password": "1mNotTelling!",
            "active": True,
        },
    )
    assert r.status_code == 201, r.data
    dana = r.data["id"]
    assert "password" not in r.data
    r = scim(
        "POST",
        "/Groups",
        {
            "schemas": [GROUP],
            "displayName": "Admins",
            "members": [{"value": dana, "display": "dana@acme-corp.example"}],
        },
    )
    assert r.status_code == 201
    group_id = r.data["id"]
    r = scim(
        "PUT",
        f"/Groups/{group_id}",
        {
            "schemas": [GROUP],
            "id": group_id,
            "displayName": "Pacte admins",
            "members": [
                {"value": dana, "display": "dana@acme-corp.example"},
                {"value": str(cast.seller.uuid), "display": "seller"},
            ],
        },
    )
    assert r.status_code == 200, r.data
    assert {m["value"] for m in r.data["members"]} == {dana, str(cast.seller.uuid)}
    r = scim(
        "PATCH",
        f"/Groups/{group_id}",
        {
            "schemas": [PATCH],
            "Operations": [{"op": "remove", "path": f'members[value eq "{cast.seller.uuid}"]'}],
        },
    )
    assert r.status_code == 200
    assert [m["value"] for m in r.data["members"]] == [dana]
    r = scim(
        "PATCH",
        f"/Groups/{group_id}",
        {
            "schemas": [PATCH],
            "Operations": [
                {"op": "replace", "value": {"id": group_id, "displayName": "Admins EMEA"}}
            ],
        },
    )
    assert r.status_code == 200
    assert r.data["displayName"] == "Admins EMEA"
    r = scim(
        "PATCH",
        f"/Users/{dana}",
        {"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": False}}]},
    )
    assert r.status_code == 200
    assert r.data["active"] is False
    assert not Membership.objects.get(uuid=dana).is_active
    r = scim(
        "PATCH",
        f"/Users/{dana}",
        {"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": True}}]},
    )
    assert Membership.objects.get(uuid=dana).is_active
    assert scim("DELETE", f"/Groups/{group_id}").status_code == 204
    assert scim("GET", f"/Groups/{group_id}").status_code == 404


def test_filters_and_pages(cast: Cast, scim: Scim) -> None:
    for i in range(3):
        scim(
            "POST",
            "/Users",
            entra_user(f"p{i}@acme-corp.example", f"x{i}", displayName=f"Person {i}"),
        )
    r = scim("GET", '/Users?filter=userName sw "p" and emails.value co "acme-corp"&count=2')
    assert r.data["totalResults"] == 3
    assert r.data["itemsPerPage"] == 2
    r = scim("GET", '/Users?filter=userName sw "p" and emails.value co "acme-corp"&startIndex=3')
    assert r.data["itemsPerPage"] == 1
    r = scim("GET", '/Users?filter=displayName eq "Person 1" or externalId eq "x2"')
    assert sorted(u["displayName"] for u in r.data["Resources"]) == ["Person 1", "Person 2"]
    r = scim("GET", '/Users?filter=emails[value ew "acme.example"]')
    assert r.data["totalResults"] == 5  # the cast's people, seen with their login address
    r = scim("GET", "/Users?filter=userName eq")
    assert r.status_code == 400
    assert r.data["scimType"] == "invalidFilter"
    r = scim("GET", '/Users?filter=title eq "x"')
    assert r.status_code == 400
    assert r.data["scimType"] == "invalidFilter"


def test_etags(cast: Cast, scim: Scim) -> None:
    r = scim("GET", f"/Users/{cast.seller.uuid}")
    etag = r["ETag"]
    stale = 'W/"0000"'
    body = {
        "schemas": [PATCH],
        "Operations": [{"op": "replace", "path": "displayName", "value": "Sam"}],
    }
    r = scim("PATCH", f"/Users/{cast.seller.uuid}", body, HTTP_IF_MATCH=stale)
    assert r.status_code == 412
    assert r.data["status"] == "412"
    cast.seller.refresh_from_db()
    assert cast.seller.name != "Sam"
    r = scim("PATCH", f"/Users/{cast.seller.uuid}", body, HTTP_IF_MATCH=etag)
    assert r.status_code == 200
    assert r["ETag"] != etag
    assert scim("DELETE", f"/Users/{cast.seller.uuid}", HTTP_IF_MATCH=etag).status_code == 412


def test_groups_map_to_roles_and_teams_with_dated_placements(cast: Cast, scim: Scim) -> None:
    save_group_mapping(
        workspace=cast.workspace,
        actor=None,
        group="Pacte Leads",
        roles=["lead", "seller"],
        unit=cast.other_team,
    )
    r = scim("POST", "/Users", entra_user("new@acme-corp.example", "n1"))
    user_id = r.data["id"]
    member = Membership.objects.get(uuid=user_id)
    assert member.roles == ["seller"]
    r = scim(
        "POST",
        "/Groups",
        {"schemas": [GROUP], "displayName": "Pacte Leads", "members": [{"value": user_id}]},
    )
    assert r.status_code == 201, r.data
    member.refresh_from_db()
    assert sorted(member.roles) == ["lead", "seller"]
    placements = list(Placement.objects.filter(membership=member).order_by("valid_from", "pk"))
    assert placements[-1].unit == cast.other_team
    assert placements[-1].valid_to is None
    r = scim("GET", f"/Users/{user_id}")
    assert [g["display"] for g in r.data["groups"]] == ["Pacte Leads"]


def test_group_mapped_to_a_deleted_team_changes_nothing(cast: Cast, scim: Scim) -> None:
    from pacte.org.services import create_unit, delete_unit

    gone = create_unit(workspace=cast.workspace, actor=None, name="Gone", parent=cast.company)
    save_group_mapping(
        workspace=cast.workspace, actor=None, group="Gone team", roles=["seller"], unit=gone
    )
    delete_unit(unit=gone, actor=None)
    r = scim(
        "POST",
        "/Groups",
        {
            "schemas": [GROUP],
            "displayName": "Gone team",
            "members": [{"value": str(cast.seller.uuid)}],
        },
    )
    assert r.status_code == 400
    assert "Gone" in r.data["detail"]
    assert not ScimGroup.objects.filter(display_name="Gone team").exists()
    assert AuditEvent.objects.filter(action="scim.refused").exists()


def test_deprovisioning_keeps_figures_and_history(cast: Cast, scim: Scim) -> None:
    events = AuditEvent.objects.filter(object_id=str(cast.lead.uuid)).count()
    r = scim(
        "PATCH",
        f"/Users/{cast.lead.uuid}",
        {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "active", "value": False}]},
    )
    assert r.status_code == 200, r.data  # even though they lead a team
    cast.lead.refresh_from_db()
    assert not cast.lead.is_active
    assert Placement.objects.filter(membership=cast.lead).exists()
    assert AuditEvent.objects.filter(object_id=str(cast.lead.uuid)).count() > events


def test_revoked_or_forged_token_is_refused(cast: Cast) -> None:
    token, secret = create_scim_token(workspace=cast.workspace, actor=None, name="x")
    assert Scim(secret)("GET", "/Users").status_code == 200
    from django.db import transaction

    with transaction.atomic():
        revoke_scim_token(token=token, actor=None)
    r = Scim(secret)("GET", "/Users")
    assert r.status_code == 401
    assert r.data["status"] == "401"
    assert Scim("pacte_scim_forged")("GET", "/Users").status_code == 401


def test_uniqueness_and_bad_input(cast: Cast, scim: Scim) -> None:
    r = scim("POST", "/Users", entra_user("seller@acme.example", "s"))
    assert r.status_code == 409
    assert r.data["scimType"] == "uniqueness"
    r = scim("POST", "/Users", {"schemas": [USER]})
    assert r.status_code == 400
    r = scim(
        "PATCH",
        f"/Users/{cast.seller.uuid}",
        {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "groups", "value": []}]},
    )
    assert r.status_code == 400
    assert scim("GET", "/Users/not-a-uuid").status_code == 404


def test_sign_in_page_creates_shows_once_and_revokes_a_token(cast: Cast, login) -> None:
    from pacte.accounts.models import ScimToken

    client = login(cast.admin)
    page = client.get("/account/sign-in/").content.decode()
    assert "http://testserver/scim/v2" in page
    # The section stands once, in the page's body, and the title is the page's name only.
    assert page.count('id="scim"') == 1
    assert "<title>Sign-in · Pacte</title>" in page
    response = client.post("/account/sign-in/", {"form": "scim_token", "name": "Entra ID"})
    assert response.status_code == 200
    html = response.content.decode()
    token = ScimToken.objects.for_workspace(cast.workspace).get(name="Entra ID")
    start = html.index('id="new-scim-token">') + len('id="new-scim-token">')
    secret = html[start : html.index("<", start)]
    assert secret.startswith(token.prefix)
    assert secret not in token.key_hash
    assert Scim(secret)("GET", "/Users").status_code == 200
    assert secret not in client.get("/account/sign-in/").content.decode()
    assert AuditEvent.objects.filter(action="scim_token.created").exists()
    client.post(f"/account/sign-in/scim-tokens/{token.uuid}/revoke/")
    assert Scim(secret)("GET", "/Users").status_code == 401
    assert AuditEvent.objects.filter(action="scim_token.revoked").exists()
    # Another workspace's admin cannot revoke it (404).
    other = login(cast.outsider).post(f"/account/sign-in/scim-tokens/{token.uuid}/revoke/")
    assert other.status_code == 404
