"""Invitations: a login of another workspace's person joins a workspace only once they accept,
and until then sees nothing of it (checked through the access module and the pages)."""

from __future__ import annotations

import json

import pytest
from django.core import mail
from django.http import Http404
from django.test import Client

from pacte.accounts.access import get_member_for, visible_members
from pacte.accounts.middleware import resolve_member
from pacte.accounts.models import Invitation, Membership
from pacte.accounts.scim import create_scim_token
from pacte.accounts.services import active_memberships, switch_workspace
from pacte.audit.models import AuditEvent
from pacte.errors import DomainError
from pacte.org.services import create_member
from pacte.testing.cast import PASSWORD, Cast


def _invite_outsider(cast: Cast) -> Membership:
    """The outsider (a member of another workspace) added to the cast's workspace."""
    return create_member(
        workspace=cast.workspace,
        actor=cast.admin,
        email=cast.outsider.user.email,
        name="Olga Outsider",
        roles=["seller"],
        unit=cast.team,
    )


def _client(member: Membership) -> Client:
    client = Client()
    assert client.login(username=member.user.email, password=PASSWORD)
    return client


def test_people_page_invites_a_login_of_another_workspace(
    cast: Cast, login, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = login(cast.admin).post(
            "/people/new/",
            {
                "email": cast.outsider.user.email,
                "name": "Olga Outsider",
                "roles": ["seller"],
                "unit": str(cast.team.uuid),
                "joined_on": "05/01/2026",
            },
        )
    assert response.status_code in (200, 302), response.content[:500]
    pending = Membership.objects.for_workspace(cast.workspace).get(user=cast.outsider.user)
    assert pending.is_pending
    assert Invitation.objects.filter(membership=pending, accepted_at__isnull=True).exists()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [cast.outsider.user.email]
    assert "Acme" in mail.outbox[0].subject
    assert "/account/invitations/" in mail.outbox[0].body
    assert AuditEvent.objects.filter(action="member.invited", object_id=str(pending.uuid)).exists()


def test_new_logins_are_not_invited(cast: Cast) -> None:
    member = create_member(
        workspace=cast.workspace,
        actor=cast.admin,
        email="new@acme.example",
        name="New",
        roles=["seller"],
        unit=cast.team,
    )
    assert not member.is_pending
    assert not Invitation.objects.filter(membership=member).exists()


def test_until_accepted_the_person_sees_nothing_of_the_workspace(cast: Cast) -> None:
    pending = _invite_outsider(cast)
    user = cast.outsider.user
    # The access module: no membership of the new workspace ever acts for the person.
    assert [m.workspace for m in active_memberships(user)] == [cast.outsider_workspace]
    with pytest.raises(DomainError):
        switch_workspace(user=user, workspace_uuid=cast.workspace.uuid)
    user.current_workspace = cast.workspace  # even if forced
    user.save(update_fields=["current_workspace"])
    client = _client(cast.outsider)
    request = client.get("/").wsgi_request
    assert resolve_member(request) == cast.outsider
    viewer = resolve_member(request)
    assert viewer is not None
    assert cast.seller not in visible_members(viewer)
    with pytest.raises(Http404):
        get_member_for(viewer, cast.seller.uuid)
    # Pages and the API: nothing of Acme.
    assert client.get(f"/people/{cast.seller.uuid}/").status_code == 404
    response = client.post("/account/workspace/", {"workspace": str(cast.workspace.uuid)})
    assert client.get(f"/people/{cast.seller.uuid}/").status_code == 404
    assert "Acme" not in client.get("/people/").content.decode()
    me = client.get("/api/v1/me").json()
    assert all(w["name"] != "Acme" for w in me.get("workspaces", []))
    # The invitations page offers it; accepting opens the workspace.
    page = client.get("/account/invitations/")
    assert "Acme" in page.content.decode()
    invitation = pending.invitation
    response = client.post(f"/account/invitations/{invitation.uuid}/accept/")
    assert response.status_code == 302
    pending.refresh_from_db()
    assert not pending.is_pending
    assert client.get(f"/people/{cast.seller.uuid}/").status_code == 200
    assert AuditEvent.objects.filter(action="member.invitation_accepted").exists()


def test_someone_else_cannot_accept(cast: Cast, login) -> None:
    pending = _invite_outsider(cast)
    url = f"/account/invitations/{pending.invitation.uuid}/accept/"
    assert login(cast.seller).post(url).status_code == 404
    pending.refresh_from_db()
    assert pending.is_pending


def test_scim_creation_invites_too(cast: Cast) -> None:
    secret = create_scim_token(workspace=cast.workspace, actor=None, name="Okta")[1]
    response = Client().post(
        "/scim/v2/Users",
        data=json.dumps(
            {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": cast.outsider.user.email,
                "emails": [{"value": cast.outsider.user.email, "primary": True}],
            }
        ),
        content_type="application/scim+json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert response.status_code == 201
    member = Membership.objects.get(uuid=response.json()["id"])
    assert member.is_pending
    assert member.invitation.invited_by is None
    assert active_memberships(cast.outsider.user) == [cast.outsider]


def test_invitations_page_in_french(cast: Cast) -> None:
    _invite_outsider(cast)
    client = _client(cast.outsider)
    client.post("/account/language/", {"language": "fr"})
    html = client.get("/account/invitations/").content.decode()
    assert "Accepter" in html


def test_invitation_mail_carries_a_full_link(
    cast: Cast, settings, django_capture_on_commit_callbacks
) -> None:
    settings.PACTE_BASE_URL = "https://pacte.example.com"
    with django_capture_on_commit_callbacks(execute=True):
        _invite_outsider(cast)
    assert "https://pacte.example.com/account/invitations/" in mail.outbox[0].body


def test_decline_on_the_page_deactivates_audits_and_notifies_the_admins(
    cast: Cast, settings, django_capture_on_commit_callbacks
) -> None:
    from pacte.objectives.models import Notification

    settings.PACTE_BASE_URL = "https://pacte.example.com"
    pending = _invite_outsider(cast)
    client = _client(cast.outsider)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/account/invitations/{pending.invitation.uuid}/decline/")
    assert response.status_code == 302
    pending.refresh_from_db()
    assert not pending.is_active
    assert pending.invitation.declined_at is not None
    assert "You declined the invitation to Acme." in client.get("/account/invitations/").text
    assert "You have no pending invitations." in client.get("/account/invitations/").text
    event = AuditEvent.objects.get(action="member.invitation_declined")
    assert event.object_id == str(pending.uuid)
    notice = Notification.objects.get(recipient=cast.admin, kind="invitation_declined")
    assert notice.params["email"] == cast.outsider.user.email
    assert not Notification.objects.filter(recipient=cast.seller).exists()
    sent = [m for m in mail.outbox if m.to == [cast.admin.user.email]]
    assert len(sent) == 1
    assert f"https://pacte.example.com/people/{pending.uuid}/" in sent[0].body
    # Declined: it can no longer be accepted, and the workspace stays closed.
    url = f"/account/invitations/{pending.invitation.uuid}/accept/"
    assert client.post(url).status_code == 404
    assert active_memberships(cast.outsider.user) == [cast.outsider]


def test_decline_through_the_api(cast: Cast, api_client) -> None:
    pending = _invite_outsider(cast)
    api = api_client(cast.outsider)
    listed = api.get("/api/v1/invitations").json()
    assert [i["workspace"] for i in listed] == ["Acme"]
    assert api.post(f"/api/v1/invitations/{listed[0]['uuid']}/decline").status_code == 204
    pending.refresh_from_db()
    assert not pending.is_active
    assert api.get("/api/v1/invitations").json() == []
    assert AuditEvent.objects.filter(action="member.invitation_declined").exists()
    # Someone else's invitation is not found.
    other = _invite_outsider_again(cast)
    assert (
        api_client(cast.seller)
        .post(f"/api/v1/invitations/{other.invitation.uuid}/decline")
        .status_code
        == 404
    )


def _invite_outsider_again(cast: Cast) -> Membership:
    from pacte.org.services import set_member_active

    member = Membership.objects.get(pk=cast.outsider.pk)
    pending = Membership.objects.for_workspace(cast.workspace).get(user=member.user)
    return set_member_active(member=pending, actor=cast.admin, active=True)


def test_accept_through_the_api(cast: Cast, api_client) -> None:
    pending = _invite_outsider(cast)
    api = api_client(cast.outsider)
    response = api.post(f"/api/v1/invitations/{pending.invitation.uuid}/accept")
    assert response.status_code == 200
    pending.refresh_from_db()
    assert not pending.is_pending


def test_decline_page_in_french(cast: Cast) -> None:
    _invite_outsider(cast)
    client = _client(cast.outsider)
    client.post("/account/language/", {"language": "fr"})
    assert "Refuser" in client.get("/account/invitations/").content.decode()
