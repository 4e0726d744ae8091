"""Forms of the objectives pages. They only read what was typed — amounts in the page's
language (:class:`~pacte.amounts.AmountField`), dates from a date picker
(:class:`~pacte.formfields.DateField`) — and keep it as typed for the page to show again; the
rules live in ``services`` and ``maths``, which the API calls too.

The pages write their inputs by hand (the templates own the markup), so these forms are bound
to the posted data and never rendered.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from pacte.amounts import AmountField, AmountFormMixin, message
from pacte.formfields import DateField

MONTHS = range(1, 13)
DATE_MESSAGES = {
    "required": _("Enter a date (YYYY-MM-DD)."),
    "invalid": _("Enter a date (YYYY-MM-DD)."),
}


def raw_text(**kwargs: Any) -> forms.CharField:
    """A text input kept exactly as typed (the services trim what they store)."""
    return forms.CharField(required=False, strip=False, **kwargs)


class VersionField(forms.Field):
    """The version a page was shown at: a whole number, else ``None``, which the service
    refuses as a stale write (never a form error)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, **kwargs)

    def to_python(self, value: Any) -> int | None:
        try:
            return int(str(value))
        except (TypeError, ValueError):
            return None


class UuidListField(forms.Field):
    """Every value of a repeated field that is a UUID, as text; the others are left out."""

    widget = forms.MultipleHiddenInput

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, **kwargs)

    def to_python(self, value: Any) -> list[str]:
        out = []
        for item in value or []:
            try:
                out.append(str(uuid.UUID(str(item))))
            except ValueError:
                continue
        return out


def first_errors(form: forms.BaseForm, names: Sequence[str] | None = None) -> dict[str, str]:
    """The first message of each field in error (of ``names`` only, when given)."""
    return {
        name: str(errors[0])
        for name, errors in form.errors.items()
        if errors and (names is None or name in names)
    }


def first_error(form: forms.BaseForm) -> str:
    """The message of the first field in error, in the form's field order."""
    errors = first_errors(form)
    return next((errors[name] for name in form.fields if name in errors), "")


# --------------------------------------------------------------------------- page parameters


class PageForm(forms.Form):
    """What a page is about: the fiscal year (``fy``) and, on the reconciliation page, the team
    (``unit``), as given in the query string or the posted form; the view checks them."""

    fy = raw_text()
    unit = raw_text()


def page_value(name: str, *sources: Any) -> str:
    """``name`` from the first of ``sources`` (query string, then posted data) that gives it."""
    for data in sources:
        form = PageForm(data)
        form.is_valid()
        if form.cleaned_data.get(name):
            return str(form.cleaned_data[name])
    return ""


# --------------------------------------------------------------------------- my objective


