"""A SAML 2.0 identity provider for Pacte's tests, in its own process: pysaml2's ``Server``
behind a login page that checks passwords, answering with signed assertions (HTTP-POST).

Configuration comes as JSON in ``SAML_IDP_CONFIG``: ``{port, key_file, cert_file,
sp_metadata, accounts, xmlsec_binary}``; accounts are ``{email: {password, name, groups}}``.
Started and stopped by ``pacte/testing/peers.py``.
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
from saml2.saml import NAMEID_FORMAT_EMAILADDRESS, NameID
from saml2.server import Server

CFG = json.loads(os.environ["SAML_IDP_CONFIG"])
BASE = f"http://127.0.0.1:{CFG['port']}"


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
                    },
                    "name_id_format": [NAMEID_FORMAT_EMAILADDRESS],
                    "sign_assertion": True,
                    "sign_response": False,
                    "want_authn_requests_signed": False,
                    "policy": {
                        "default": {"lifetime": {"minutes": 5}, "attribute_restrictions": None}
                    },
                }
            },
            "metadata": {"inline": CFG["sp_metadata"]},
        }
    )
    return Server(config=config)


SERVER = build_server()


def login_page(saml_request: str, relay_state: str, error: str = "") -> bytes:
    e = html.escape
    return f"""<!doctype html><html lang="en"><head><title>Test SAML IdP</title></head><body>
<h1>Test SAML IdP</h1>{f'<p id="error">{e(error)}</p>' if error else ""}
<form method="post" action="/login">
<input type="hidden" name="SAMLRequest" value="{e(saml_request)}">
<input type="hidden" name="RelayState" value="{e(relay_state)}">
<label>E-mail <input id="login" name="login" type="email"></label>
<label>Password <input id="password" name="password" type="password"></label>
<button id="submit" type="submit">Sign in</button></form></body></html>""".encode()


def answer(saml_request: str, relay_state: str, email: str) -> bytes:
    request = SERVER.parse_authn_request(saml_request, BINDING_HTTP_REDIRECT)
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


def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    path = environ["PATH_INFO"]
    if path == "/sso":
        query = parse_qs(environ.get("QUERY_STRING", ""))
        body = login_page(query["SAMLRequest"][0], query.get("RelayState", [""])[0])
    elif path == "/login" and environ["REQUEST_METHOD"] == "POST":
        size = int(environ.get("CONTENT_LENGTH") or 0)
        form = parse_qs(environ["wsgi.input"].read(size).decode())
        email = form.get("login", [""])[0]
        account = CFG["accounts"].get(email)
        saml_request, relay = form["SAMLRequest"][0], form.get("RelayState", [""])[0]
        if account is None or account["password"] != form.get("password", [""])[0]:
            body = login_page(saml_request, relay, "Wrong e-mail or password.")
        else:
            body = answer(saml_request, relay, email)
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
