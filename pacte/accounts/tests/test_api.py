"""The API: tokens (hashed, revocable), the current member, JSON errors with codes."""

from __future__ import annotations

import hashlib

from django.test import Client

from pacte.accounts.models import ApiToken
from pacte.testing.cast import Cast


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_token_is_stored_hashed_and_can_be_revoked(cast: Cast, login) -> None:
    client = login(cast.seller)
    page = client.post("/account/", {"name": "laptop"})
    secret = page.context["new_secret"]
    assert secret.startswith("pacte_")
    token = ApiToken.objects.get(membership=cast.seller)
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(ApiToken.objects.values_list())
    me = Client().get("/api/v1/me", **bearer(secret))
    assert me.status_code == 200
    assert me.json()["email"] == "seller@acme.example"
    assert me.json()["roles"] == ["seller"]
    client.post(f"/account/tokens/{token.uuid}/revoke/")
    assert Client().get("/api/v1/me", **bearer(secret)).status_code == 401


def test_api_errors_have_stable_codes(cast: Cast) -> None:
    token = cast.token(cast.admin)
    response = Client().post(
        "/api/v1/units", data={"name": "North"}, content_type="application/json", **bearer(token)
    )
    assert response.status_code == 400
    assert response.json()["code"] == "duplicate_name"
    response = Client().post(
        "/api/v1/units", data={"nom": 1}, content_type="application/json", **bearer(token)
    )
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


def test_stale_member_patch_answers_412(cast: Cast) -> None:
    token = cast.token(cast.admin)
    url = f"/api/v1/members/{cast.seller.uuid}"
    ok = Client().patch(
        url,
        data={"name": "S1", "version": cast.seller.version},
        content_type="application/json",
        **bearer(token),
    )
    assert ok.status_code == 200
    stale = Client().patch(
        url,
        data={"name": "S2", "version": cast.seller.version},
        content_type="application/json",
        **bearer(token),
    )
    assert stale.status_code == 412
    assert stale.json()["code"] == "stale_version"


def test_member_list_filters_like_the_page(cast: Cast) -> None:
    token = cast.token(cast.seller)
    response = Client().get(f"/api/v1/members?unit={cast.team.uuid}&role=seller", **bearer(token))
    names = sorted(m["name"] for m in response.json()["items"])
    assert names == ["Lea Lead", "Sam Seller"]


def test_people_import_through_the_api(cast: Cast) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    token = cast.token(cast.admin)
    upload = SimpleUploadedFile(
        "p.csv", b"email,name,unit,lead_of,roles\nq@acme.example,Q,North,,seller\n"
    )
    response = Client().post("/api/v1/members/import", {"file": upload}, **bearer(token))
    assert response.status_code == 200
    assert response.json()["created"] == 1


def test_docs_page_is_behind_login(cast: Cast, login) -> None:
    assert Client().get("/api/v1/docs").status_code == 302
    assert login(cast.seller).get("/api/v1/docs").status_code == 200
    assert Client().get("/api/v1/openapi.json").status_code == 302
    assert login(cast.seller).get("/api/v1/openapi.json").status_code == 200
