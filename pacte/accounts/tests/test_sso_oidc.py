"""OpenID Connect single sign-on against a real OpenID provider (oidc-provider on Node.js)."""

from __future__ import annotations

import datetime
import html
import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from pacte.accounts import signin
from pacte.accounts.models import ExternalIdentity, IdentityProvider, Membership, User
from pacte.accounts.tests.sso_helpers import sign_in_at_provider
from pacte.audit.models import AuditEvent
from pacte.org.models import Placement
from pacte.testing.cast import Cast
from pacte.testing.peers import OidcProvider, oidc_provider, signing_key

ACCOUNTS = {
    "nina@acme.example": {
        "password": "idp-secret-1",
        "name": "Nina New",
        "groups": ["north", "sales"],
    },
    "eve@acme.example": {"password": "idp-secret-3", "name": "Eve East", "groups": ["east"]},
    "seller@acme.example": {
        "password": "idp-secret-2",
        "name": "Sam Seller",
        "groups": ["south", "leads"],
    },
}


@pytest.fixture
def op(cast: Cast) -> Iterator[OidcProvider]:
    with oidc_provider(
        redirect_uris=["http://testserver/sso/acme/oidc/callback/"],
        post_logout_redirect_uris=["http://testserver/account/login/"],
        accounts=ACCOUNTS,
    ) as peer:
        signin.save_identity_provider(
            workspace=cast.workspace,
            actor=cast.admin,
            kind="oidc",
            display_name="Sign in with Acme",
            email_domains="acme.example",
            issuer=peer.issuer,
            client_id=peer.client_id,
            client_secret=peer.client_secret,
        )
        signin.save_group_mapping(
            workspace=cast.workspace, actor=cast.admin, group="sales", roles=["seller"]
        )
        signin.save_group_mapping(
            workspace=cast.workspace, actor=cast.admin, group="north", roles=[], unit=cast.team
        )
        signin.save_group_mapping(
            workspace=cast.workspace,
            actor=cast.admin,
            group="south",
            roles=[],
            unit=cast.other_team,
        )
        signin.save_group_mapping(
            workspace=cast.workspace, actor=cast.admin, group="leads", roles=["seller", "lead"]
        )
        yield peer


def _jit(cast: Cast) -> None:
    signin.update_sign_in_settings(workspace=cast.workspace, actor=cast.admin, jit_enabled=True)


def test_first_sign_in_creates_the_member_with_mapped_roles_and_team(
    cast: Cast, op: OidcProvider
) -> None:
    _jit(cast)
    client = Client()
    response, _ = sign_in_at_provider(
        client, "/sso/acme/?next=/teams/", "nina@acme.example", "idp-secret-1"
    )
    assert response.status_code == 302
    assert response["Location"] == "/teams/"
    member = Membership.objects.for_workspace(cast.workspace).get(user__email="nina@acme.example")
    assert member.roles == ["seller"]
    assert member.name == "Nina New"
    placement = Placement.objects.get(membership=member)
    assert (placement.unit_id, placement.valid_from) == (cast.team.pk, timezone.localdate())
    assert ExternalIdentity.objects.filter(user=member.user).exists()
    assert (
        AuditEvent.objects.for_workspace(cast.workspace)
        .filter(action="sign_in.sso", actor=member)
        .exists()
    )
    assert client.get("/").status_code == 200


def test_existing_member_gets_mapped_roles_and_a_dated_move(cast: Cast, op: OidcProvider) -> None:
    client = Client()
    response, _ = sign_in_at_provider(client, "/sso/acme/", "seller@acme.example", "idp-secret-2")
    assert response.status_code == 302
    seller = Membership.objects.get(pk=cast.seller.pk)
    assert set(seller.roles) == {"seller", "lead"}
    history = list(Placement.objects.filter(membership=seller).order_by("valid_from"))
    assert [p.unit_id for p in history] == [cast.team.pk, cast.other_team.pk]
    assert history[0].valid_to == timezone.localdate()  # the old placement is closed, not rewritten
    assert history[0].valid_from == datetime.date(2020, 1, 1)


def test_unknown_person_is_refused_when_the_workspace_does_not_create_people(
    cast: Cast, op: OidcProvider
) -> None:
    client = Client()
    response, _ = sign_in_at_provider(client, "/sso/acme/", "nina@acme.example", "idp-secret-1")
    assert response.status_code == 403
    assert "Ask an admin to add you" in response.content.decode()
    assert not User.objects.filter(email="nina@acme.example").exists()
    assert AuditEvent.objects.get(action="sign_in.sso_refused").after["code"] == "not_provisioned"


