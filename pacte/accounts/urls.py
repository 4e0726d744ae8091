from django.urls import path

from pacte.accounts import signin_views, views

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
    path("sessions/end/", views.end_sessions, name="end_sessions"),
    path("sign-in/", signin_views.sign_in_settings, name="sign_in_settings"),
    path("sign-in/provider/delete/", signin_views.provider_delete, name="provider_delete"),
    path(
        "sign-in/mappings/<uuid:uuid>/delete/", signin_views.mapping_delete, name="mapping_delete"
    ),
]
