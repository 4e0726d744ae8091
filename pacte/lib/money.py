"""Exact money: integer minor units in storage, ``Decimal`` at the edges, never a float."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from babel.numbers import format_currency, format_decimal, get_currency_precision


class MoneyError(ValueError):
    pass


def exponent(currency: str) -> int:
    """Number of minor-unit digits of ``currency`` (EUR 2, JPY 0, …)."""
    return int(get_currency_precision(currency))


def to_minor(amount: Decimal | int | str, currency: str) -> int:
    """Exact conversion to minor units; refuses floats and amounts finer than the currency."""
    if isinstance(amount, float):
        raise MoneyError("Money is never a float.")
    try:
        value = Decimal(str(amount).strip()) if not isinstance(amount, Decimal) else amount
    except InvalidOperation:
        raise MoneyError(f"{amount!r} is not a number.") from None
    if not value.is_finite():
        raise MoneyError(f"{amount!r} is not a finite number.")
    scaled = value.scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise MoneyError(f"{amount} has more decimals than {currency} allows.")
    return int(scaled)


def round_to_minor(amount: Decimal, currency: str) -> int:
    """Round a finer amount (e.g. four decimals) to minor units, half to even."""
    return int(amount.scaleb(exponent(currency)).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def from_minor(minor: int, currency: str) -> Decimal:
    return Decimal(int(minor)).scaleb(-exponent(currency))


def babel_locale(language: str | None) -> str:
    return "fr_FR" if (language or "en").startswith("fr") else "en_GB"


def format_money(
    minor: int | None, currency: str, language: str | None, *, cents: bool = False
) -> str:
    """``1 234 567 €`` in French, ``€1,234,567`` in English; cents only when asked."""
    if minor is None:
        return "—"
    amount = from_minor(minor, currency)
    locale = babel_locale(language)
    if cents:
        return format_currency(amount, currency, locale=locale)
    whole = amount.quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    return format_currency(
        whole,
        currency,
        locale=locale,
        currency_digits=False,
        format_type="standard",
        decimal_quantization=True,
        format=_whole_pattern(locale),
    )


def _whole_pattern(locale: str) -> str:
    return "#,##0\u00a0¤" if locale.startswith("fr") else "¤#,##0"


def format_number(value: int | Decimal | None, language: str | None, *, digits: int = 0) -> str:
    if value is None:
        return "—"
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=babel_locale(language))


def format_percent(ratio: Decimal | float | None, language: str | None, *, digits: int = 0) -> str:
    """A ratio (0.87) as a percentage for display only (``87 %`` / ``87%``)."""
    if ratio is None:
        return "—"
    number = format_number(Decimal(str(ratio)) * 100, language, digits=digits)
    return f"{number}\u00a0%" if babel_locale(language).startswith("fr") else f"{number}%"
