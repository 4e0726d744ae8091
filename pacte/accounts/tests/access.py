"""Access rules of the sign-in pages (read by pacte/tests/test_access.py)."""

from __future__ import annotations

import uuid
from typing import Any

from pacte.testing.access import ADMIN, Route, register_api, register_pages
from pacte.testing.cast import Cast


def saml_workspace(c: Cast) -> dict[str, Any]:
    from pacte.accounts.signin import save_identity_provider
    from pacte.testing.saml import idp_metadata, signing_pair

    save_identity_provider(
        workspace=c.workspace,
        actor=None,
        kind="saml",
        display_name="Sign in with Acme",
        metadata_xml=idp_metadata(
            entity_id="https://idp.acme.example/",
            sso_url="https://idp.acme.example/sso",
            cert_pem=signing_pair()[1],
        ),
    )
    return {"slug": c.workspace.slug}


def scim_token(c: Cast) -> dict[str, Any]:
    from pacte.accounts.scim import create_scim_token

    return {"uuid": create_scim_token(workspace=c.workspace, actor=None, name="probe")[0].uuid}


def invitation(c: Cast) -> dict[str, Any]:
    """An invitation of the workspace to someone of the outsider's workspace."""
    from pacte.org.services import create_member

    email = f"guest-{uuid.uuid4().hex[:8]}@elsewhere.example"
    create_member(
        workspace=c.outsider_workspace,
        actor=None,
        email=email,
        name="Guest",
        roles=["seller"],
        unit=c.outsider_team,
    )
    member = create_member(
        workspace=c.workspace,
        actor=c.admin,
        email=email,
        name="Guest",
        roles=["seller"],
        unit=c.team,
    )
    return {"uuid": member.invitation.uuid}


def mapping(c: Cast) -> dict[str, Any]:
    from pacte.accounts.signin import save_group_mapping

    return {
        "uuid": save_group_mapping(
            workspace=c.workspace, actor=None, group=f"probe-{uuid.uuid4()}", roles=["seller"]
        ).uuid
    }


#: The single sign-on endpoints are public by nature (the provider's answer is the credential);
#: an OIDC callback on a SAML workspace, or without a sign-in under way, is refused.
register_pages(
    {
        "accounts:choose_workspace": Route("member"),
        # The second step of a sign-in and sign-in with a passkey come before any session.
        "accounts:login_verify": Route("public"),
        "accounts:login_verify_passkey_options": Route(
            "public", extra={"anonymous_statuses": (400, 405)}
        ),
        "accounts:login_verify_passkey": Route("public", extra={"anonymous_statuses": (400, 405)}),
        "accounts:passkey_login_options": Route("public"),
        "accounts:passkey_login": Route("public"),
        "accounts:security": Route("member"),
        "accounts:passkey_add_options": Route("member"),
        "accounts:passkey_add": Route("member"),
        "accounts:end_sessions": Route("member"),
        "accounts:sign_in_settings": Route(ADMIN),
        "accounts:provider_delete": Route(ADMIN),
        "accounts:mapping_delete": Route(ADMIN, obj=mapping),
        "accounts:scim_token_revoke": Route(ADMIN, obj=scim_token),
        "accounts:invitations": Route("member"),
        "accounts:invitation_accept": Route("member", obj=invitation),
        "accounts:invitation_decline": Route("member", obj=invitation),
        "sso:start": Route("public", obj=saml_workspace),
        "sso:oidc_callback": Route(
            "public", obj=saml_workspace, extra={"anonymous_statuses": (404,)}
        ),
        "sso:saml_acs": Route("public", obj=saml_workspace),
        "sso:saml_finish": Route("public", obj=saml_workspace),
        "sso:saml_metadata": Route("public", obj=saml_workspace),
        "sso:saml_slo": Route("public", obj=saml_workspace, extra={"anonymous_statuses": (404,)}),
    }
)


def api_invitation(c: Cast) -> dict[str, Any]:
    return {"invitation_id": invitation(c)["uuid"]}


def api_mapping(c: Cast) -> dict[str, Any]:
    return {"mapping_id": mapping(c)["uuid"]}


register_api(
    {
        ("GET", "/api/v1/sign-in"): Route(ADMIN),
        ("PATCH", "/api/v1/sign-in"): Route(ADMIN, body=lambda c: {"idle_timeout_minutes": 30}),
        ("PUT", "/api/v1/sign-in/provider"): Route(
            ADMIN,
            body=lambda c: {
                "kind": "oidc",
                "display_name": "Sign in with Acme",
                "issuer": "https://login.acme.example",
                "client_id": "pacte",
                "client_secret": "s3cret",
            },
        ),
        ("DELETE", "/api/v1/sign-in/provider"): Route(ADMIN),
        ("POST", "/api/v1/sign-in/mappings"): Route(
            ADMIN, body=lambda c: {"group": "sales", "roles": ["seller"]}
        ),
        ("DELETE", "/api/v1/sign-in/mappings/{mapping_id}"): Route(ADMIN, obj=api_mapping),
        ("POST", "/api/v1/sessions/end"): Route("member"),
        ("GET", "/api/v1/invitations"): Route("member"),
        ("POST", "/api/v1/invitations/{invitation_id}/accept"): Route("member", obj=api_invitation),
        ("POST", "/api/v1/invitations/{invitation_id}/decline"): Route(
            "member", obj=api_invitation
        ),
    }
)


def scim_group(c: Cast) -> dict[str, Any]:
    from pacte.accounts.models import ScimGroup

    return {"uuid": ScimGroup.objects.create(workspace=c.workspace, display_name="Sales").uuid}


#: SCIM: a workspace's SCIM bearer token only (rule ``scim``): no session, no personal token;
#: another workspace's SCIM token finds nothing (404).
register_pages(
    {
        "scim:service_provider_config": Route("scim"),
        "scim:resource_types": Route("scim"),
        "scim:resource_type": Route("scim", obj=lambda c: {"name": "User"}),
        "scim:schemas": Route("scim"),
        "scim:schema": Route(
            "scim", obj=lambda c: {"schema_id": "urn:ietf:params:scim:schemas:core:2.0:User"}
        ),
        "scim:search": Route("scim"),
        "scim:users_search": Route("scim"),
        "scim:groups_search": Route("scim"),
        "scim:users": Route("scim"),
        "scim:user": Route("scim", obj=lambda c: {"uuid": c.other_seller.uuid}),
        "scim:groups": Route("scim"),
        "scim:group": Route("scim", obj=scim_group),
        "scim:not_found": Route("scim", obj=lambda c: {"rest": "Nothing"}),
    }
)
