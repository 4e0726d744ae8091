"""The objectives pages' forms: amounts read in the page's language, every month needed once
one is typed, what was typed kept as typed, dates and years refused with the page's words."""

from __future__ import annotations

import datetime

import pytest
from django.http import QueryDict
from django.utils import translation

from pacte.objectives import forms


def posted(**values: object) -> QueryDict:
    data = QueryDict(mutable=True)
    for name, value in values.items():
        if isinstance(value, list):
            data.setlist(name, value)
        else:
            data[name] = str(value)
    return data


def months(values: list[str]) -> dict[str, str]:
    return {f"month_{i}": v for i, v in enumerate(values, start=1)}


@pytest.mark.parametrize(
    ("language", "typed", "minor"), [("fr", "1 234,50", 123_450), ("en", "1,234.50", 123_450)]
)
def test_objective_amount_is_read_in_the_pages_language(language, typed, minor) -> None:
    with translation.override(language):
        form = forms.ObjectiveForm(
            posted(amount=typed, narrative="  Why  ", channel_field="60"),
            currency="EUR",
            channel_codes=["field", "web"],
        )
        assert form.is_valid(), form.errors
    assert form.cleaned_data["amount"] == minor
    assert form.cleaned_data["months"] is None  # all blank: phased like the reference
    assert form.cleaned_data["split"] == {"field": "60", "web": ""}
    assert form.cleaned_data["narrative"] == "  Why  "  # the service trims what it stores
    assert form.typed()["amount"] == typed


def test_once_a_month_is_typed_every_month_is_needed_and_kept_as_typed() -> None:
    with translation.override("en"):
        form = forms.ObjectiveForm(
            posted(amount="abc", **months(["100", "", "1.234,5"] + ["10"] * 9)),
            currency="EUR",
            channel_codes=[],
        )
        assert not form.is_valid()
        errors = form.amount_errors()
    assert set(errors) == {"amount", "month_2", "month_3"}
    assert errors["month_2"] == "Enter an amount."
    assert "is not an amount" in errors["amount"]
    assert form.typed()["months"][:3] == ["100", "", "1.234,5"]
    assert form.typed_months()[:4] == [100_00, 0, 0, 10_00]


def test_the_version_is_never_a_form_error() -> None:
    form = forms.DecisionForm(posted(decision="agree", version="abc"))
    assert form.is_valid()
    assert form.cleaned_data["version"] is None
    assert forms.DecisionForm(posted(version="7")).is_valid()


def test_phasing_errors_are_those_of_the_input_that_changed() -> None:
    data = posted(amount="bad", **months(["1", "x"] + [""] * 10))
    with translation.override("en"):
        by_amount = forms.PhasingForm(data, currency="EUR", channel_codes=[], trigger="amount")
        by_amount.is_valid()
        assert set(by_amount.trigger_errors()) == {"amount"}
        by_month = forms.PhasingForm(data, currency="EUR", channel_codes=[], trigger="month_2")
        by_month.is_valid()
        assert set(by_month.trigger_errors()) == {f"month_{i}" for i in range(2, 13)}
        blank = forms.PhasingForm(
            posted(amount="12", changed="month_1"), currency="EUR", channel_codes=[]
        )
        blank.is_valid()
    assert blank.trigger == "month_1"
    assert len(blank.trigger_errors()) == 12  # totalling needs every month


def test_window_dates_and_year_are_refused_with_the_pages_words() -> None:
    with translation.override("fr"):
        form = forms.WindowForm(
            posted(fiscal_year="FY2031", opens_on="2030-11-01", closes_on="demain")
        )
        assert not form.is_valid()
        assert forms.first_error(form) == "Saisissez l'exercice en chiffres, par exemple 2027."
        form = forms.WindowForm(
            posted(fiscal_year="2031", opens_on="2030-11-01", closes_on="demain")
        )
        assert not form.is_valid()
        assert forms.first_error(form) == str(forms.DATE_MESSAGES["invalid"])
        form = forms.WindowForm(
            posted(fiscal_year="2031", opens_on="2030-11-01", closes_on="2030-12-15")
        )
        assert form.is_valid()
    assert form.cleaned_data["fiscal_year"] == 2031
    assert form.cleaned_data["closes_on"] == datetime.date(2030, 12, 15)
    assert forms.PolicyForm(posted(auto_agree="yes")).is_valid()
    policy = forms.PolicyForm(posted(auto_agree="on", tolerance_pct="5"))
    assert policy.is_valid()
    assert policy.cleaned_data["auto_agree"] is True


def test_gap_rule_keeps_the_ticked_sellers_and_uses_only_real_ids() -> None:
    good = "0b7c3a3e-8d1f-4b5e-9a77-1e2b3c4d5e6f"
    form = forms.GapRuleForm(
        posted(kind="stretch", amount="1000", sellers=[good, "nope"], apply="1"), currency="EUR"
    )
    assert form.is_valid()
    assert form.cleaned_data["sellers"] == [good]
    assert form.cleaned_data["amount"] == 1000_00
    assert form.typed()["sellers"] == [good, "nope"]


def test_page_values_come_from_the_query_string_first() -> None:
    assert forms.page_value("fy", posted(fy="2027"), posted(fy="2028")) == "2027"
    assert forms.page_value("fy", posted(), posted(fy="2028")) == "2028"
    assert forms.page_value("unit", posted(), posted()) == ""
