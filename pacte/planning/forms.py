"""Forms of the targets pages. They only parse; the rules live in ``services``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from pacte.accounts.models import Membership, Workspace
from pacte.amounts import AmountError, AmountField, AmountFormMixin, parse_amount
from pacte.errors import DomainError
from pacte.planning.labels import PHASING_LABELS
from pacte.planning.models import Method
from pacte.uploads import LimitedFileField

PHASING_CHOICES = list(PHASING_LABELS.items())


class TargetForm(AmountFormMixin, forms.Form):
    year = forms.CharField(widget=forms.HiddenInput)
    amount = AmountField(
        label=_("Company target"), help_text=_("In the workspace currency, e.g. 12500000.")
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class CascadeForm(forms.Form):
    year = forms.CharField(widget=forms.HiddenInput)
    method = forms.ChoiceField(
        label=_("Method"),
        choices=[c for c in Method.choices if c[0] != Method.STATED],
        initial=Method.EQUAL,
    )
    mix_equal = forms.DecimalField(label=_("Equal (FTE)"), required=False, min_value=0)
    mix_history = forms.DecimalField(label=_("History"), required=False, min_value=0)
    mix_potential = forms.DecimalField(label=_("Potential"), required=False, min_value=0)
    mix_capacity = forms.DecimalField(label=_("Capacity"), required=False, min_value=0)
    window_months = forms.IntegerField(
        label=_("History window (months)"), initial=12, min_value=1, max_value=36
    )
    bound_low = forms.DecimalField(
        label=_("Lowest growth vs history (%)"), required=False, help_text=_("e.g. -10")
    )
    bound_high = forms.DecimalField(
        label=_("Highest growth vs history (%)"), required=False, help_text=_("e.g. 30")
    )
    ramp_months = forms.IntegerField(
        label=_("Ramp-up of new hires (months)"), initial=3, min_value=0, max_value=24
    )
    phasing = forms.ChoiceField(label=_("Phasing"), choices=PHASING_CHOICES, initial="flat")
    profile = forms.CharField(
        label=_("Custom profile"),
        required=False,
        help_text=_("12 numbers separated by spaces, first fiscal month first."),
    )
    holds = forms.CharField(
        label=_("Holds"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line: e-mail = annual amount, e.g. sam@acme.example = 250000"),
    )
    exclusions = forms.MultipleChoiceField(
        label=_("Excluded sellers"), required=False, widget=forms.SelectMultiple
    )
    effective_from = forms.IntegerField(
        label=_("Effective from fiscal month"),
        initial=1,
        min_value=1,
        max_value=12,
        help_text=_("1 cascades the whole year; later months keep the published past."),
    )

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        sellers = (
            Membership.objects.for_workspace(workspace)
            .filter(is_seller=True, is_active=True)
            .order_by("name")
            .values_list("uuid", "name")
        )
        self.fields["exclusions"].choices = [(str(u), n) for u, n in sellers]  # type: ignore[attr-defined]

    def parameters(self) -> dict[str, Any]:
        """The raw parameters for ``cascade.parse_params``; bad holds raise DomainError."""
        data = self.cleaned_data
        mix = {
            name: data[f"mix_{name}"]
            for name in ("equal", "history", "potential", "capacity")
            if data.get(f"mix_{name}") is not None
        }
        bounds = None
        if data.get("bound_low") is not None or data.get("bound_high") is not None:
            low = data.get("bound_low")
            high = data.get("bound_high")
            bounds = [
                low if low is not None else Decimal(-100),
                high if high is not None else 10**6,
            ]
        emails = {
            email.lower(): str(uuid)
            for uuid, email in Membership.objects.for_workspace(self.workspace)
            .filter(is_seller=True)
            .values_list("uuid", "user__email")
        }
        holds: dict[str, int] = {}
        for number, line in enumerate((data.get("holds") or "").splitlines(), start=1):
            if not line.strip():
                continue
            email, sep, amount = line.partition("=")
            if not sep or email.strip().lower() not in emails:
                raise DomainError(
                    gettext("Holds, line %(line)s: expected “e-mail = amount” naming a seller.")
                    % {"line": number},
                    code="bad_hold",
                    field="holds",
                )
            try:
                minor = parse_amount(amount, self.workspace.currency, field="holds")
            except AmountError as exc:
                raise AmountError(
                    gettext("Holds, line %(line)s: %(problem)s")
                    % {"line": number, "problem": exc.message},
                    code=exc.code,
                    field="holds",
                ) from None
            holds[emails[email.strip().lower()]] = minor
        profile = (data.get("profile") or "").replace(";", " ").replace(",", " ").split()
        return {
            "method": data["method"],
            "mix": mix,
            "window_months": data.get("window_months") or 12,
            "bounds": bounds,
            "holds": holds,
            "exclusions": data.get("exclusions") or [],
            "phasing": data["phasing"],
            "profile": profile or None,
            "ramp_months": data.get("ramp_months") if data.get("ramp_months") is not None else 3,
            "effective_from": data.get("effective_from") or 1,
        }


class PotentialImportForm(forms.Form):
    year = forms.CharField(widget=forms.HiddenInput)
    file = LimitedFileField(
        label=_("CSV file"),
        help_text=_("Columns: seller (e-mail) or team (name), potential (amount)."),
    )
