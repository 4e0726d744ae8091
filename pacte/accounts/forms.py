from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from pacte.accounts import signin, throttle
from pacte.accounts.models import Language, ProviderKind, Role, User, time_zones


class ThrottledLoginForm(AuthenticationForm):
    """Password login: one attempt consumed *before* the password is checked
    (``pacte.accounts.throttle``), then the workspace's single sign-on policy."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled": _(
            "Too many failed attempts for this address. Wait %(minutes)s minutes and try again."
        ),
        "sso_required": _(
            "Your company requires signing in through its identity provider: use "
            "“Continue with single sign-on”."
        ),
    }

    def clean(self) -> dict[str, Any]:
        email = (self.data.get("username") or "").strip().lower()
        password = self.data.get("password") or ""
        if not email or not password:
            return super().clean()
        address = self.request.META.get("REMOTE_ADDR", "") if self.request else ""
        try:
            attempt = throttle.begin(
                email=email, address=address, second_factor=_has_second_factor(email)
            )
        except throttle.Throttled as exc:
            raise forms.ValidationError(
                self.error_messages["throttled"],
                code="throttled",
                params={"minutes": exc.minutes},
            ) from None
        cleaned = super().clean()
        attempt.succeeded()
        user = self.get_user()
        if user is not None and signin.password_login_refused(user):
            self.user_cache = None
            raise forms.ValidationError(self.error_messages["sso_required"], code="sso_required")
        return cleaned


def _has_second_factor(email: str) -> bool:
    from pacte.accounts.mfa import has_second_factor

    user = User.objects.filter(email=email).first()
    return user is not None and has_second_factor(user)


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=Language.choices)


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=100)


class ScimTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        help_text=_("Where it is used, e.g. “Entra ID”."),
    )


class WorkspaceForm(forms.Form):
    name = forms.CharField(label=_("Company name"), max_length=200)
    language = forms.ChoiceField(label=_("Default language"), choices=Language.choices)
    fiscal_year_start_month = forms.TypedChoiceField(
        label=_("First month of the fiscal year"),
        coerce=int,
        choices=[(m, m) for m in range(1, 13)],
    )
    rounding_unit = forms.IntegerField(
        label=_("Rounding unit for targets, in cents"),
        min_value=1,
        max_value=10**12,
        help_text=_("For example 100000 rounds every share to 1,000 of the currency."),
    )
    leaderboard_enabled = forms.BooleanField(
        label=_("Sellers see each other's individual figures"), required=False
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        help_text=_("Digests, reminders and snapshots run at their day and hour in this zone."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["time_zone"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(z, z) for z in sorted(time_zones())]


class ProviderForm(forms.Form):
    kind = forms.ChoiceField(label=_("Protocol"), choices=ProviderKind.choices)
    display_name = forms.CharField(
        label=_("Button label"),
        max_length=100,
        help_text=_("For example “Sign in with Acme”."),
    )
    email_domains = forms.CharField(
        label=_("E-mail domains"),
        max_length=500,
        required=False,
        help_text=_(
            "Comma-separated, e.g. acme.com, acme.fr: these addresses are offered this provider."
        ),
    )
    is_enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)
    issuer = forms.CharField(
        label=_("Issuer URL (OpenID Connect)"),
        max_length=500,
        required=False,
        help_text=_("Discovery reads ISSUER/.well-known/openid-configuration."),
    )
    client_id = forms.CharField(
        label=_("Client ID (OpenID Connect)"), max_length=255, required=False
    )
    client_secret = forms.CharField(
        label=_("Client secret (OpenID Connect)"),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    scopes = forms.CharField(
        label=_("Scopes (OpenID Connect)"),
        max_length=255,
        required=False,
        initial="openid email profile",
    )
    metadata_url = forms.CharField(label=_("Metadata URL (SAML)"), max_length=500, required=False)
    metadata_xml = forms.CharField(
        label=_("Metadata XML (SAML)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Paste the provider's metadata when it has no URL."),
    )
    groups_claim = forms.CharField(
        label=_("Groups claim or attribute"), max_length=200, initial="groups"
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


def role_choices() -> list[tuple[str, Any]]:
    return [(r.value, r.label) for r in Role]


class PolicyForm(forms.Form):
    sso_required = forms.BooleanField(label=_("Single sign-on required"), required=False)
    break_glass = forms.ChoiceField(
        label=_("Break-glass admin (may still use a password)"), required=False
    )
    jit_enabled = forms.BooleanField(
        label=_("Create people at their first single sign-on"), required=False
    )
    default_roles = forms.MultipleChoiceField(
        label=_("Roles of people created without a matching group"),
        choices=role_choices,
        widget=forms.CheckboxSelectMultiple,
    )
    default_unit = forms.ChoiceField(label=_("Their team"), required=False)
    session_lifetime_hours = forms.IntegerField(
        label=_("Session lifetime, in hours"), min_value=1, max_value=8760
    )
    idle_timeout_minutes = forms.IntegerField(
        label=_("Sign out after this many idle minutes (0: never)"), min_value=0, max_value=525600
    )
    mfa_required_for_admins = forms.BooleanField(
        label=_("Two factors required for admins and executives"), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self, *args: Any, admins: list[tuple[str, str]], units: list[tuple[str, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["break_glass"].choices = [("", _("Nobody")), *admins]  # type: ignore[attr-defined]
        self.fields["default_unit"].choices = [("", _("The company")), *units]  # type: ignore[attr-defined]


class MappingForm(forms.Form):
    group = forms.CharField(label=_("Group"), max_length=200)
    roles = forms.MultipleChoiceField(
        label=_("Roles"), choices=role_choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    unit = forms.ChoiceField(label=_("Team"), required=False)

    def __init__(self, *args: Any, units: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", _("No team change")), *units]  # type: ignore[attr-defined]
