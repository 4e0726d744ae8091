from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from pacte.webhooks.models import Format
from pacte.webhooks.services import kinds_for_choice


class SubscriptionForm(forms.Form):
    """Add or change a webhook. On a change, an empty address keeps the stored one."""

    name = forms.CharField(label=_("Name"), max_length=120)
    url = forms.CharField(
        label=_("Address"),
        max_length=2000,
        required=False,
        widget=forms.URLInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    format = forms.ChoiceField(label=_("Format"), choices=Format.choices)
    events = forms.MultipleChoiceField(
        label=_("Events"), widget=forms.CheckboxSelectMultiple, choices=()
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        events = self.fields["events"]
        assert isinstance(events, forms.MultipleChoiceField)
        events.choices = kinds_for_choice()
        if editing:
            self.fields["url"].help_text = _(
                "Stored encrypted and never shown again: leave empty to keep it."
            )
        else:
            self.fields["url"].required = True
            self.fields["url"].help_text = _(
                "For Slack or Teams, the incoming-webhook address the channel gives you."
            )
