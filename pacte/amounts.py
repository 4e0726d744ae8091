"""Amounts people type, for pages and the API: :func:`pacte.lib.money.parse_money` in the
request's language, its error codes turned into one translated message each.

Pages read what a person typed with :func:`parse_amount`; the API with :func:`api_amount` (a
JSON integer is minor units, a JSON string is read like a page reads it); services take the
integers and check them with :func:`check_amount`. A refusal is an :class:`AmountError`: HTTP
422 in the API, ``{"code": "amount_invalid", "field": "amount", "message": …}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any

from babel.numbers import format_decimal
from django import forms
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from pydantic import WithJsonSchema

from pacte.errors import DomainError
from pacte.lib.money import (
    MAX_MINOR,
    MoneyInputError,
    babel_locale,
    exponent,
    format_money,
    format_money_input,
    parse_money,
)

#: An amount in an API body: a whole number of minor units, or a string read as typed.
AmountIn = Annotated[
    Any,
    WithJsonSchema(
        {
            "oneOf": [{"type": "integer", "minimum": 0}, {"type": "string"}],
            "description": "A whole number of minor units (cents), or a string written as a "
            'person types it (e.g. "1 234,50" in French, "1,234.50" in English), read in '
            "the language of the request.",
        }
    ),
]


class AmountError(DomainError):
    """A typed amount that is not one; ``code`` is ``amount_`` + the parser's code."""

    status = 422


def _example(currency: str) -> str:
    """``1 234,50`` in French, ``1,234.50`` in English (``1,234`` for a currency without
    decimals)."""
    places = exponent(currency)
    pattern = "#,##0" + ("." + "0" * places if places else "")
    return format_decimal(Decimal("1234.5"), format=pattern, locale=babel_locale(get_language()))


def message(code: str, text: str, currency: str) -> str:
    """The message of a parser code, in the active language."""
    if code == "required":
        return _("Enter an amount.")
    if code == "negative":
        return _("An amount cannot be negative.")
    if code == "too_large":
        return _("This amount is too large: at most %(max)s.") % {
            "max": format_money(MAX_MINOR, currency, get_language())
        }
    if code == "too_precise":
        places = exponent(currency)
        return ngettext(
            "An amount in %(currency)s has at most %(places)s decimal.",
            "An amount in %(currency)s has at most %(places)s decimals.",
            places,
        ) % {"currency": currency, "places": places}
    return _("“%(value)s” is not an amount: write it like %(example)s.") % {
        "value": text.strip(),
        "example": _example(currency),
    }


def amount_error(exc: MoneyInputError, currency: str, field: str) -> AmountError:
    return AmountError(
        message(exc.code, exc.text, currency), code=f"amount_{exc.code}", field=field
    )


def parse_amount(value: object, currency: str, *, field: str = "amount") -> int:
    """What a person typed in a page's field, read in the active language, as minor units."""
    text = "" if value is None else value if isinstance(value, str) else None
    if text is None:
        raise AmountError(
            message("invalid", str(value), currency), code="amount_invalid", field=field
        )
    try:
        return parse_money(text, currency, get_language())
    except MoneyInputError as exc:
        raise amount_error(exc, currency, field) from None


def check_amount(value: object, currency: str, *, field: str = "amount") -> int:
    """An amount already in minor units (services, the API's JSON integers): a non-negative
    ``int`` up to :data:`~pacte.lib.money.MAX_MINOR`, else an :class:`AmountError`."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise AmountError(
            message("invalid", str(value), currency), code="amount_invalid", field=field
        )
    if value < 0:
        raise AmountError(
            message("negative", str(value), currency), code="amount_negative", field=field
        )
    if value > MAX_MINOR:
        raise AmountError(
            message("too_large", str(value), currency), code="amount_too_large", field=field
        )
    return value


def api_amount(value: object, currency: str, *, field: str = "amount") -> int:
    """An amount of an API body: a JSON integer is minor units; a JSON string is what a person
    typed, read like a page reads it (same text, same language, same integer); anything else
    (a JSON float, ``true``, ``null``) is refused: money is never a float."""
    if isinstance(value, str):
        return parse_amount(value, currency, field=field)
    if value is None:
        raise AmountError(message("required", "", currency), code="amount_required", field=field)
    return check_amount(value, currency, field=field)


def input_value(minor: int | None, currency: str) -> str:
    """An amount as a field's value in the active language, read back by :func:`parse_amount`."""
    return format_money_input(minor, currency, get_language())


def parse_fields(
    values: Mapping[str, object], currency: str
) -> tuple[dict[str, int], dict[str, str]]:
    """Several typed amounts of one form at once: the amounts read, and the message of every
    field that is not one (so a page shows each message next to its own field)."""
    amounts: dict[str, int] = {}
    errors: dict[str, str] = {}
    for field, value in values.items():
        try:
            amounts[field] = parse_amount(value, currency, field=field)
        except AmountError as exc:
            errors[field] = exc.message
    return amounts, errors


class AmountField(forms.CharField):
    """A form field for a typed amount: read by :func:`parse_amount` in the active language,
    cleaned to minor units (``int``); shown back with :func:`input_value`. The form sets its
    ``currency`` (see :class:`AmountFormMixin`)."""

    def __init__(self, *, currency: str = "", **kwargs: Any) -> None:
        self.currency = currency
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return input_value(value, self.currency)
        return value

    def to_python(self, value: Any) -> int | None:  # type: ignore[override]
        text = super().to_python(value)
        if text is None or text in self.empty_values:
            return None
        try:
            return parse_money(text, self.currency, get_language())
        except MoneyInputError as exc:
            raise forms.ValidationError(
                message(exc.code, exc.text, self.currency), code=f"amount_{exc.code}"
            ) from None

    def validate(self, value: Any) -> None:
        if value is None and self.required:
            raise forms.ValidationError(
                message("required", "", self.currency), code="amount_required"
            )


class AmountFormMixin:
    """A form whose :class:`AmountField` s read amounts in ``currency`` (a keyword argument)."""

    def __init__(self, *args: Any, currency: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():  # type: ignore[attr-defined]
            if isinstance(field, AmountField):
                field.currency = currency
