"""A SAML 2.0 identity provider for Pacte's tests, in its own process: pysaml2's ``Server``
behind a login page that checks passwords, answering with signed assertions (HTTP-POST).

Configuration comes as JSON in ``SAML_IDP_CONFIG``: ``{port, key_file, cert_file,
sp_metadata, accounts, xmlsec_binary, want_authn_requests_signed}``; accounts are
``{email: {password, name, groups}}``. Started and stopped by ``pacte/testing/peers.py``.

Single Logout (HTTP-Redirect, signed): ``/slo`` takes a service provider's LogoutRequest
(recorded, listed at ``/logged-out``) and answers a LogoutResponse, or takes the
LogoutResponse to its own request; ``/initiate-logout?email=…&sp=<entity id>`` starts an
IdP-initiated logout (a redirect to the service provider with a signed LogoutRequest).
"""

from __future__ import annotations

import html
import json
import os
import sys
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, make_server

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.request import IncorrectlySigned
from saml2.saml import NAMEID_FORMAT_EMAILADDRESS, NameID
from saml2.server import Server
from saml2.xmldsig import SIG_RSA_SHA256

CFG = json.loads(os.environ["SAML_IDP_CONFIG"])
BASE = f"http://127.0.0.1:{CFG['port']}"
SIGNED = bool(CFG.get("want_authn_requests_signed"))
LOGGED_OUT: list[str] = []


def build_server() -> Server:
    config = IdPConfig()
    config.load(
        {
            "entityid": f"{BASE}/metadata",
            "xmlsec_binary": CFG["xmlsec_binary"],
            "key_file": CFG["key_file"],
            "cert_file": CFG["cert_file"],
            "allow_unknown_attributes": True,
            "service": {
                "idp": {
                    "endpoints": {
                        "single_sign_on_service": [(f"{BASE}/sso", BINDING_HTTP_REDIRECT)],
                        "single_logout_service": [(f"{BASE}/slo", BINDING_HTTP_REDIRECT)],
                    },
                    "name_id_format": [NAMEID_FORMAT_EMAILADDRESS],
                    "sign_assertion": True,
                    "sign_response": False,
                    "want_authn_requests_signed": SIGNED,
                    "policy": {
                        "default": {"lifetime": {"minutes": 5}, "attribute_restrictions": None}
                    },
                }
            },
            "metadata": {"inline": CFG["sp_metadata"]},
            "signing_algorithm": SIG_RSA_SHA256,
        }
    )
    return Server(config=config)


SERVER = build_server()


def login_page(saml_request: str, relay_state: str, sig: dict[str, str], error: str = "") -> bytes:
    e = html.escape
    hidden = "".join(f'<input type="hidden" name="{e(k)}" value="{e(v)}">' for k, v in sig.items())
    return f"""<!doctype html><html lang="en"><head><title>Test SAML IdP</title></head><body>
<h1>Test SAML IdP</h1>{f'<p id="error">{e(error)}</p>' if error else ""}
<form method="post" action="/login">
<input type="hidden" name="SAMLRequest" value="{e(saml_request)}">
<input type="hidden" name="RelayState" value="{e(relay_state)}">{hidden}
<label>E-mail <input id="login" name="login" type="email"></label>
<label>Password <input id="password" name="password" type="password"></label>
<button id="submit" type="submit">Sign in</button></form></body></html>""".encode()


def parse_request(saml_request: str, relay_state: str, sig: dict[str, str]) -> Any:
    """The AuthnRequest; its query-string signature is checked when signed requests are
    required (``IncorrectlySigned`` otherwise)."""
    return SERVER.parse_authn_request(
        saml_request,
        BINDING_HTTP_REDIRECT,
        relay_state=relay_state or None,
        sigalg=sig.get("SigAlg"),
        signature=sig.get("Signature"),
    )


def answer(saml_request: str, relay_state: str, sig: dict[str, str], email: str) -> bytes:
    request = parse_request(saml_request, relay_state, sig)
    message = request.message
    sp = message.issuer.text
    _binding, acs = SERVER.pick_binding(
        "assertion_consumer_service", bindings=[BINDING_HTTP_POST], entity_id=sp
    )
    account = CFG["accounts"][email]
    response = SERVER.create_authn_response(
        identity={"mail": [email], "displayName": [account["name"]], "groups": account["groups"]},
        in_response_to=message.id,
        destination=acs,
        sp_entity_id=sp,
        name_id=NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=email),
        userid=email,
        sign_assertion=True,
        authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:Password"},
    )
    http_args = SERVER.apply_binding(
        BINDING_HTTP_POST, str(response), acs, relay_state, response=True
    )
    return str(http_args["data"]).encode()


