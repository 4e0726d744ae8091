"""Forms of the insights pages."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from pacte.amounts import AmountField, AmountFormMixin
from pacte.insights.models import LatePolicy


class JudgmentForm(AmountFormMixin, forms.Form):
    committed = AmountField(label=_("Committed"), required=False)
    best_case = AmountField(label=_("Best case"), required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=500)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class WhatIfForm(AmountFormMixin, forms.Form):
    """A deal and the month it closes: ``month`` is the fiscal month (1..12), offered by name
    ("March 2026") when the page gives the year's ``months``."""

    amount = AmountField(label=_("Deal amount"))
    month = forms.TypedChoiceField(
        label=_("Month it closes"), coerce=int, choices=[(n, str(n)) for n in range(1, 13)]
    )

    def __init__(self, *args: Any, months: Sequence[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if months:
            self.fields["month"].choices = list(enumerate(months, start=1))  # type: ignore[attr-defined]


class CloseForm(forms.Form):
    month = forms.CharField(label=_("Month"), max_length=12)
    action = forms.ChoiceField(choices=[("close", _("Close")), ("reopen", _("Reopen"))])


class SettingsForm(forms.Form):
    late_sale_policy = forms.ChoiceField(
        label=_("A sale dated in a closed month"), choices=LatePolicy.choices
    )
    judgment_weight = forms.IntegerField(
        label=_("Weight of the seller's own forecast (percent)"), min_value=0, max_value=100
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class PreferenceForm(forms.Form):
    digest = forms.BooleanField(label=_("Weekly digest by e-mail"), required=False)
    alerts = forms.BooleanField(label=_("Alerts by e-mail"), required=False)