def test_refusal_page_is_in_the_reader_language(cast: Cast, op: OidcProvider) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    response, _ = sign_in_at_provider(client, "/sso/acme/", "nina@acme.example", "idp-secret-1")
    assert response.status_code == 403
    assert "Connexion refusée" in response.content.decode()


def test_group_mapped_to_a_deleted_team_refuses_and_creates_nothing(
    cast: Cast, op: OidcProvider
) -> None:
    from pacte.org.services import create_unit, delete_unit

    _jit(cast)
    east = create_unit(workspace=cast.workspace, actor=None, name="East", parent=cast.company)
    mapping = signin.save_group_mapping(
        workspace=cast.workspace, actor=cast.admin, group="east", roles=["seller"], unit=east
    )
    delete_unit(unit=east, actor=None)
    mapping.refresh_from_db()
    assert mapping.unit is None
    response, _ = sign_in_at_provider(Client(), "/sso/acme/", "eve@acme.example", "idp-secret-3")
    assert response.status_code == 403
    assert "East" in response.content.decode()
    assert not User.objects.filter(email="eve@acme.example").exists()
    assert (
        AuditEvent.objects.get(action="sign_in.sso_refused").after["code"] == "mapping_team_missing"
    )


def test_a_provider_that_is_down_gets_a_clear_page(cast: Cast) -> None:
    from pacte.testing.peers import free_port

    signin.save_identity_provider(
        workspace=cast.workspace,
        actor=cast.admin,
        kind="oidc",
        display_name="Sign in with Acme",
        issuer=f"http://127.0.0.1:{free_port()}",
        client_id="pacte",
        client_secret="x",
    )
    response = Client().get("/sso/acme/")
    assert response.status_code == 502
    assert "did not answer" in response.content.decode()
    assert (
        AuditEvent.objects.get(action="sign_in.sso_refused").after["code"] == "provider_unavailable"
    )


def test_sign_out_goes_through_the_provider(cast: Cast, op: OidcProvider) -> None:
    client = Client()
    sign_in_at_provider(client, "/sso/acme/", "seller@acme.example", "idp-secret-2")
    response = client.post("/account/logout/")
    location = re.search(r'href="([^"]+)" data-autofollow', response.content.decode()).group(1)
    location = html.unescape(location)
    assert location.startswith(op.issuer)
    query = parse_qs(urlsplit(location).query)
    assert query["post_logout_redirect_uri"] == ["http://testserver/account/login/"]
    assert "id_token_hint" in query
    assert client.get("/").status_code == 302


def test_login_page_offers_the_provider_by_e_mail_domain(cast: Cast, op: OidcProvider) -> None:
    response = Client().post("/account/login/", {"username": "nina@acme.example", "sso": "1"})
    assert 'href="/sso/acme/?' in response.content.decode()
    response = Client().post("/account/login/", {"username": "x@elsewhere.example", "sso": "1"})
    assert "No company sign-in" in response.content.decode()


def test_secret_is_stored_encrypted_and_never_shown(
    cast: Cast, op: OidcProvider, login: Any
) -> None:
    provider = IdentityProvider.objects.for_workspace(cast.workspace).get()
    assert op.client_secret not in provider.client_secret_encrypted
    page = login(cast.admin).get("/account/sign-in/").content.decode()
    assert op.client_secret not in page
    assert "A secret is set" in page
    event = AuditEvent.objects.filter(action="sign_in.provider_saved").first()
    assert op.client_secret not in str(event.after)


# Bad tokens: the provider's answer is replaced by a crafted ID token ------------------------


def _forge(monkeypatch: Any, op: OidcProvider, claims: dict[str, Any], key: dict[str, Any]) -> None:
    from authlib.integrations.django_client import DjangoOAuth2App
    from joserfc import jwt
    from joserfc.jwk import RSAKey

    token = jwt.encode({"alg": "RS256", "kid": key["kid"]}, claims, RSAKey.import_key(key))

    def fetch_access_token(self: Any, redirect_uri: Any = None, **kwargs: Any) -> dict[str, Any]:
        return {"access_token": "forged", "token_type": "Bearer", "id_token": token}

    monkeypatch.setattr(DjangoOAuth2App, "fetch_access_token", fetch_access_token)


