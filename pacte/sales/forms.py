from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from pacte.accounts.models import Membership, Workspace
from pacte.formfields import DateField
from pacte.sales.ingest.context import FIELDS
from pacte.sales.labels import FIELD_LABELS
from pacte.sales.models import Channel, CreditKind, MappingProfile, MissingRate, RuleTarget
from pacte.uploads import LimitedFileField

DATE_ORDERS = [
    ("auto", _("Detect")),
    ("dmy", _("Day first (28/11/2026)")),
    ("mdy", _("Month first (11/28/2026)")),
    ("iso", _("ISO (2026-11-28)")),
]
AMOUNT_STYLES = [
    ("auto", _("Detect")),
    ("fr", _("Decimal comma (1 234,56)")),
    ("en", _("Decimal point (1,234.56)")),
]


class ChannelForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=40)
    name_en = forms.CharField(label=_("Name in English"), max_length=100)
    name_fr = forms.CharField(label=_("Name in French"), max_length=100)
    position = forms.IntegerField(label=_("Position"), min_value=0, initial=0)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class UploadForm(forms.Form):
    file = LimitedFileField(label=_("CSV or Excel (XLSX) file"))
    source = forms.CharField(
        label=_("Source system"),
        max_length=60,
        initial="default",
        help_text=_("Sale ids are unique per source: use one name per system you export from."),
    )


class MappingForm(forms.Form):
    profile_name = forms.CharField(label=_("Save this mapping as"), max_length=100, required=False)
    date_order = forms.ChoiceField(label=_("Date order"), choices=DATE_ORDERS)
    amount_style = forms.ChoiceField(label=_("Number format"), choices=AMOUNT_STYLES)
    confirm_unused = forms.BooleanField(
        label=_("Import anyway: leave this column out"), required=False
    )

    def __init__(self, *args: Any, columns: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", _("— not in the file —")), *((c, c) for c in columns)]
        for name, required in FIELDS.items():
            self.fields[f"map_{name}"] = forms.ChoiceField(
                label=FIELD_LABELS[name], choices=choices, required=required
            )

    def mapping(self) -> dict[str, str]:
        return {
            name: self.cleaned_data[f"map_{name}"]
            for name in FIELDS
            if self.cleaned_data.get(f"map_{name}")
        }

    def raw_mapping(self) -> dict[str, str]:
        """The mapping as posted, valid or not (the live preview follows the selects)."""
        columns = {value for value, _label in self.fields["map_external_id"].choices}  # type: ignore[attr-defined]
        return {
            name: value
            for name in FIELDS
            if (value := self.data.get(f"map_{name}") or "") and value in columns
        }

    def mapping_fields(self) -> list[forms.BoundField]:
        return [self[f"map_{name}"] for name in FIELDS]


class ProfileChoiceForm(forms.Form):
    profile = forms.ModelChoiceField(
        label=_("Saved mapping"), queryset=MappingProfile.objects.none(), to_field_name="uuid"
    )

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["profile"].queryset = MappingProfile.objects.for_workspace(workspace)  # type: ignore[attr-defined]


class SaleFilterForm(forms.Form):
    """The sales list filters; the API's ``SaleFilter`` uses the same definition."""

    q = forms.CharField(label=_("Search"), required=False)
    channel = forms.UUIDField(label=_("Channel"), required=False)
    date_from = DateField(label=_("From"), required=False)
    date_to = DateField(label=_("To"), required=False)


class RuleForm(forms.Form):
    channel = forms.ModelChoiceField(
        label=_("Channel"), queryset=Channel.objects.none(), to_field_name="uuid", required=False
    )
    territory = forms.CharField(label=_("Territory"), max_length=100, required=False)
    kind = forms.ChoiceField(label=_("Credit"), choices=CreditKind.choices)
    target = forms.ChoiceField(label=_("Goes to"), choices=RuleTarget.choices)
    owner = forms.ModelChoiceField(
        label=_("Person"), queryset=Membership.objects.none(), to_field_name="uuid", required=False
    )
    priority = forms.IntegerField(label=_("Priority"), min_value=0, initial=100)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channel"].queryset = Channel.objects.for_workspace(workspace)  # type: ignore[attr-defined]
        self.fields["owner"].queryset = (  # type: ignore[attr-defined]
            Membership.objects.for_workspace(workspace).active().order_by("name")
        )


class RateForm(forms.Form):
    """One exchange rate: the currency's code, the day it applies from, the rate typed in the
    reader's language (``1,0712`` in French, ``1.0712`` in English)."""

    currency = forms.CharField(
        label=_("Currency"),
        max_length=3,
        min_length=3,
        help_text=_("ISO 4217 code, e.g. CHF"),
    )
    date = DateField(label=_("From"))
    rate = forms.CharField(
        label=_("Rate"),
        max_length=30,
        help_text=_("What one unit of this currency is worth in the workspace currency."),
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class RateFileForm(forms.Form):
    file = LimitedFileField(
        label=_("CSV file of rates"),
        help_text=_("Columns currency, date and rate; one line per currency and day."),
    )


class MissingRateForm(forms.Form):
    missing_rate = forms.ChoiceField(
        label=_("When a sale's date has no rate"), choices=MissingRate.choices
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
