from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pacte.accounts.models import Language, LoginFailure, time_zones


class ThrottledLoginForm(AuthenticationForm):
    """Refuses a login after too many recent failures for the same e-mail address."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled": _(
            "Too many failed attempts for this address. Wait %(minutes)s minutes and try again."
        ),
    }

    def clean(self) -> dict[str, Any]:
        email = (self.data.get("username") or "").strip().lower()
        window = timezone.now() - timedelta(minutes=settings.PACTE_LOGIN_LOCKOUT_MINUTES)
        failures = LoginFailure.objects.filter(email=email, at__gte=window).count()
        if email and failures >= settings.PACTE_LOGIN_MAX_FAILURES:
            raise forms.ValidationError(
                self.error_messages["throttled"],
                code="throttled",
                params={"minutes": settings.PACTE_LOGIN_LOCKOUT_MINUTES},
            )
        try:
            return super().clean()
        except forms.ValidationError:
            if email:
                LoginFailure.objects.create(email=email)
            raise


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=Language.choices)


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=100)


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