def _sig(values: dict[str, list[str]]) -> dict[str, str]:
    return {k: values[k][0] for k in ("SigAlg", "Signature") if k in values}


def _redirect(start_response: Any, location: str) -> list[bytes]:
    start_response("302 Found", [("Location", location)])
    return [b""]


def single_logout(start_response: Any, query: dict[str, list[str]]) -> list[bytes]:
    relay = query.get("RelayState", [""])[0]
    if "SAMLResponse" in query:  # the answer to our own (IdP-initiated) request
        SERVER.parse_logout_request_response(query["SAMLResponse"][0], BINDING_HTTP_REDIRECT)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"signed out everywhere"]
    request = SERVER.parse_logout_request(
        query["SAMLRequest"][0],
        BINDING_HTTP_REDIRECT,
        relay_state=relay or None,
        sigalg=query.get("SigAlg", [None])[0],
        signature=query.get("Signature", [None])[0],
    )
    message = request.message
    LOGGED_OUT.append(str(message.name_id.text))
    _binding, destination = SERVER.pick_binding(
        "single_logout_service", bindings=[BINDING_HTTP_REDIRECT], entity_id=message.issuer.text
    )
    response = SERVER.create_logout_response(message, bindings=[BINDING_HTTP_REDIRECT], sign=False)
    info = SERVER.apply_binding(
        BINDING_HTTP_REDIRECT, str(response), destination, relay, response=True, sign=True
    )
    return _redirect(start_response, dict(info["headers"])["Location"])


def initiate_logout(start_response: Any, query: dict[str, list[str]]) -> list[bytes]:
    sp = query["sp"][0]
    _binding, destination = SERVER.pick_binding(
        "single_logout_service", bindings=[BINDING_HTTP_REDIRECT], entity_id=sp
    )
    _request_id, request = SERVER.create_logout_request(
        destination,
        sp,
        name_id=NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=query["email"][0]),
        sign=False,
    )
    info = SERVER.apply_binding(BINDING_HTTP_REDIRECT, str(request), destination, sign=True)
    return _redirect(start_response, dict(info["headers"])["Location"])


def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    path = environ["PATH_INFO"]
    query = parse_qs(environ.get("QUERY_STRING", ""))
    if path == "/sso":
        relay = query.get("RelayState", [""])[0]
        try:
            parse_request(query["SAMLRequest"][0], relay, _sig(query))
        except IncorrectlySigned:
            start_response("403 Forbidden", [("Content-Type", "text/plain")])
            return [b"unsigned or wrongly signed authentication request"]
        body = login_page(query["SAMLRequest"][0], relay, _sig(query))
    elif path == "/login" and environ["REQUEST_METHOD"] == "POST":
        size = int(environ.get("CONTENT_LENGTH") or 0)
        form = parse_qs(environ["wsgi.input"].read(size).decode())
        email = form.get("login", [""])[0]
        account = CFG["accounts"].get(email)
        saml_request, relay = form["SAMLRequest"][0], form.get("RelayState", [""])[0]
        if account is None or account["password"] != form.get("password", [""])[0]:
            body = login_page(saml_request, relay, _sig(form), "Wrong e-mail or password.")
        else:
            body = answer(saml_request, relay, _sig(form), email)
    elif path == "/slo":
        try:
            return single_logout(start_response, query)
        except IncorrectlySigned as exc:
            start_response("403 Forbidden", [("Content-Type", "text/plain")])
            return [f"unsigned or wrongly signed logout message: {exc.__cause__!r}".encode()]
    elif path == "/initiate-logout":
        return initiate_logout(start_response, query)
    elif path == "/logged-out":
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(LOGGED_OUT).encode()]
    elif path == "/metadata":
        from saml2.metadata import entity_descriptor

        start_response("200 OK", [("Content-Type", "application/samlmetadata+xml")])
        return [str(entity_descriptor(SERVER.config)).encode()]
    else:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
    return [body]


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


if __name__ == "__main__":
    with make_server("127.0.0.1", CFG["port"], app, handler_class=QuietHandler) as httpd:
        sys.stdout.write(f"ready {CFG['port']}\n")
        sys.stdout.flush()
        httpd.serve_forever()
