"""In Chromium with a virtual authenticator (DevTools WebAuthn domain): add a passkey, then
sign in with it alone, and use it as the second step of a password sign-in."""

from __future__ import annotations

from typing import Any

import pytest

from pacte.accounts.models import SecondFactor
from pacte.testing.cast import PASSWORD, build_cast


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_passkey_added_then_used_to_sign_in(live_server: Any, page: Any) -> None:
    build_cast()
    url = live_server.url
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )

    def password_sign_in() -> None:
        page.goto(f"{url}/account/login/")
        page.get_by_label("E-mail").fill("seller@acme.example")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()

    password_sign_in()
    page.wait_for_url(f"{url}/")
    page.goto(f"{url}/account/2fa/")
    page.get_by_role("button", name="Add a passkey").click()
    page.wait_for_selector("#recovery-codes")
    assert SecondFactor.objects.filter(kind="passkey").count() == 1

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{url}/account/login/")
    page.get_by_role("button", name="Sign in with a passkey").click()
    page.wait_for_url(f"{url}/")
    assert page.get_by_role("link", name="Sam Seller").is_visible()

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{url}/account/login/")
    password_sign_in()
    page.wait_for_url(f"{url}/account/login/verify/")
    page.get_by_role("button", name="Use a passkey").click()
    page.wait_for_url(f"{url}/")
