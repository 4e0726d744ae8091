from django.urls import path

from pacte.accounts import sso_views

app_name = "sso"
urlpatterns = [
    path("<slug:slug>/", sso_views.start, name="start"),
    path("<slug:slug>/oidc/callback/", sso_views.oidc_callback, name="oidc_callback"),
    path("<slug:slug>/saml/acs/", sso_views.saml_acs, name="saml_acs"),
    path("<slug:slug>/saml/finish/", sso_views.saml_finish, name="saml_finish"),
    path("<slug:slug>/saml/metadata/", sso_views.saml_metadata, name="saml_metadata"),
    path("<slug:slug>/saml/slo/", sso_views.saml_slo, name="saml_slo"),
]
