"""The sign-in settings through the API: the secret is write-only, changes are audited."""

from __future__ import annotations

import json
from typing import Any

from pacte.accounts.models import IdentityProvider
from pacte.audit.models import AuditEvent
from pacte.testing.cast import Cast
from pacte.testing.clients import api_client_for


def _call(cast: Cast, method: str, path: str, body: object = None) -> Any:
    return api_client_for(cast.admin).generic(
        method,
        f"/api/v1{path}",
        data=json.dumps(body) if body is not None else b"",
        content_type="application/json",
    )


def test_provider_secret_is_write_only(cast: Cast) -> None:
    body = {
        "kind": "oidc",
        "display_name": "Sign in with Acme",
        "issuer": "https://login.acme.example/",
        "client_id": "pacte",
        "client_secret": "very-secret-value",
        "email_domains": "Acme.example, @acme.fr",
    }
    response = _call(cast, "PUT", "/sign-in/provider", body)
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["provider"]["client_secret_set"] is True
    assert "very-secret-value" not in response.content.decode()
    assert data["provider"]["issuer"] == "https://login.acme.example"
    assert data["provider"]["email_domains"] == "acme.example,acme.fr"
    # Saved again without a secret: the stored one is kept.
    del body["client_secret"]
    body["version"] = data["provider"]["version"]
    assert _call(cast, "PUT", "/sign-in/provider", body).status_code == 200
    assert IdentityProvider.objects.get().has_client_secret
    assert AuditEvent.objects.filter(action="sign_in.provider_saved").count() == 1  # no change


def test_bad_provider_input_says_what_and_where(cast: Cast) -> None:
    response = _call(
        cast,
        "PUT",
        "/sign-in/provider",
        {
            "kind": "oidc",
            "display_name": "X",
            "issuer": "http://login.acme.example",
            "client_id": "p",
            "client_secret": "s",
        },
    )
    assert response.status_code == 400
    assert response.json()["field"] == "issuer"
    response = _call(
        cast,
        "PUT",
        "/sign-in/provider",
        {"kind": "saml", "display_name": "X", "metadata_xml": "<oops"},
    )
    assert response.json()["code"] == "invalid_metadata"
    assert not IdentityProvider.objects.exists()


def test_policy_and_mappings(cast: Cast) -> None:
    response = _call(cast, "PATCH", "/sign-in", {"idle_timeout_minutes": 30, "jit_enabled": True})
    assert response.json()["idle_timeout_minutes"] == 30
    response = _call(
        cast,
        "POST",
        "/sign-in/mappings",
        {"group": "sales", "roles": ["seller"], "unit": str(cast.team.uuid)},
    )
    assert response.status_code == 201
    mapping = response.json()["mappings"][0]
    assert mapping["unit"] == str(cast.team.uuid)
    response = _call(cast, "POST", "/sign-in/mappings", {"group": "sales", "roles": ["admin"]})
    assert response.json()["code"] == "duplicate_group"
    response = _call(cast, "POST", "/sign-in/mappings", {"group": "x", "roles": ["boss"]})
    assert response.json()["code"] == "unknown_role"
    assert _call(cast, "DELETE", f"/sign-in/mappings/{mapping['uuid']}").status_code == 204
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"sign_in.updated", "sign_in.mapping_saved", "sign_in.mapping_deleted"} <= actions
