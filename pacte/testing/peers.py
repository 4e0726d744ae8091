"""Real protocol peers for the single sign-on tests, each in its own process.

- An OpenID provider: the npm package ``oidc-provider`` run with the machine's Node.js
  (``tools/peers/oidc_provider.mjs``). The package is installed from the npm registry into
  ``var/test-tools/`` the first time (as ``tools/with_postgres.py`` prepares PostgreSQL) and
  reused afterwards.
- A SAML identity provider: pysaml2's ``Server`` (``tools/peers/saml_idp.py``), signing with
  Debian's ``xmlsec1``.

Without Node.js, npm or xmlsec1 the tests that need them are skipped, except under ``CI=true``
where that is a failure (``.ci/run`` installs them).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / "var" / "test-tools"
OIDC_PROVIDER_VERSION = "9.13.3"


def _missing(what: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{what} is missing: .ci/run installs it.")
    pytest.skip(f"{what} is missing")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def oidc_modules() -> Path:
    """``var/test-tools/oidc`` with oidc-provider installed (npm, first use only)."""
    if not (shutil.which("node") and shutil.which("npm")):
        _missing("Node.js and npm")
    folder = TOOLS / "oidc"
    marker = folder / "node_modules" / "oidc-provider" / "package.json"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel test workers install once
        if marker.exists() and json.loads(marker.read_text())["version"] == OIDC_PROVIDER_VERSION:
            return folder
        (folder / "package.json").write_text('{"name": "pacte-test-tools", "private": true}\n')
        _npm_install(folder)
    return folder


def _npm_install(folder: Path) -> None:
    subprocess.run(
        [
            "npm",
            "install",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            f"oidc-provider@{OIDC_PROVIDER_VERSION}",
        ],
        cwd=folder,
        check=True,
        timeout=300,
    )


def _wait_ready(process: subprocess.Popen[str], what: str) -> None:
    assert process.stdout is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line.startswith("ready"):
            return
        if process.poll() is not None:
            break
    process.kill()
    raise RuntimeError(f"{what} did not start: {process.stderr.read() if process.stderr else ''}")


def _stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@dataclass
class OidcProvider:
    issuer: str
    client_id: str
    client_secret: str
    private_jwk: dict[str, Any]
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)


def signing_key(kid: str) -> dict[str, Any]:
    from joserfc.jwk import RSAKey

    key = RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"})
    return dict(key.as_dict(private=True))


@contextmanager
def oidc_provider(
    *, redirect_uris: list[str], post_logout_redirect_uris: list[str], accounts: dict[str, Any]
) -> Iterator[OidcProvider]:
    modules = oidc_modules()
    port = free_port()
    jwk = signing_key("pacte-test-1")
    peer = OidcProvider(
        issuer=f"http://127.0.0.1:{port}",
        client_id="pacte",
        client_secret="pacte-test-client-secret-0123456789",
        private_jwk=jwk,
        accounts=accounts,
    )
    config = {
        "port": port,
        "jwks": {"keys": [jwk]},
        "accounts": accounts,
        "clients": [
            {
                "client_id": peer.client_id,
                "client_secret": peer.client_secret,
                "redirect_uris": redirect_uris,
                "post_logout_redirect_uris": post_logout_redirect_uris,
                "token_endpoint_auth_method": "client_secret_basic",
            }
        ],
    }
    process = subprocess.Popen(
        ["node", str(ROOT / "tools" / "peers" / "oidc_provider.mjs")],
        env={**os.environ, "OIDC_CONFIG": json.dumps(config), "OIDC_MODULES": str(modules)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_ready(process, "The OpenID provider")
        yield peer
    finally:
        _stop(process)


@dataclass
class SamlIdp:
    base: str
    metadata_url: str
    key_pem: str
    cert_pem: str


@contextmanager
def saml_idp(
    *,
    sp_metadata: str,
    accounts: dict[str, Any],
    port: int | None = None,
    want_authn_requests_signed: bool = False,
) -> Iterator[SamlIdp]:
    from pacte.testing.saml import self_signed

    xmlsec = shutil.which("xmlsec1")
    if not xmlsec:
        _missing("xmlsec1")
    port = port or free_port()
    key_pem, cert_pem = self_signed("Pacte test SAML IdP")
    with tempfile.TemporaryDirectory() as tmp:
        key_file, cert_file = Path(tmp) / "idp.key", Path(tmp) / "idp.crt"
        key_file.write_text(key_pem)
        cert_file.write_text(cert_pem)
        config = {
            "port": port,
            "key_file": str(key_file),
            "cert_file": str(cert_file),
            "sp_metadata": [sp_metadata],
            "accounts": accounts,
            "xmlsec_binary": xmlsec,
            "want_authn_requests_signed": want_authn_requests_signed,
        }
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "tools" / "peers" / "saml_idp.py")],
            env={**os.environ, "SAML_IDP_CONFIG": json.dumps(config)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            _wait_ready(process, "The SAML identity provider")
            base = f"http://127.0.0.1:{port}"
            yield SamlIdp(
                base=base, metadata_url=f"{base}/metadata", key_pem=key_pem, cert_pem=cert_pem
            )
        finally:
            _stop(process)


def forged_saml_response(
    *,
    idp_entity_id: str,
    key_pem: str,
    cert_pem: str,
    sp_metadata: str,
    sp_entity_id: str,
    acs: str,
    in_response_to: str,
    email: str,
    lifetime_minutes: int = 5,
) -> str:
    """A signed SAML response made in this process (for the bad-input tests), base64."""
    import base64

    from saml2.config import IdPConfig
    from saml2.saml import NAMEID_FORMAT_EMAILADDRESS, NameID
    from saml2.server import Server

    with tempfile.TemporaryDirectory() as tmp:
        key_file, cert_file = Path(tmp) / "k.pem", Path(tmp) / "c.pem"
        key_file.write_text(key_pem)
        cert_file.write_text(cert_pem)
        config = IdPConfig()
        config.load(
            {
                "entityid": idp_entity_id,
                "xmlsec_binary": shutil.which("xmlsec1") or "/usr/bin/xmlsec1",
                "key_file": str(key_file),
                "cert_file": str(cert_file),
                "allow_unknown_attributes": True,
                "service": {
                    "idp": {
                        "endpoints": {
                            "single_sign_on_service": [
                                (
                                    idp_entity_id + "/sso",
                                    "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
                                )
                            ]
                        },
                        "policy": {
                            "default": {
                                "lifetime": {"minutes": lifetime_minutes},
                                "attribute_restrictions": None,
                            }
                        },
                    }
                },
                "metadata": {"inline": [sp_metadata]},
            }
        )
        server = Server(config=config)
        response = server.create_authn_response(
            identity={"mail": [email], "displayName": ["Forged"], "groups": []},
            in_response_to=in_response_to,
            destination=acs,
            sp_entity_id=sp_entity_id,
            name_id=NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=email),
            userid=email,
            sign_assertion=True,
            authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:Password"},
        )
    return base64.b64encode(str(response).encode()).decode()
