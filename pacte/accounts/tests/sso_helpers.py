"""Driving a real identity provider's pages with ``requests`` while Pacte runs in the test
client (as a browser would, cookie jar included)."""

from __future__ import annotations

import re
from html import unescape
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from django.http import HttpResponse
from django.test import Client

TESTSERVER = "http://testserver"


def _local(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def form_fields(page: str) -> dict[str, str]:
    return {
        unescape(m.group(1)): unescape(m.group(2))
        for m in re.finditer(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page)
    }


def sign_in_at_provider(
    client: Client, start: str, email: str, password: str
) -> tuple[Any, requests.Response | None]:
    """Follow Pacte's redirect to the provider, fill its login form, come back to Pacte.

    Returns Pacte's final response, or the provider's page when it kept the person there."""
    response = client.get(start)
    assert response.status_code == 302, response.content[:300]
    browser = requests.Session()
    url = response["Location"]
    reply = browser.get(url, allow_redirects=False, timeout=30)
    for _ in range(20):
        if reply.is_redirect:
            url = urljoin(url, reply.headers["Location"])
            if url.startswith(TESTSERVER):
                return client.get(_local(url)), None
            reply = browser.get(url, allow_redirects=False, timeout=30)
            continue
        page = reply.text
        if 'name="SAMLResponse"' in page:  # the identity provider posts back to Pacte
            fields = form_fields(page)
            action = unescape(re.search(r'<form[^>]*action="([^"]+)"', page).group(1))
            handover = client.post(
                _local(action),
                {
                    "SAMLResponse": fields["SAMLResponse"],
                    "RelayState": fields.get("RelayState", ""),
                },
            )
            assert handover.status_code == 200, (action, handover.status_code)
            finish = form_fields(handover.content.decode())
            target = re.search(r'action="([^"]*/saml/finish/)"', handover.content.decode()).group(1)
            return client.post(target, {"SAMLResponse": finish["SAMLResponse"]}), None
        if 'name="password"' in page and 'id="error"' not in page:
            action = re.search(r'<form[^>]*action="([^"]+)"', page).group(1)
            data = {**form_fields(page), "login": email, "password": password}
            url = urljoin(url, unescape(action))
            reply = browser.post(url, data=data, allow_redirects=False, timeout=30)
            continue
        return HttpResponse(status=599), reply
    raise AssertionError("too many redirects")
