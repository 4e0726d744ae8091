"""Single sign-on with the workspace's identity provider: OpenID Connect and SAML 2.0.

Libraries, and why:

- OpenID Connect: **Authlib** (``authlib.integrations.django_client``). Discovery from the
  issuer URL, the authorisation code flow with PKCE (S256), a nonce bound to the session, and
  the ID token's signature (JWKS), issuer, audience, expiry and nonce all checked; clients are
  built per workspace from our ``IdentityProvider`` rows. django-allauth's OpenID Connect
  provider neither sends nor checks a nonce, skips the ID token signature when the token comes
  from the token endpoint, and has no RP-initiated logout; mozilla-django-oidc is configured
  by settings for a single provider and has no discovery.
- SAML 2.0: **pysaml2** (the maintained Python SAML implementation; signatures checked by
  Debian's ``xmlsec1``), also the identity provider the tests run in its own process. It takes
  the clock skew as a setting (``PACTE_SAML_CLOCK_SKEW_SECONDS``), checks audience, validity
  window, ``InResponseTo`` and the assertion's signature (required). django-allauth's SAML
  provider uses python3-saml, whose clock drift is a library constant.

A refusal (bad signature, wrong audience, expired or replayed assertion, reused nonce, a
mapping to a deleted team, a provider that does not answer) raises ``SSOError``: the page says
why in the reader's language, an audit event records it, and nothing is created.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import logging
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from django.conf import settings
from django.contrib.auth import login
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from pacte import encryption
from pacte.accounts.models import (
    ExternalIdentity,
    IdentityProvider,
    Membership,
    ProviderKind,
    User,
)
from pacte.accounts.provisioning import apply_identity
from pacte.accounts.sessions import SSO_WORKSPACE, Method, mark_signed_in
from pacte.errors import DomainError

logger = logging.getLogger("pacte.sso")

ID_TOKEN = "pacte_oidc_id_token"
SAML_REQUESTS = "pacte_saml_requests"
#: The SAML subject of this session (NameID, its format, the session index, the provider's
#: entity id): what a Single Logout request names.
SAML_SUBJECT = "pacte_saml_subject"
#: Pacte's signing certificate for a workspace lasts ten years (self-signed: providers trust
#: the certificate of the metadata, not a chain).
SP_CERTIFICATE_DAYS = 3650
METADATA_CACHE_SECONDS = 600


class SSOError(Exception):
    """A refused single sign-on: ``code`` is stable, ``message`` for the person."""

    def __init__(self, code: str, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def provider_down() -> SSOError:
    return SSOError(
        "provider_unavailable",
        _("Your company's identity provider did not answer. Try again in a few minutes."),
        status=502,
    )


def refused(code: str) -> SSOError:
    return SSOError(
        code,
        _(
            "Your company's identity provider sent an answer that could not be trusted "
            "(%(reason)s). You were not signed in."
        )
        % {"reason": REASONS.get(code, code)},
    )


REASONS: dict[str, Any] = {}


def _reasons() -> None:
    from django.utils.translation import gettext_lazy

    REASONS.update(
        {
            "invalid_signature": gettext_lazy("bad signature"),
            "invalid_token": gettext_lazy("invalid token"),
            "wrong_audience": gettext_lazy("issued for another application"),
            "expired": gettext_lazy("expired"),
            "replayed": gettext_lazy("already used"),
            "nonce_mismatch": gettext_lazy("it does not answer this sign-in"),
            "state_mismatch": gettext_lazy("it does not answer this sign-in"),
            "issuer_mismatch": gettext_lazy("wrong issuer"),
            "no_email": gettext_lazy("no e-mail address"),
            "provider_error": gettext_lazy("the provider reported an error"),
            "unsigned_logout": gettext_lazy("an unsigned or wrongly signed sign-out request"),
        }
    )


_reasons()


@dataclass
class Identity:
    subject: str
    email: str
    name: str
    groups: list[str] = field(default_factory=list)
    id_token: str = ""
    saml_subject: dict[str, str] = field(default_factory=dict)


# OpenID Connect --------------------------------------------------------------------------


def _http_get_json(url: str) -> dict[str, Any]:
    try:
        response = requests.get(url, timeout=settings.PACTE_SSO_TIMEOUT_SECONDS)
        response.raise_for_status()
        data = response.json()
    except (requests.RequestException, ValueError):
        raise provider_down() from None
    if not isinstance(data, dict):
        raise provider_down()
    return data


def oidc_metadata(provider: IdentityProvider) -> dict[str, Any]:
    """The discovery document (cached ten minutes); its issuer must be the configured one."""
    key = f"pacte:oidc:{provider.issuer}"
    metadata = cache.get(key)
    if metadata is None:
        metadata = _http_get_json(provider.issuer + "/.well-known/openid-configuration")
        if str(metadata.get("issuer", "")).rstrip("/") != provider.issuer.rstrip("/"):
            raise refused("issuer_mismatch")
        metadata["jwks"] = _http_get_json(str(metadata["jwks_uri"]))
        cache.set(key, metadata, METADATA_CACHE_SECONDS)
    return dict(metadata)


def oidc_client(provider: IdentityProvider) -> Any:
    from authlib.integrations.django_client import DjangoIntegration, DjangoOAuth2App

    metadata = oidc_metadata(provider)
    metadata["_loaded_at"] = timezone.now().timestamp()
    return DjangoOAuth2App(
        DjangoIntegration(f"pacte-{provider.uuid}"),
        name=f"pacte-{provider.uuid}",
        client_id=provider.client_id,
        client_secret=encryption.decrypt(provider.client_secret_encrypted),
        client_kwargs={
            "scope": provider.scopes,
            "code_challenge_method": "S256",
            "default_timeout": settings.PACTE_SSO_TIMEOUT_SECONDS,
        },
        **metadata,
    )


def callback_url(request: HttpRequest, provider: IdentityProvider) -> str:
    return request.build_absolute_uri(reverse("sso:oidc_callback", args=[provider.workspace.slug]))


def oidc_start(request: HttpRequest, provider: IdentityProvider, *, login_hint: str = "") -> Any:
    client = oidc_client(provider)
    extra = {"login_hint": login_hint} if login_hint else {}
    try:
        return client.authorize_redirect(request, callback_url(request, provider), **extra)
    except requests.RequestException:
        raise provider_down() from None


def oidc_finish(request: HttpRequest, provider: IdentityProvider) -> Identity:
    from authlib.integrations.base_client.errors import MismatchingStateError, OAuthError
    from joserfc.errors import (
        BadSignatureError,
        ClaimError,
        ExpiredTokenError,
        JoseError,
    )

    client = oidc_client(provider)
    try:
        token = client.authorize_access_token(request)
    except MismatchingStateError:
        raise refused("state_mismatch") from None
    except OAuthError as exc:
        logger.warning("OIDC provider error: %s", exc)
        raise refused("provider_error") from None
    except requests.RequestException:
        raise provider_down() from None
    except BadSignatureError:
        raise refused("invalid_signature") from None
    except ExpiredTokenError:
        raise refused("expired") from None
    except ClaimError as exc:  # invalid or missing claim
        claim = getattr(exc, "claim", "")
        code = {
            "aud": "wrong_audience",
            "azp": "wrong_audience",
            "nonce": "nonce_mismatch",
            "iss": "issuer_mismatch",
            "exp": "expired",
        }
        raise refused(code.get(claim, "invalid_token")) from None
    except (JoseError, ValueError, KeyError) as exc:
        logger.warning("OIDC token refused: %r", exc)
        text = str(exc).lower()
        if "signature" in text or "key" in text:
            raise refused("invalid_signature") from None
        raise refused("invalid_token") from None
    claims = dict(token.get("userinfo") or {})
    if not claims:
        raise refused("invalid_token")
    try:
        info = client.userinfo(token=token)
        claims = {**dict(info), **claims}
    except Exception:  # noqa: S110 - userinfo is optional; the ID token holds what we need
        pass
    email = str(claims.get("email") or "").strip().lower()
    if not email or claims.get("email_verified") is False:
        raise refused("no_email")
    name = str(
        claims.get("name")
        or " ".join(str(claims.get(k) or "") for k in ("given_name", "family_name")).strip()
    )
    return Identity(
        subject=str(claims["sub"]),
        email=email,
        name=name,
        groups=_as_list(claims.get(provider.groups_claim)),
        id_token=str(token.get("id_token") or ""),
    )


def oidc_logout_url(request: HttpRequest, provider: IdentityProvider, id_token: str) -> str | None:
    """The provider's end-session URL (RP-initiated logout), when it offers one."""
    try:
        metadata = oidc_metadata(provider)
    except SSOError:
        return None
    endpoint = metadata.get("end_session_endpoint")
    if not endpoint:
        return None
    from authlib.common.urls import add_params_to_uri

    params = [
        ("client_id", provider.client_id),
        ("post_logout_redirect_uri", request.build_absolute_uri(reverse("accounts:login"))),
    ]
    if id_token:
        params.append(("id_token_hint", id_token))
    return str(add_params_to_uri(str(endpoint), params))


