from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pacte.accounts.models import COMPANY_ROLE_CHOICES, Membership, Workspace
from pacte.formfields import DateField
from pacte.org.models import Unit
from pacte.uploads import LimitedFileField


def unit_choices(workspace: Workspace) -> Any:
    return Unit.objects.for_workspace(workspace).active().order_by("name")


class MemberCreateForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"))
    name = forms.CharField(label=_("Name"), max_length=200)
    roles = forms.MultipleChoiceField(
        label=_("Roles"), choices=COMPANY_ROLE_CHOICES, widget=forms.CheckboxSelectMultiple
    )
    unit = forms.ModelChoiceField(
        label=_("Team"), queryset=Unit.objects.none(), to_field_name="uuid"
    )
    joined_on = DateField(label=_("Joined on"), initial=timezone.localdate)
    password = forms.CharField(
        label=_("Initial password"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty if the person already has a login in another workspace."),
    )

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = unit_choices(workspace)  # type: ignore[attr-defined]


class MemberEditForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    roles = forms.MultipleChoiceField(
        label=_("Roles"), choices=COMPANY_ROLE_CHOICES, widget=forms.CheckboxSelectMultiple
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class MemberMoveForm(forms.Form):
    unit = forms.ModelChoiceField(
        label=_("New team"), queryset=Unit.objects.none(), to_field_name="uuid"
    )
    effective = DateField(label=_("Effective from"), initial=timezone.localdate)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = unit_choices(workspace)  # type: ignore[attr-defined]


class UnitForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    parent = forms.ModelChoiceField(
        label=_("Part of"), queryset=Unit.objects.none(), to_field_name="uuid", required=False
    )
    lead = forms.ModelChoiceField(
        label=_("Lead"), queryset=Membership.objects.none(), to_field_name="uuid", required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = unit_choices(workspace)  # type: ignore[attr-defined]
        self.fields["lead"].queryset = (  # type: ignore[attr-defined]
            Membership.objects.for_workspace(workspace).active().order_by("name")
        )


class PeopleImportForm(forms.Form):
    file = LimitedFileField(label=_("CSV file"))


class PeopleFilterForm(forms.Form):
    """The people list filters; the API's ``MemberFilter`` uses the same definition."""

    q = forms.CharField(label=_("Search"), required=False)
    unit = forms.UUIDField(label=_("Team"), required=False)
    role = forms.ChoiceField(
        label=_("Role"), choices=[("", _("Any role")), *COMPANY_ROLE_CHOICES], required=False
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("active", _("Active")), ("inactive", _("Deactivated")), ("all", _("All"))],
        required=False,
    )


class OnDateForm(forms.Form):
    on = DateField(label=_("As of"), required=False)


class ShapeForm(forms.Form):
    max_layers = forms.IntegerField(
        label=_("Most layers between a seller and the top"), min_value=0, max_value=10_000
    )
    span_min = forms.IntegerField(label=_("Smallest span"), min_value=0, max_value=10_000)
    span_max = forms.IntegerField(label=_("Largest span"), min_value=0, max_value=10_000)


class OrgSettingsForm(ShapeForm):
    require_lead = forms.BooleanField(label=_("Every team must have a lead"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ProposalCreateForm(ShapeForm):
    name = forms.CharField(label=_("Name of the draft"), max_length=200)
    on = DateField(label=_("Organisation of"), initial=timezone.localdate)


class ProposalApplyForm(forms.Form):
    effective = DateField(label=_("Effective from"), initial=timezone.localdate)
    version = forms.IntegerField(widget=forms.HiddenInput)


class DeputyForm(forms.Form):
    deputy = forms.UUIDField(label=_("Deputy"))
    starts_on = DateField(label=_("From"))
    ends_on = DateField(label=_("Until (included)"), required=False)
