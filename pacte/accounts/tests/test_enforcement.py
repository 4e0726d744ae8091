"""Single sign-on required (with an audited break-glass admin), session lifetime and idle
timeout, sign-out everywhere, and the choice of workspace after sign-in."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client

from pacte.accounts import signin
from pacte.accounts.sessions import AUTH_AT, SEEN_AT
from pacte.audit.models import AuditEvent
from pacte.errors import DomainError
from pacte.org.services import create_member, set_member_active
from pacte.testing.cast import PASSWORD, Cast
from pacte.testing.saml import idp_metadata, signing_pair


def _login(email: str) -> tuple[Client, int]:
    client = Client()
    response = client.post("/account/login/", {"username": email, "password": PASSWORD})
    return client, response.status_code


def _require_sso(cast: Cast, break_glass: object = None) -> None:
    signin.save_identity_provider(
        workspace=cast.workspace,
        actor=cast.admin,
        kind="saml",
        display_name="Sign in with Acme",
        metadata_xml=idp_metadata(
            entity_id="https://idp.acme.example/",
            sso_url="https://idp.acme.example/sso",
            cert_pem=signing_pair()[1],
        ),
    )
    signin.update_sign_in_settings(
        workspace=cast.workspace, actor=cast.admin, sso_required=True, break_glass=break_glass
    )


def test_sso_cannot_be_required_without_a_provider(cast: Cast) -> None:
    with pytest.raises(DomainError) as error:
        signin.update_sign_in_settings(
            workspace=cast.workspace, actor=cast.admin, sso_required=True
        )
    assert error.value.code == "no_provider"


def test_password_login_is_refused_when_sso_is_required(cast: Cast) -> None:
    _require_sso(cast)
    client, status = _login("seller@acme.example")
    assert status == 200
    assert client.get("/").status_code == 302
    page = (
        Client()
        .post("/account/login/", {"username": "seller@acme.example", "password": PASSWORD})
        .content.decode()
    )
    assert "requires signing in through its identity provider" in page
    # A wrong password says nothing about the policy.
    wrong = Client().post("/account/login/", {"username": "seller@acme.example", "password": "x"})
    assert "identity provider" not in wrong.content.decode()


def test_break_glass_admin_may_use_a_password_and_each_use_is_audited(cast: Cast) -> None:
    _require_sso(cast, break_glass=cast.admin)
    for _ in range(2):
        client, status = _login("admin@acme.example")
        assert status == 302
        assert client.get("/").status_code == 200
    uses = AuditEvent.objects.for_workspace(cast.workspace).filter(
        action="sign_in.break_glass_used"
    )
    assert uses.count() == 2
    assert _login("exec@acme.example")[1] == 200  # another admin is not the break-glass one


def test_break_glass_must_be_an_admin(cast: Cast) -> None:
    with pytest.raises(DomainError):
        signin.update_sign_in_settings(
            workspace=cast.workspace, actor=cast.admin, break_glass=cast.seller
        )


def test_settings_changes_are_audited_and_versioned(cast: Cast) -> None:
    row = signin.update_sign_in_settings(
        workspace=cast.workspace, actor=cast.admin, session_lifetime_hours=8
    )
    event = AuditEvent.objects.get(action="sign_in.updated")
    assert (event.before["session_lifetime_hours"], event.after["session_lifetime_hours"]) == (
        336,
        8,
    )
    from pacte.errors import StaleVersion

    with pytest.raises(StaleVersion):
        signin.update_sign_in_settings(
            workspace=cast.workspace,
            actor=cast.admin,
            version=row.version - 1,
            idle_timeout_minutes=5,
        )


def _age(client: Client, *, auth: int = 0, seen: int = 0) -> None:
    from django.utils import timezone

    session = client.session
    now = timezone.now()
    session[AUTH_AT] = (now - datetime.timedelta(minutes=auth)).isoformat()
    session[SEEN_AT] = (now - datetime.timedelta(minutes=seen)).isoformat()
    session.save()


def test_session_ends_after_the_workspace_lifetime(cast: Cast) -> None:
    signin.update_sign_in_settings(
        workspace=cast.workspace, actor=cast.admin, session_lifetime_hours=8
    )
    client, _ = _login("seller@acme.example")
    _age(client, auth=7 * 60)
    assert client.get("/").status_code == 200
    _age(client, auth=8 * 60 + 1)
    response = client.get("/", follow=True)
    assert "time limit" in response.content.decode()
    assert client.get("/").status_code == 302


def test_session_ends_after_idle_time(cast: Cast) -> None:
    signin.update_sign_in_settings(
        workspace=cast.workspace, actor=cast.admin, idle_timeout_minutes=30
    )
    client, _ = _login("seller@acme.example")
    _age(client, seen=29)
    assert client.get("/").status_code == 200  # and the idle clock restarts
    _age(client, seen=31)
    assert client.get("/").status_code == 302


def test_sign_out_everywhere_ends_every_session(cast: Cast) -> None:
    phone, _ = _login("seller@acme.example")
    laptop, _ = _login("seller@acme.example")
    assert laptop.post("/account/sessions/end/").status_code == 302
    assert phone.get("/").status_code == 302
    assert laptop.get("/").status_code == 302
    assert AuditEvent.objects.filter(action="sessions.ended", actor=cast.seller).exists()
    assert _login("seller@acme.example")[1] == 302  # signing in again works


def test_deactivation_ends_the_sessions(cast: Cast) -> None:
    client, _ = _login("other@acme.example")
    set_member_active(member=cast.other_seller, actor=cast.admin, active=False)
    assert client.get("/").status_code == 302


def test_person_in_several_workspaces_chooses_after_sign_in(cast: Cast) -> None:
    create_member(
        workspace=cast.outsider_workspace,
        actor=None,
        email="seller@acme.example",
        name="Sam G",
        roles=["seller"],
        unit=cast.outsider_team,
        invite=False,  # a member of both already (invitation accepted)
    )
    client = Client()
    response = client.post(
        "/account/login/",
        {"username": "seller@acme.example", "password": PASSWORD, "next": "/teams/"},
    )
    assert response["Location"].startswith("/account/choose/")
    page = client.get(response["Location"]).content.decode()
    assert "Acme" in page
    assert "Globex" in page
    response = client.post(
        "/account/workspace/", {"workspace": cast.outsider_workspace.uuid, "next": "/teams/"}
    )
    assert response["Location"] == "/teams/"
    assert "Globex" in client.get("/").content.decode()
