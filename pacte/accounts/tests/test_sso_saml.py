"""SAML 2.0 single sign-on against a real identity provider (pysaml2, its own process)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from typing import Any

import pytest
import requests
from django.test import Client

from pacte import encryption
from pacte.accounts import signin
from pacte.accounts.models import Membership, User
from pacte.accounts.tests.sso_helpers import form_fields, sign_in_at_provider
from pacte.audit.models import AuditEvent
from pacte.testing.cast import Cast
from pacte.testing.peers import SamlIdp, forged_saml_response, free_port, saml_idp
from pacte.testing.saml import cert_body, self_signed

ACCOUNTS = {
    "nina@acme.example": {"password": "idp-secret-1", "name": "Nina New", "groups": ["north"]},
}
SP = "http://testserver/sso/acme/saml/metadata/"
ACS = "http://testserver/sso/acme/saml/acs/"
SLO = "http://testserver/sso/acme/saml/slo/"


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


# Signed requests and Single Logout ------------------------------------------------------


def test_sp_metadata_publishes_signing_key_and_single_logout(
    cast: Cast, idp: tuple[SamlIdp, str]
) -> None:
    from pacte.accounts.models import IdentityProvider

    _peer, xml = idp
    provider = IdentityProvider.objects.get(workspace=cast.workspace)
    assert 'AuthnRequestsSigned="true"' in xml
    assert 'use="signing"' in xml
    assert cert_body(provider.sp_certificate) in xml
    assert "BEGIN" not in provider.sp_key_encrypted  # stored encrypted
    assert "PRIVATE KEY" in encryption.decrypt(provider.sp_key_encrypted)
    for binding in ("HTTP-Redirect", "HTTP-POST"):
        assert (
            f'SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:{binding}" '
            f'Location="{SLO}"'
        ) in xml
    # The key is made once: the metadata stays the same.
    assert Client().get("/sso/acme/saml/metadata/").content.decode() == xml


@pytest.fixture
def strict_idp(cast: Cast) -> Iterator[SamlIdp]:
    """A provider that refuses unsigned authentication requests."""
    port = free_port()
    signin.save_identity_provider(
        workspace=cast.workspace,
        actor=cast.admin,
        kind="saml",
        display_name="Sign in with Acme",
        metadata_url=f"http://127.0.0.1:{port}/metadata",
    )
    signin.update_sign_in_settings(workspace=cast.workspace, actor=cast.admin, jit_enabled=True)
    sp_metadata = Client().get("/sso/acme/saml/metadata/").content.decode()
    with saml_idp(
        sp_metadata=sp_metadata, accounts=ACCOUNTS, port=port, want_authn_requests_signed=True
    ) as peer:
        yield peer


def test_signed_request_is_accepted_by_a_provider_that_requires_it(
    cast: Cast, strict_idp: SamlIdp
) -> None:
    client = Client()
    response, _ = sign_in_at_provider(client, "/sso/acme/", "nina@acme.example", "idp-secret-1")
    assert response.status_code == 302, response.content.decode()[:400]
    assert client.get("/").status_code == 200
    # The same request stripped of its signature is refused by the provider.
    location = Client().get("/sso/acme/")["Location"]
    assert "Signature=" in location
    assert "SigAlg=" in location
    unsigned = re.sub(r"&(SigAlg|Signature)=[^&]*", "", location)
    assert requests.get(unsigned, timeout=30).status_code == 403
    assert requests.get(location, timeout=30).status_code == 200


def _signed_in(client: Client) -> None:
    response, _ = sign_in_at_provider(client, "/sso/acme/", "nina@acme.example", "idp-secret-1")
    assert response.status_code == 302, response.content.decode()[:400]
    assert client.get("/").status_code == 200


def test_sign_out_sends_a_signed_logout_request_to_the_provider(
    cast: Cast, idp: tuple[SamlIdp, str]
) -> None:
    peer, _ = idp
    client = Client()
    _signed_in(client)
    page = client.post("/account/logout/").content.decode()
    target = unescape(re.search(r'href="(http://127\.0\.0\.1[^"]+)"', page).group(1))
    assert target.startswith(f"{peer.base}/slo?SAMLRequest=")
    assert "Signature=" in target
    answer = requests.get(target, allow_redirects=False, timeout=30)
    assert answer.status_code == 302, answer.text  # the provider checked the signature
    assert requests.get(f"{peer.base}/logged-out", timeout=30).json() == ["nina@acme.example"]
    assert answer.headers["Location"].startswith(f"{SLO}?SAMLResponse=")
    back = client.get(answer.headers["Location"].removeprefix("http://testserver"))
    assert back.status_code == 302
    assert back["Location"] == "/account/login/"
    assert client.get("/")["Location"].startswith("/account/login/")


def test_provider_initiated_logout_ends_the_session(cast: Cast, idp: tuple[SamlIdp, str]) -> None:
    peer, _ = idp
    client = Client()
    _signed_in(client)
    start = requests.get(
        f"{peer.base}/initiate-logout",
        params={"email": "nina@acme.example", "sp": SP},
        allow_redirects=False,
        timeout=30,
    )
    location = start.headers["Location"]
    assert location.startswith(f"{SLO}?SAMLRequest=")
    assert "Signature=" in location
    # The provider sends the browser of another device: no Pacte cookie.
    answer = Client().get(location.removeprefix("http://testserver"))
    assert answer.status_code == 302, answer.content.decode()[:400]
    assert answer["Location"].startswith(f"{peer.base}/slo?SAMLResponse=")
    done = requests.get(answer["Location"], timeout=30)
    assert done.status_code == 200
    assert done.text == "signed out everywhere"
    assert client.get("/")["Location"].startswith("/account/login/")
    event = AuditEvent.objects.filter(action="sessions.ended").last()
    assert event is not None
    assert event.after == {"reason": "saml_logout"}
    # The same request again is refused.
    assert Client().get(location.removeprefix("http://testserver")).status_code == 400
    refusal = AuditEvent.objects.filter(action="sign_in.sso_refused").last()
    assert refusal is not None
    assert refusal.after["code"] == "replayed"


@pytest.mark.parametrize("case", ["unsigned", "forged"])
def test_unsigned_or_forged_logout_request_is_refused(
    cast: Cast, idp: tuple[SamlIdp, str], case: str
) -> None:
    peer, _ = idp
    client = Client()
    _signed_in(client)
    if case == "unsigned":
        start = requests.get(
            f"{peer.base}/initiate-logout",
            params={"email": "nina@acme.example", "sp": SP},
            allow_redirects=False,
            timeout=30,
        )
        location = re.sub(r"&(SigAlg|Signature)=[^&]*", "", start.headers["Location"])
    else:
        location = _forged_logout_request(f"{peer.base}/metadata", "nina@acme.example")
    response = Client().get(location.removeprefix("http://testserver"))
    assert response.status_code == 400, response.content.decode()[:400]
    assert "could not be trusted" in response.content.decode()
    event = AuditEvent.objects.filter(action="sign_in.sso_refused").last()
    assert event is not None
    assert event.after["code"] == "unsigned_logout"
    assert client.get("/").status_code == 200  # still signed in


def _forged_logout_request(issuer: str, email: str) -> str:
    """A LogoutRequest signed with a key the provider's metadata does not hold."""
    import tempfile
    from pathlib import Path

    from saml2 import BINDING_HTTP_REDIRECT
    from saml2.config import IdPConfig
    from saml2.saml import NAMEID_FORMAT_EMAILADDRESS, NameID
    from saml2.server import Server

    key, cert = self_signed("Impostor")
    sp_metadata = Client().get("/sso/acme/saml/metadata/").content.decode()
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "k.pem").write_text(key)
        (Path(tmp) / "c.pem").write_text(cert)
        config = IdPConfig()
        config.load(
            {
                "entityid": issuer,
                "xmlsec_binary": "/usr/bin/xmlsec1",
                "key_file": str(Path(tmp) / "k.pem"),
                "cert_file": str(Path(tmp) / "c.pem"),
                "service": {"idp": {"endpoints": {}}},
                "metadata": {"inline": [sp_metadata]},
            }
        )
        server = Server(config=config)
        _request_id, request = server.create_logout_request(
            SLO, SP, name_id=NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=email), sign=False
        )
        info = server.apply_binding(BINDING_HTTP_REDIRECT, str(request), SLO, sign=True)
    return str(dict(info["headers"])["Location"])
