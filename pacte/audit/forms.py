from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from pacte.audit.labels import OBJECT_LABELS
from pacte.formfields import DateField


class AuditFilterForm(forms.Form):
    """Filters of the audit page; the API's ``AuditFilter`` applies the same selector."""

    person = forms.UUIDField(label=_("Person"), required=False)
    object_type = forms.ChoiceField(
        label=_("Object"), required=False, choices=[("", _("Any object")), *OBJECT_LABELS.items()]
    )
    q = forms.CharField(label=_("Object name"), required=False)
    date_from = DateField(label=_("From"), required=False)
    date_to = DateField(label=_("To"), required=False)