def _as_list(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple | set):
        return [str(v) for v in value]
    return [v.strip() for v in str(value).split(",") if v.strip()]


# SAML 2.0 -------------------------------------------------------------------------------


def saml_metadata_xml(provider: IdentityProvider) -> str:
    if provider.metadata_xml:
        return provider.metadata_xml
    key = f"pacte:saml:{provider.metadata_url}"
    xml = cache.get(key)
    if xml is None:
        try:
            response = requests.get(
                provider.metadata_url, timeout=settings.PACTE_SSO_TIMEOUT_SECONDS
            )
            response.raise_for_status()
        except requests.RequestException:
            raise provider_down() from None
        xml = response.text
        cache.set(key, xml, METADATA_CACHE_SECONDS)
    return str(xml)


def sp_urls(request: HttpRequest, provider: IdentityProvider) -> tuple[str, str]:
    """Our entity id (the metadata URL) and assertion consumer service URL."""
    slug = provider.workspace.slug
    return (
        request.build_absolute_uri(reverse("sso:saml_metadata", args=[slug])),
        request.build_absolute_uri(reverse("sso:saml_acs", args=[slug])),
    )


def new_sp_keypair(common_name: str) -> tuple[str, str]:
    """A 2048-bit RSA key and its self-signed certificate (PEM), for signing our requests."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64])])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=SP_CERTIFICATE_DAYS))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    return key_pem, cert.public_bytes(serialization.Encoding.PEM).decode()


def sp_keypair(provider: IdentityProvider) -> tuple[str, str]:
    """The workspace's SAML signing key and certificate, made and stored (the key encrypted)
    at first need; two concurrent first requests keep the first one stored."""
    if not provider.sp_certificate:
        key_pem, cert_pem = new_sp_keypair(f"Pacte {provider.workspace.slug}")
        IdentityProvider.objects.filter(pk=provider.pk, sp_certificate="").update(
            sp_key_encrypted=encryption.encrypt(key_pem), sp_certificate=cert_pem
        )
        provider.refresh_from_db(fields=["sp_key_encrypted", "sp_certificate"])
    return encryption.decrypt(provider.sp_key_encrypted), provider.sp_certificate


def slo_url(request: HttpRequest, provider: IdentityProvider) -> str:
    return request.build_absolute_uri(reverse("sso:saml_slo", args=[provider.workspace.slug]))


def saml_config(
    request: HttpRequest,
    provider: IdentityProvider,
    *,
    key_file: str,
    cert_file: str,
    with_idp: bool = True,
) -> Any:
    from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
    from saml2.config import SPConfig
    from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

    entity_id, acs = sp_urls(request, provider)
    slo = slo_url(request, provider)
    conf: dict[str, Any] = {
        "entityid": entity_id,
        "xmlsec_binary": settings.PACTE_XMLSEC_BINARY,
        "accepted_time_diff": settings.PACTE_SAML_CLOCK_SKEW_SECONDS,
        "allow_unknown_attributes": True,
        "key_file": key_file,
        "cert_file": cert_file,
        "signing_algorithm": SIG_RSA_SHA256,
        "digest_algorithm": DIGEST_SHA256,
        "service": {
            "sp": {
                "name": str(provider.workspace.name),
                "endpoints": {
                    "assertion_consumer_service": [(acs, BINDING_HTTP_POST)],
                    "single_logout_service": [
                        (slo, BINDING_HTTP_REDIRECT),
                        (slo, BINDING_HTTP_POST),
                    ],
                },
                "want_assertions_signed": True,
                "want_response_signed": False,
                "allow_unsolicited": False,
                "authn_requests_signed": True,
                "logout_requests_signed": True,
            }
        },
    }
    if with_idp:
        conf["metadata"] = {"inline": [saml_metadata_xml(provider)]}
    config = SPConfig()
    try:
        config.load(conf)
    except SSOError:
        raise
    except Exception as exc:
        logger.warning("SAML configuration refused: %r", exc)
        raise SSOError(
            "invalid_metadata",
            _("The identity provider's metadata cannot be read. An admin must correct it."),
        ) from None
    return config


@contextmanager
def _sp_files(provider: IdentityProvider) -> Iterator[tuple[str, str]]:
    """The key and certificate as files for ``xmlsec1``, readable by this process only, and
    removed as soon as the message is signed."""
    key_pem, cert_pem = sp_keypair(provider)
    with tempfile.TemporaryDirectory(prefix="pacte-saml-") as tmp:
        key_file, cert_file = Path(tmp) / "sp.key", Path(tmp) / "sp.crt"
        key_file.touch(mode=0o600)
        key_file.write_text(key_pem)
        cert_file.write_text(cert_pem)
        yield str(key_file), str(cert_file)


@contextmanager
def saml_client(request: HttpRequest, provider: IdentityProvider) -> Iterator[Any]:
    from saml2.client import Saml2Client

    with _sp_files(provider) as (key_file, cert_file):
        yield Saml2Client(
            config=saml_config(request, provider, key_file=key_file, cert_file=cert_file)
        )


def _one_idp(client: Any) -> str:
    idps = list(client.metadata.identity_providers())
    if len(idps) != 1:
        raise SSOError(
            "invalid_metadata",
            _("The identity provider's metadata cannot be read. An admin must correct it."),
        )
    return str(idps[0])


def saml_start(request: HttpRequest, provider: IdentityProvider) -> str:
    """The provider's sign-in address with a signed AuthnRequest (HTTP-Redirect: the signature
    travels in the query string, ``SigAlg`` RSA-SHA256)."""
    from saml2 import BINDING_HTTP_REDIRECT
    from saml2.xmldsig import SIG_RSA_SHA256

    with saml_client(request, provider) as client:
        request_id, info = client.prepare_for_authenticate(
            entityid=_one_idp(client),
            binding=BINDING_HTTP_REDIRECT,
            sign=True,
            sigalg=SIG_RSA_SHA256,
        )
    pending = dict(request.session.get(SAML_REQUESTS, {}))
    pending[request_id] = str(provider.uuid)
    request.session[SAML_REQUESTS] = dict(list(pending.items())[-5:])
    return str(dict(info["headers"])["Location"])


def saml_finish(request: HttpRequest, provider: IdentityProvider, saml_response: str) -> Identity:
    from saml2 import BINDING_HTTP_POST
    from saml2.response import (
        IncorrectlySigned,
        StatusError,
        UnsolicitedResponse,
    )
    from saml2.sigver import SignatureError
    from saml2.validate import ResponseLifetimeExceed, ToEarly

    pending = dict(request.session.get(SAML_REQUESTS, {}))
    _entity_id, acs = sp_urls(request, provider)
    outstanding = {rid: acs for rid, uuid in pending.items() if uuid == str(provider.uuid)}
    try:
        base64.b64decode(saml_response, validate=True)
    except (binascii.Error, ValueError):
        raise refused("invalid_token") from None
    try:
        with saml_client(request, provider) as client:
            response = client.parse_authn_request_response(
                saml_response, BINDING_HTTP_POST, outstanding=outstanding
            )
    except (SignatureError, IncorrectlySigned):
        raise refused("invalid_signature") from None
    except (ResponseLifetimeExceed, ToEarly):
        raise refused("expired") from None
    except UnsolicitedResponse:
        raise refused("replayed") from None
    except StatusError:
        raise refused("provider_error") from None
    except Exception as exc:
        logger.warning("SAML response refused: %r", exc)
        if _expired(saml_response):
            raise refused("expired") from None
        text = str(exc).lower()
        if "audience" in text:
            raise refused("wrong_audience") from None
        if "signature" in text or "signed" in text:
            raise refused("invalid_signature") from None
        raise refused("invalid_token") from None
    if response is None:
        raise refused("wrong_audience")
    in_response_to = getattr(response, "in_response_to", None)
    if in_response_to not in outstanding:
        raise refused("replayed")
    pending.pop(in_response_to, None)
    request.session[SAML_REQUESTS] = pending
    assertion_id = str(getattr(response.assertion, "id", "") or "")
    if assertion_id and not cache.add(f"pacte:saml:seen:{assertion_id}", 1, 24 * 3600):
        raise refused("replayed")
    ava = {str(k): v for k, v in (response.ava or {}).items()}
    name_id = response.name_id
    email = _first(
        ava,
        "email",
        "mail",
        "emailaddress",
        "emailAddress",
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
    )
    if not email and name_id is not None and "@" in str(name_id.text or ""):
        email = str(name_id.text)
    if not email:
        raise refused("no_email")
    name = _first(
        ava, "displayName", "name", "cn", "http://schemas.microsoft.com/identity/claims/displayname"
    )
    if not name:
        name = " ".join(filter(None, [_first(ava, "givenName"), _first(ava, "sn", "surname")]))
    groups = ava.get(provider.groups_claim) or []
    subject = str(name_id.text) if name_id is not None and name_id.text else email
    session_index = ""
    for statement in getattr(response.assertion, "authn_statement", None) or []:
        session_index = str(statement.session_index or "")
    return Identity(
        subject=subject,
        email=email.strip().lower(),
        name=name,
        groups=_as_list(groups),
        saml_subject={
            "name_id": subject,
            "format": str(getattr(name_id, "format", "") or ""),
            "session_index": session_index,
            "idp": str(response.issuer() or ""),
        },
    )


def _expired(saml_response: str) -> bool:
    """Whether the assertion's validity ended (beyond the allowed skew): pysaml2 reports a
    failed condition without saying which."""
    import datetime

    from defusedxml import ElementTree

    try:
        root = ElementTree.fromstring(base64.b64decode(saml_response))
    except Exception:
        return False
    now = timezone.now() - datetime.timedelta(seconds=settings.PACTE_SAML_CLOCK_SKEW_SECONDS)
    for node in root.iter("{urn:oasis:names:tc:SAML:2.0:assertion}Conditions"):
        end = node.get("NotOnOrAfter")
        if end and datetime.datetime.fromisoformat(end.replace("Z", "+00:00")) <= now:
            return True
    return False


def _first(ava: dict[str, Any], *names: str) -> str:
    for name in names:
        values = ava.get(name)
        if values:
            return str(values[0] if isinstance(values, list | tuple) else values)
    return ""


def sp_metadata(request: HttpRequest, provider: IdentityProvider) -> str:
    from saml2.metadata import entity_descriptor

    with _sp_files(provider) as (key_file, cert_file):
        config = saml_config(
            request, provider, key_file=key_file, cert_file=cert_file, with_idp=False
        )
        return str(entity_descriptor(config))


# SAML Single Logout ---------------------------------------------------------------------


def saml_logout_url(request: HttpRequest, provider: IdentityProvider) -> str | None:
    """SP-initiated logout: the provider's Single Logout address with a signed LogoutRequest
    naming this session's subject, when the provider's metadata has an HTTP-Redirect Single
    Logout service; None otherwise (sign-out is then local)."""
    from saml2 import BINDING_HTTP_REDIRECT
    from saml2.saml import NameID
    from saml2.xmldsig import SIG_RSA_SHA256

    subject = request.session.get(SAML_SUBJECT)
    if not subject:
        return None
    try:
        with saml_client(request, provider) as client:
            idp = _one_idp(client)
            services = client.metadata.single_logout_service(idp, BINDING_HTTP_REDIRECT, "idpsso")
            if not services:
                return None
            destination = str(services[0]["location"])
            _request_id, message = client.create_logout_request(
                destination,
                idp,
                name_id=NameID(text=subject["name_id"], format=subject.get("format") or None),
                session_indexes=[subject["session_index"]]
                if subject.get("session_index")
                else None,
                sign=False,
                expire=None,
            )
            info = client.apply_binding(
                BINDING_HTTP_REDIRECT, str(message), destination, sign=True, sigalg=SIG_RSA_SHA256
            )
    except SSOError:
        return None
    return str(dict(info["headers"])["Location"])


@dataclass
class LogoutOutcome:
    """What the Single Logout endpoint did: ``redirect`` is where the browser goes next."""

    redirect: str
    user: User | None = None


def saml_logout(
    request: HttpRequest,
    provider: IdentityProvider,
    *,
    binding: str,
    message: str,
    is_response: bool,
    relay_state: str | None,
    sigalg: str | None,
    signature: str | None,
) -> LogoutOutcome:
    """A message at our Single Logout service.

    - A **LogoutRequest** (IdP-initiated) must be signed by the provider (query-string
      signature for HTTP-Redirect, XML signature for HTTP-POST), else it is refused
      (``unsigned_logout``). Every Pacte session of the person it names ends; the answer is
      a signed LogoutResponse sent to the provider's Single Logout service.
    - A **LogoutResponse** answers our own request: the session already ended here, the
      person lands on the login page.
    """
    from saml2 import BINDING_HTTP_REDIRECT
    from saml2.request import LogoutRequest
    from saml2.xmldsig import SIG_RSA_SHA256

    login_url = reverse("accounts:login")
    if is_response:
        return LogoutOutcome(redirect=login_url)
    with saml_client(request, provider) as client:
        idp = _one_idp(client)
        try:
            receivers = client.config.endpoint("single_logout_service", binding, "sp")
            parsed = LogoutRequest(
                client.sec,
                receivers,
                client.config.attribute_converters,
                timeslack=settings.PACTE_SAML_CLOCK_SKEW_SECONDS,
            )
            xml = client.unravel(message, binding, LogoutRequest.msgtype)
            parsed = parsed.loads(
                xml,
                binding,
                origdoc=message,
                must=True,
                relay_state=relay_state,
                sigalg=sigalg,
                signature=signature,
            )
            parsed.verify()
        except Exception as exc:
            logger.warning("SAML logout request refused: %r", exc)
            raise refused("unsigned_logout") from None
        if parsed is None or parsed.sender() != idp or parsed.message.name_id is None:
            raise refused("unsigned_logout")
        if not cache.add(f"pacte:saml:logout:{parsed.message.id}", 1, 24 * 3600):
            raise refused("replayed")
        subject = str(parsed.message.name_id.text or "")
        link = (
            ExternalIdentity.objects.select_related("user")
            .filter(provider=provider, subject=subject)
            .first()
        )
        user = link.user if link else None
        if user is not None:
            from pacte.accounts.sessions import end_all_sessions

            end_all_sessions(user=user, actor=None, reason="saml_logout")
        services = client.metadata.single_logout_service(idp, BINDING_HTTP_REDIRECT, "idpsso")
        if not services:
            return LogoutOutcome(redirect=login_url, user=user)
        destination = str(services[0].get("response_location") or services[0]["location"])
        answer = client.create_logout_response(
            parsed.message, bindings=[BINDING_HTTP_REDIRECT], sign=False
        )
        info = client.apply_binding(
            BINDING_HTTP_REDIRECT,
            str(answer),
            destination,
            relay_state=relay_state or "",
            response=True,
            sign=True,
            sigalg=SIG_RSA_SHA256,
        )
    return LogoutOutcome(redirect=str(dict(info["headers"])["Location"]), user=user)


# Sign-in ------------------------------------------------------------------------------------


def start(request: HttpRequest, provider: IdentityProvider, *, login_hint: str = "") -> str:
    """Where to send the browser to sign in with ``provider``."""
    if provider.kind == ProviderKind.OIDC:
        return str(oidc_start(request, provider, login_hint=login_hint)["Location"])
    return saml_start(request, provider)


def complete(request: HttpRequest, provider: IdentityProvider, identity: Identity) -> Membership:
    """Link, create or update the member (``apply_identity``), then sign the person in."""
    from pacte.audit.services import record

    workspace = provider.workspace
    now = timezone.now()
    domain = identity.email.rpartition("@")[2]
    if provider.domains and domain not in provider.domains:
        raise SSOError(
            "foreign_domain",
            _(
                "Your identity provider vouched for an address outside your company's domains "
                "(%(domain)s). You were not signed in."
            )
            % {"domain": domain},
            status=403,
        )
    with transaction.atomic():
        link = (
            ExternalIdentity.objects.select_for_update()
            .select_related("user")
            .filter(provider=provider, subject=identity.subject)
            .first()
        )
        user = link.user if link else User.objects.filter(email=identity.email).first()
        member = (
            Membership.objects.for_workspace(workspace)
            .select_related("user")
            .filter(user=user)
            .first()
            if user
            else None
        )
        try:
            member = apply_identity(
                member,
                workspace=workspace,
                email=identity.email,
                name=identity.name,
                groups=identity.groups,
                at=now,
            )
        except DomainError as exc:
            raise SSOError(exc.code, exc.message, status=403) from None
        if link is None:
            link = ExternalIdentity(
                workspace=workspace, provider=provider, subject=identity.subject, user=member.user
            )
        link.last_sign_in_at = now
        link.save()
        record(
            workspace=workspace,
            actor=member,
            action="sign_in.sso",
            obj=member,
            after={"provider": provider.display_name, "groups": identity.groups[:50]},
        )
    user = member.user
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    mark_signed_in(request, method=Method.SSO)
    request.session[SSO_WORKSPACE] = workspace.pk
    if identity.id_token:
        request.session[ID_TOKEN] = identity.id_token
    if identity.saml_subject:
        request.session[SAML_SUBJECT] = identity.saml_subject
    if user.current_workspace_id != workspace.pk:
        user.current_workspace = workspace
        user.save(update_fields=["current_workspace"])
    return member


def record_refusal(provider: IdentityProvider, error: SSOError, *, address: str) -> None:
    from pacte.audit.services import record

    with transaction.atomic():
        record(
            workspace=provider.workspace,
            actor=None,
            action="sign_in.sso_refused",
            obj=provider,
            after={"code": error.code, "address": address},
        )
