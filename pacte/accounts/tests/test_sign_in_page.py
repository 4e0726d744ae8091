"""The admin's Sign-in page: provider, mappings and policy through the same services."""

from __future__ import annotations

from pacte.accounts.models import GroupMapping, IdentityProvider, SignInSettings
from pacte.audit.models import AuditEvent
from pacte.testing.cast import Cast

PROVIDER = {
    "form": "provider",
    "kind": "oidc",
    "display_name": "Sign in with Acme",
    "email_domains": "acme.example",
    "is_enabled": "on",
    "issuer": "https://login.acme.example",
    "client_id": "pacte",
    "client_secret": "top-secret-value",
    "scopes": "openid email profile groups",
    "groups_claim": "groups",
}


def test_admin_connects_a_provider_maps_a_group_and_sets_the_policy(cast: Cast, login) -> None:
    client = login(cast.admin)
    assert client.post("/account/sign-in/", PROVIDER).status_code == 302
    page = client.get("/account/sign-in/").content.decode()
    assert "top-secret-value" not in page
    assert "A secret is set" in page
    assert "/sso/acme/oidc/callback/" in page
    response = client.post(
        "/account/sign-in/",
        {
            "form": "mapping",
            "group": "north-sales",
            "roles": ["seller"],
            "unit": str(cast.team.uuid),
        },
    )
    assert response.status_code == 302
    assert GroupMapping.objects.get().unit_id == cast.team.pk
    response = client.post(
        "/account/sign-in/",
        {
            "form": "policy",
            "sso_required": "on",
            "break_glass": str(cast.admin.uuid),
            "jit_enabled": "on",
            "default_roles": ["seller"],
            "default_unit": "",
            "session_lifetime_hours": "12",
            "idle_timeout_minutes": "30",
            "version": "1",
        },
    )
    assert response.status_code == 302
    row = SignInSettings.objects.get()
    assert (row.sso_required, row.break_glass_id, row.idle_timeout_minutes) == (
        True,
        cast.admin.pk,
        30,
    )
    assert AuditEvent.objects.filter(action__startswith="sign_in.").count() == 3


def test_bad_input_is_shown_on_the_field(cast: Cast, login) -> None:
    client = login(cast.admin)
    response = client.post("/account/sign-in/", {**PROVIDER, "issuer": "http://login.acme.example"})
    assert response.status_code == 400
    assert "https://" in response.content.decode()
    assert not IdentityProvider.objects.exists()
    response = client.post(
        "/account/sign-in/",
        {
            "form": "policy",
            "sso_required": "on",
            "default_roles": ["seller"],
            "session_lifetime_hours": "12",
            "idle_timeout_minutes": "0",
        },
    )
    assert response.status_code == 400
    assert "Connect and enable an identity provider" in response.content.decode()
    assert not SignInSettings.objects.filter(sso_required=True).exists()


def test_stale_policy_is_refused(cast: Cast, login) -> None:
    client = login(cast.admin)
    data = {
        "form": "policy",
        "default_roles": ["seller"],
        "session_lifetime_hours": "12",
        "idle_timeout_minutes": "5",
        "version": "1",
    }
    assert client.post("/account/sign-in/", data).status_code == 302
    response = client.post("/account/sign-in/", {**data, "idle_timeout_minutes": "9"})
    assert response.status_code == 400
    assert "changed by someone else" in response.content.decode()
