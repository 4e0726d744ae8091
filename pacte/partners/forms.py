"""Forms of the partner pages: they read what was typed; the rules live in ``services``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from pacte.accounts.models import Membership, Workspace
from pacte.amounts import AmountField, AmountFormMixin
from pacte.formfields import DateField
from pacte.objectives.forms import DATE_MESSAGES
from pacte.partners.models import PartnerKind
from pacte.sales.models import Channel


class PartnerForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=PartnerKind.choices)
    channel = forms.ModelChoiceField(label=_("Channel"), queryset=Channel.objects.none())
    territory = forms.CharField(label=_("Territory"), max_length=100, required=False)
    owner = forms.ModelChoiceField(label=_("Channel manager"), queryset=Membership.objects.none())
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        channel = self.fields["channel"]
        owner = self.fields["owner"]
        assert isinstance(channel, forms.ModelChoiceField)
        assert isinstance(owner, forms.ModelChoiceField)
        channel.queryset = Channel.objects.for_workspace(workspace).filter(is_active=True)
        owner.queryset = (
            Membership.objects.for_workspace(workspace)
            .active()
            .filter(is_partner=False, partner_seat__isnull=True)
            .order_by("name")
        )
        channel.to_field_name = "uuid"
        owner.to_field_name = "uuid"


class PersonForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    email = forms.CharField(label=_("E-mail"), max_length=254)


class ProposeForm(AmountFormMixin, forms.Form):
    amount = AmountField(label=_("Our commitment for the year"))
    narrative = forms.CharField(label=_("How we will reach it"), required=False, strip=False)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class CheckInForm(forms.Form):
    confidence = forms.IntegerField(label=_("Confidence (0 to 10)"), min_value=0, max_value=10)
    comment = forms.CharField(label=_("Comment"), required=False)


class KeyResultForm(forms.Form):
    """A key result of the partner's plan: the target is read by the service, as typed."""

    name = forms.CharField(label=_("Name"), max_length=200)
    measure = forms.CharField(label=_("Measure"), max_length=200, required=False)
    target = forms.CharField(label=_("Target"), max_length=40)
    unit = forms.CharField(label=_("Unit"), max_length=40, required=False)
    due_on = DateField(label=_("Due date"), required=False, error_messages=DATE_MESSAGES)
