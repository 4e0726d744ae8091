"""Login, throttling, logout, password change, language and workspace switches."""

from __future__ import annotations

from django.test import Client

from pacte.accounts.models import User
from pacte.org.services import create_member
from pacte.testing.cast import PASSWORD, Cast


def test_login_and_logout(cast: Cast) -> None:
    client = Client()
    response = client.post(
        "/account/login/", {"username": "seller@acme.example", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert client.post("/account/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_login_is_throttled_after_five_failures(cast: Cast) -> None:
    client = Client()
    for _ in range(5):
        response = client.post(
            "/account/login/", {"username": "seller@acme.example", "password": "wrong"}
        )
        assert response.status_code == 200
    response = client.post(
        "/account/login/", {"username": "seller@acme.example", "password": PASSWORD}
    )
    assert response.status_code == 200
    assert "Too many failed attempts" in response.content.decode()
    assert "15 minutes" in response.content.decode()


def test_password_change(cast: Cast, login) -> None:
    client = login(cast.seller)
    response = client.post(
        "/account/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "a-much-longer-pass-2026",
            "new_password2": "a-much-longer-pass-2026",
        },
    )
    assert response.status_code == 302
    assert Client().login(username="seller@acme.example", password="a-much-longer-pass-2026")


def test_language_switch_is_stored_on_the_user(cast: Cast, login) -> None:
    client = login(cast.seller)
    response = client.post("/account/language/", {"language": "fr", "next": "/teams/"})
    assert response.status_code == 302
    assert User.objects.get(pk=cast.seller.user_id).language == "fr"
    page = login(cast.seller).get("/teams/").content.decode()
    assert "Équipes" in page
    assert 'lang="fr"' in page


def test_language_switch_refuses_foreign_redirects(cast: Cast, login) -> None:
    response = login(cast.seller).post(
        "/account/language/", {"language": "en", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_switch_workspace(cast: Cast, login) -> None:
    create_member(
        workspace=cast.outsider_workspace,
        actor=None,
        email="seller@acme.example",
        name="Sam G",
        roles=["seller"],
        unit=cast.outsider_team,
        invite=False,  # a member of both already (invitation accepted)
    )
    client = login(cast.seller)
    response = client.post("/account/workspace/", {"workspace": cast.outsider_workspace.uuid})
    assert response.status_code == 302
    assert "Globex" in client.get("/").content.decode()
    # A workspace one does not belong to cannot be switched to.
    other = login(cast.other_seller)
    other.post("/account/workspace/", {"workspace": cast.outsider_workspace.uuid})
    assert "Acme" in other.get("/").content.decode()


def test_admin_changes_workspace_settings_with_an_audit_event(cast: Cast, login) -> None:
    from pacte.audit.models import AuditEvent

    client = login(cast.admin)
    response = client.post(
        "/account/settings/",
        {
            "name": "Acme SA",
            "language": "fr",
            "fiscal_year_start_month": "7",
            "rounding_unit": "100000",
            "time_zone": "America/Montreal",
        },
    )
    assert response.status_code == 302
    cast.workspace.refresh_from_db()
    assert (cast.workspace.fiscal_year_start_month, cast.workspace.rounding_unit) == (7, 100000)
    assert cast.workspace.time_zone == "America/Montreal"
    event = AuditEvent.objects.for_workspace(cast.workspace).get(action="workspace.updated")
    assert event.before["fiscal_year_start_month"] == 1
    assert event.after["fiscal_year_start_month"] == 7
    assert login(cast.seller).get("/account/settings/").status_code == 403
