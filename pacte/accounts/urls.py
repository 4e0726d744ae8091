from django.urls import path

from pacte.accounts import invitation_views, mfa_views, signin_views, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("password/", views.password_change, name="password_change"),
    path("password/done/", views.password_change_done, name="password_change_done"),
    path("language/", views.set_language, name="set_language"),
    path("", views.account, name="account"),
    path("tokens/<uuid:uuid>/revoke/", views.token_revoke, name="token_revoke"),
    path("workspace/", views.switch_workspace, name="switch_workspace"),
    path("settings/", views.workspace_settings, name="workspace_settings"),
    path("choose/", views.choose_workspace, name="choose_workspace"),
    path("login/verify/", mfa_views.login_verify, name="login_verify"),
    path(
        "login/verify/passkey/options/",
        mfa_views.login_verify_passkey_options,
        name="login_verify_passkey_options",
    ),
    path("login/verify/passkey/", mfa_views.login_verify_passkey, name="login_verify_passkey"),
    path("login/passkey/options/", mfa_views.passkey_login_options, name="passkey_login_options"),
    path("login/passkey/", mfa_views.passkey_login, name="passkey_login"),
    path("2fa/", mfa_views.security, name="security"),
    path("2fa/passkey/options/", mfa_views.passkey_add_options, name="passkey_add_options"),
    path("2fa/passkey/", mfa_views.passkey_add, name="passkey_add"),
    path("sessions/end/", views.end_sessions, name="end_sessions"),
    path("invitations/", invitation_views.invitation_list, name="invitations"),
    path(
        "invitations/<uuid:uuid>/accept/",
        invitation_views.invitation_accept,
        name="invitation_accept",
    ),
    path(
        "invitations/<uuid:uuid>/decline/",
        invitation_views.invitation_decline,
        name="invitation_decline",
    ),
    path("sign-in/", signin_views.sign_in_settings, name="sign_in_settings"),
    path("sign-in/provider/delete/", signin_views.provider_delete, name="provider_delete"),
    path(
        "sign-in/mappings/<uuid:uuid>/delete/", signin_views.mapping_delete, name="mapping_delete"
    ),
    path(
        "sign-in/scim-tokens/<uuid:uuid>/revoke/",
        signin_views.scim_token_revoke,
        name="scim_token_revoke",
    ),
]
