"""In Chromium: sign in through the company's OpenID provider's own login page, land on the
right page with the right role, sign out at the provider too."""

from __future__ import annotations

from typing import Any

import pytest

from pacte.accounts import signin
from pacte.testing.cast import build_cast
from pacte.testing.peers import oidc_provider


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_sign_in_with_the_company_provider_and_out(live_server: Any, page: Any) -> None:
    cast = build_cast()
    url = live_server.url
    accounts = {
        "seller@acme.example": {
            "password": "idp-pass-42",
            "name": "Sam Seller",
            "groups": ["leads"],
        }
    }
    with oidc_provider(
        redirect_uris=[f"{url}/sso/acme/oidc/callback/"],
        post_logout_redirect_uris=[f"{url}/account/login/"],
        accounts=accounts,
    ) as op:
        signin.save_identity_provider(
            workspace=cast.workspace,
            actor=cast.admin,
            kind="oidc",
            display_name="Sign in with Acme",
            email_domains="acme.example",
            issuer=op.issuer,
            client_id=op.client_id,
            client_secret=op.client_secret,
        )
        signin.save_group_mapping(
            workspace=cast.workspace, actor=cast.admin, group="leads", roles=["seller", "lead"]
        )
        assert "Structure" not in page.goto(f"{url}/account/login/").text()  # not yet a lead

        page.get_by_label("E-mail").fill("seller@acme.example")
        page.get_by_role("button", name="Continue with single sign-on").click()
        page.wait_for_url(f"{op.issuer}/interaction/**")
        assert page.locator("#login").input_value() == "seller@acme.example"  # login hint
        page.locator("#password").fill("idp-pass-42")
        page.locator("#submit").click()

        page.wait_for_url(f"{url}/")
        assert page.get_by_role("link", name="Sam Seller").is_visible()
        # The provider's group made Sam a lead: the lead's Structure page is in the menu.
        assert page.get_by_role("link", name="Structure").is_visible()

        page.get_by_role("button", name="Log out").click()
        page.wait_for_url(f"{op.issuer}/**")
        page.get_by_role("button", name="Yes, sign me out").click()
        page.wait_for_url(f"{url}/account/login/")
        page.goto(f"{url}/")
        page.wait_for_url(f"{url}/account/login/?next=/")