def _started(client: Client) -> tuple[str, str]:
    location = client.get("/sso/acme/")["Location"]
    state = parse_qs(urlsplit(location).query)["state"][0]
    data = next(v for k, v in client.session.items() if k.endswith(state))["data"]
    return state, data["nonce"]


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("wrong_key", "invalid_signature"),
        ("expired", "expired"),
        ("wrong_audience", "wrong_audience"),
        ("nonce_reused", "nonce_mismatch"),
    ],
)
def test_bad_id_tokens_are_refused(
    cast: Cast, op: OidcProvider, monkeypatch: Any, case: str, code: str
) -> None:
    _jit(cast)
    client = Client()
    _old_state, old_nonce = _started(client)
    state, nonce = _started(client)
    now = int(time.time())
    claims = {
        "iss": op.issuer,
        "aud": op.client_id,
        "sub": "nina@acme.example",
        "email": "nina@acme.example",
        "iat": now,
        "exp": now + 300,
        "nonce": nonce,
    }
    key = op.private_jwk
    if case == "wrong_key":
        key = signing_key(op.private_jwk["kid"])
    elif case == "expired":
        claims.update(iat=now - 3600, exp=now - 1800)
    elif case == "wrong_audience":
        claims["aud"] = "another-application"
    elif case == "nonce_reused":
        claims["nonce"] = old_nonce
    _forge(monkeypatch, op, claims, key)
    response = client.get(f"/sso/acme/oidc/callback/?code=x&state={state}")
    assert response.status_code == 400, response.content.decode()[:500]
    assert "could not be trusted" in response.content.decode()
    assert AuditEvent.objects.get(action="sign_in.sso_refused").after["code"] == code
    assert not User.objects.filter(email="nina@acme.example").exists()
    assert client.get("/").status_code == 302  # not signed in


def test_callback_without_a_sign_in_under_way_is_refused(cast: Cast, op: OidcProvider) -> None:
    response = Client().get("/sso/acme/oidc/callback/?code=x&state=made-up")
    assert response.status_code == 400
    assert AuditEvent.objects.get(action="sign_in.sso_refused").after["code"] == "state_mismatch"


@override_settings(PACTE_LOGIN_MAX_FAILURES_PER_ACCOUNT=3, PACTE_LOGIN_MAX_FAILURES=10)
def test_account_locked_by_password_guessing_still_signs_in_through_the_provider(
    cast: Cast, op: OidcProvider
) -> None:
    for n in range(4):
        Client(REMOTE_ADDR=f"203.0.113.{n + 1}").post(
            "/account/login/", {"username": "seller@acme.example", "password": "wrong"}
        )
    locked = Client().post(
        "/account/login/",
        {"username": "seller@acme.example", "password": "correct-horse-battery-staple"},
    )
    assert "Too many failed attempts" in locked.content.decode()
    client = Client()
    response, _ = sign_in_at_provider(client, "/sso/acme/", "seller@acme.example", "idp-secret-2")
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_a_provider_opens_its_own_workspace_only(cast: Cast, op: OidcProvider) -> None:
    """Acme's provider vouches for Sam in Acme; Sam's Globex membership shares the login but
    the single sign-on session does not open it."""
    from pacte.org.services import create_member

    create_member(
        workspace=cast.outsider_workspace,
        actor=None,
        email="seller@acme.example",
        name="Sam G",
        roles=["seller"],
        unit=cast.outsider_team,
    )
    client = Client()
    sign_in_at_provider(client, "/sso/acme/", "seller@acme.example", "idp-secret-2")
    me = client.get("/api/v1/me").json()
    assert [w["slug"] for w in me["workspaces"]] == ["acme"]
    client.post("/account/workspace/", {"workspace": cast.outsider_workspace.uuid})
    assert client.get("/api/v1/me").json()["workspace"]["slug"] == "acme"


def test_an_address_outside_the_company_domains_is_refused(cast: Cast, op: OidcProvider) -> None:
    signin.save_identity_provider(
        workspace=cast.workspace,
        actor=cast.admin,
        kind="oidc",
        display_name="Sign in with Acme",
        email_domains="acme.fr",
        issuer=op.issuer,
        client_id=op.client_id,
    )
    response, _ = sign_in_at_provider(Client(), "/sso/acme/", "seller@acme.example", "idp-secret-2")
    assert response.status_code == 403
    assert AuditEvent.objects.get(action="sign_in.sso_refused").after["code"] == "foreign_domain"