class ObjectiveForm(AmountFormMixin, forms.Form):
    """The seller's objective: the annual amount, the 12 months (all blank: phased like the
    reference; otherwise every month is needed), the channel split, the narrative."""

    amount = AmountField()
    narrative = raw_text()
    version = VersionField()
    action = raw_text()

    def __init__(self, *args: Any, channel_codes: Sequence[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.channel_codes = list(channel_codes)
        for i in MONTHS:
            self.fields[f"month_{i}"] = AmountField(required=False, currency=self.currency)
        for code in self.channel_codes:
            self.fields[f"channel_{code}"] = raw_text()

    @property
    def currency(self) -> str:
        field = self.fields["amount"]
        assert isinstance(field, AmountField)
        return field.currency

    def _raw(self, name: str) -> str:
        value = self[name].value()
        return "" if value is None else str(value)

    def months_given(self) -> bool:
        return any(self._raw(f"month_{i}").strip() for i in MONTHS)

    def months_required(self) -> bool:
        return self.months_given()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.months_required():
            for i in MONTHS:
                name = f"month_{i}"
                if name not in self.errors and data.get(name) is None:
                    self.add_error(name, message("required", "", self.currency))
        months = [data.get(f"month_{i}") for i in MONTHS]
        data["months"] = months if self.months_given() else None
        data["split"] = {code: data.get(f"channel_{code}", "") for code in self.channel_codes}
        return data

    def typed(self) -> dict[str, Any]:
        """What was typed, as the page shows it again."""
        return {
            "amount": self._raw("amount"),
            "months": [self._raw(f"month_{i}") for i in MONTHS],
            "split": {code: self._raw(f"channel_{code}") for code in self.channel_codes},
            "narrative": self._raw("narrative"),
            "version": self._raw("version"),
        }

    def amount_errors(self) -> dict[str, str]:
        """The message next to each amount or month that is not one."""
        return first_errors(self, ["amount", *(f"month_{i}" for i in MONTHS)])

    def typed_months(self) -> list[int]:
        """The months typed as amounts (0 for a blank one or one that is not an amount)."""
        return [self.cleaned_data.get(f"month_{i}") or 0 for i in MONTHS]


class PhasingForm(ObjectiveForm):
    """The editor sent back by htmx when the annual amount or a month changed: ``trigger`` (the
    htmx trigger's name, else the posted ``changed``) says which."""

    changed = raw_text()

    def __init__(self, *args: Any, trigger: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.trigger_header = trigger

    @property
    def trigger(self) -> str:
        return self.trigger_header or self._raw("changed")

    def months_required(self) -> bool:
        """Totalling the months needs every month."""
        return self.trigger.startswith("month_") or self.months_given()

    def trigger_errors(self) -> dict[str, str]:
        """The messages of the inputs the change is about: the amount, or the months."""
        if self.trigger == "amount":
            return first_errors(self, ["amount"])
        if self.trigger.startswith("month_"):
            return first_errors(self, [f"month_{i}" for i in MONTHS])
        return {}


# --------------------------------------------------------------------------- decisions


class DecisionForm(forms.Form):
    """A handler's decision on a proposal: agree, return or counter-propose (with a reason)."""

    decision = raw_text()
    version = VersionField()
    reason = raw_text()


class CounterForm(AmountFormMixin, forms.Form):
    """The amount of a counter-proposal."""

    counter_amount = AmountField()


# --------------------------------------------------------------------------- policy, windows


class PolicyForm(forms.Form):
    """The delegation policy: automatic agreement and its tolerance (read by the service)."""

    auto_agree = raw_text()
    tolerance_pct = raw_text()
    version = VersionField()

    def clean_auto_agree(self) -> bool:
        return bool(self.cleaned_data["auto_agree"] == "on")


class WindowForm(forms.Form):
    """An objective-setting window of a fiscal year."""

    fiscal_year = raw_text()
    opens_on = DateField(error_messages=DATE_MESSAGES)
    closes_on = DateField(error_messages=DATE_MESSAGES)
    version = VersionField()

    def clean_fiscal_year(self) -> int:
        try:
            return int(self.cleaned_data["fiscal_year"] or 0)
        except ValueError:
            raise forms.ValidationError(
                _("Enter the fiscal year as a number, e.g. 2027."), code="year_invalid"
            ) from None


class WhichForm(forms.Form):
    """Which of a page's forms was sent (``form`` on the policy page, ``action`` on the plan)."""

    form = raw_text()
    action = raw_text()


# --------------------------------------------------------------------------- reconciliation


class GapRuleForm(AmountFormMixin, forms.Form):
    """A rule closing a team's gap: its kind, amount, the sellers asked and a note; ``apply``
    is "1" to apply it, anything else to preview it."""

    kind = raw_text()
    amount = AmountField()
    sellers = UuidListField()
    note = raw_text()
    apply = raw_text()

    def typed(self) -> dict[str, Any]:
        """What was typed, as the page shows it again (the sellers as ticked)."""
        return {
            "kind": self["kind"].value() or "",
            "amount": self["amount"].value() or "",
            "sellers": list(self["sellers"].value() or []),
            "note": self["note"].value() or "",
        }


# --------------------------------------------------------------------------- plan


class KeyResultForm(forms.Form):
    name = raw_text()
    measure = raw_text()
    target = raw_text()
    unit = raw_text()
    due_on = DateField(required=False, error_messages=DATE_MESSAGES)


class KeyResultRefForm(forms.Form):
    key_result = raw_text()


class InitiativeForm(forms.Form):
    text = raw_text()


class InitiativeStatusForm(forms.Form):
    initiative = raw_text()
    status = raw_text()


class CheckInForm(forms.Form):
    confidence = raw_text()
    comment = raw_text()


class CheckInReplyForm(forms.Form):
    action = raw_text()  # "reply" or "seen"
    reply = raw_text()
    show = raw_text()


# --------------------------------------------------------------------------- period reviews


class ReviewForm(forms.Form):
    """The seller's review: reason codes (checkboxes, any posted code kept: the service says
    which one is not in the list), text, what changes next period."""

    reasons = forms.Field(required=False, widget=forms.MultipleHiddenInput)
    text = raw_text()
    next_change = raw_text()
    version = VersionField()


class ReviewAnswerForm(forms.Form):
    answer = raw_text()
    version = VersionField()


class ReviewPeriodForm(forms.Form):
    """The period a reviews page is about (``fy``, ``quarter``, ``by``) or an executive asks
    reviews for; the views and services check them."""

    fy = raw_text()
    quarter = raw_text()
    by = raw_text()
    status = raw_text()
    format = raw_text()


def reason_rows(data: Any, count: int) -> list[dict[str, Any]]:
    """The reasons typed on the reasons page: rows ``code_N``, ``name_en_N``, ``name_fr_N``,
    ``active_N`` for N from 0; a row with no name at all is left out (the blank new row)."""
    rows = []
    for i in range(count):
        name_en = str(data.get(f"name_en_{i}", ""))
        name_fr = str(data.get(f"name_fr_{i}", ""))
        code = str(data.get(f"code_{i}", ""))
        if not (name_en.strip() or name_fr.strip()):
            continue
        rows.append(
            {
                "code": code,
                "name_en": name_en,
                "name_fr": name_fr,
                "is_active": bool(data.get(f"active_{i}")),
            }
        )
    return rows
