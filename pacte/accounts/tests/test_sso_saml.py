"""SAML 2.0 single sign-on against a real identity provider (pysaml2, its own process)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from pacte.accounts import signin
from pacte.accounts.models import Membership, User
from pacte.accounts.tests.sso_helpers import form_fields, sign_in_at_provider
from pacte.audit.models import AuditEvent
from pacte.testing.cast import Cast
from pacte.testing.peers import SamlIdp, forged_saml_response, free_port, saml_idp
from pacte.testing.saml import self_signed

ACCOUNTS = {
    "nina@acme.example": {"password": "idp-secret-1", "name": "Nina New", "groups": ["north"]},
}
SP = "http://testserver/sso/acme/saml/metadata/"
ACS = "http://testserver/sso/acme/saml/acs/"


@pytest.fixture
def idp(cast: Cast) -> Iterator[tuple[SamlIdp, str]]:
    port = free_port()
    signin.save_identity_provider(
        workspace=cast.workspace,
        actor=cast.admin,
        kind="saml",
        display_name="Sign in with Acme",
        metadata_url=f"http://127.0.0.1:{port}/metadata",
    )
    signin.save_group_mapping(
        workspace=cast.workspace, actor=cast.admin, group="north", roles=["seller"], unit=cast.team
    )
    signin.update_sign_in_settings(workspace=cast.workspace, actor=cast.admin, jit_enabled=True)
    sp_metadata = Client().get("/sso/acme/saml/metadata/").content.decode()
    with saml_idp(sp_metadata=sp_metadata, accounts=ACCOUNTS, port=port) as peer:
        yield peer, sp_metadata


def test_sp_metadata_is_published_per_workspace(idp: tuple[SamlIdp, str]) -> None:
    _peer, xml = idp
    assert f'entityID="{SP}"' in xml
    assert ACS in xml
    assert 'WantAssertionsSigned="true"' in xml


def test_sign_in_creates_the_member_with_mapped_role_and_team(
    cast: Cast, idp: tuple[SamlIdp, str]
) -> None:
    client = Client()
    response, _ = sign_in_at_provider(client, "/sso/acme/", "nina@acme.example", "idp-secret-1")
    assert response.status_code == 302, response.content.decode()[:400]
    member = Membership.objects.get(user__email="nina@acme.example")
    assert member.roles == ["seller"]
    assert member.placements.get().unit_id == cast.team.pk
    assert client.get("/").status_code == 200


def test_wrong_password_at_the_provider_signs_nobody_in(
    cast: Cast, idp: tuple[SamlIdp, str]
) -> None:
    _response, provider_page = sign_in_at_provider(
        Client(), "/sso/acme/", "nina@acme.example", "no"
    )
    assert provider_page is not None
    assert "Wrong e-mail or password" in provider_page.text
    assert not User.objects.filter(email="nina@acme.example").exists()


def _pending_request(client: Client) -> str:
    client.get("/sso/acme/")
    return next(iter(client.session["pacte_saml_requests"]))


def _finish(client: Client, saml_response: str) -> Any:
    handover = client.post("/sso/acme/saml/acs/", {"SAMLResponse": saml_response})
    assert handover.status_code == 200
    value = form_fields(handover.content.decode())["SAMLResponse"]
    return client.post("/sso/acme/saml/finish/", {"SAMLResponse": value})


def _refused(response: Any, code: str) -> None:
    assert response.status_code == 400, response.content.decode()[:400]
    assert "could not be trusted" in response.content.decode()
    assert AuditEvent.objects.filter(action="sign_in.sso_refused").last().after["code"] == code
    assert not User.objects.filter(email="nina@acme.example").exists()


def test_replayed_assertion_is_refused(cast: Cast, idp: tuple[SamlIdp, str]) -> None:
    peer, sp_metadata = idp
    client = Client()
    saml = forged_saml_response(
        idp_entity_id=f"{peer.base}/metadata",
        key_pem=peer.key_pem,
        cert_pem=peer.cert_pem,
        sp_metadata=sp_metadata,
        sp_entity_id=SP,
        acs=ACS,
        in_response_to=_pending_request(client),
        email="nina@acme.example",
    )
    assert _finish(client, saml).status_code == 302
    client.post("/account/logout/")
    User.objects.filter(email="nina@acme.example").delete()
    _refused(_finish(client, saml), "replayed")


@pytest.mark.parametrize("case", ["wrong_key", "expired", "wrong_audience"])
def test_bad_assertions_are_refused(cast: Cast, idp: tuple[SamlIdp, str], case: str) -> None:
    peer, sp_metadata = idp
    client = Client()
    key, cert = peer.key_pem, peer.cert_pem
    if case == "wrong_key":
        key, cert = self_signed("Impostor")
    saml = forged_saml_response(
        idp_entity_id=f"{peer.base}/metadata",
        key_pem=key,
        cert_pem=cert,
        sp_metadata=sp_metadata,
        sp_entity_id="https://another-application.example/" if case == "wrong_audience" else SP,
        acs=ACS,
        in_response_to=_pending_request(client),
        email="nina@acme.example",
        lifetime_minutes=-30 if case == "expired" else 5,
    )
    code = {
        "wrong_key": "invalid_signature",
        "expired": "expired",
        "wrong_audience": "wrong_audience",
    }
    _refused(_finish(client, saml), code[case])


def test_garbage_is_refused(cast: Cast, idp: tuple[SamlIdp, str]) -> None:
    client = Client()
    _pending_request(client)
    _refused(_finish(client, "not base64 at all"), "invalid_token")
