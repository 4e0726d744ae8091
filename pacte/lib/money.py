"""Exact money: integer minor units in storage, ``Decimal`` at the edges, never a float.

:func:`parse_money` is the one reader of an amount a person types (pages, forms, the API's
string amounts); :func:`format_money` and :func:`format_money_input` write them back.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from functools import lru_cache

from babel.numbers import (
    format_currency,
    format_decimal,
    get_currency_precision,
    get_currency_symbol,
)

#: Largest amount a person may type, in minor units (ten trillion euros, or 10^15 yen). It
#: stays below 2^53, so every split of it in :mod:`pacte.lib.allocation` is exact, and
#: thousands of such amounts still sum within a ``BigIntegerField`` (2^63 - 1).
MAX_MINOR = 10**15


class MoneyError(ValueError):
    pass


class MoneyInputError(ValueError):
    """What a person typed is not an amount. ``code`` is stable (pages pick their message from
    it, the API returns it): ``required``, ``invalid``, ``negative``, ``too_large``,
    ``too_precise`` (more decimals than the currency has)."""

    CODES = ("required", "invalid", "negative", "too_large", "too_precise")

    def __init__(self, code: str, text: str = "") -> None:
        if code not in self.CODES:
            raise ValueError(f"unknown money input error code {code!r}")
        super().__init__(f"{code}: {text!r}")
        self.code = code
        self.text = text


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


# --------------------------------------------------------------------------- typed amounts

_SPACES = " \u00a0\u202f"  # a space, a no-break space, a narrow no-break space
_MINUS = "-\u2212"  # hyphen-minus and the minus sign


@lru_cache(maxsize=4)
def _number_pattern(language: str) -> re.Pattern[str]:
    """Digits with optional groups of three and a decimal part, in ``language``'s style.

    French: decimal comma, groups by a space (any of the three). English: decimal point,
    groups by a comma or a space. One kind of separator within a number; ASCII digits only.
    """
    if language == "fr":
        decimal, groups = ",", f"[{_SPACES}]"
    else:
        decimal, groups = r"\.", f"[,{_SPACES}]"
    return re.compile(
        rf"(?P<int>[0-9]+|[0-9]{{1,3}}(?P<sep>{groups})[0-9]{{3}}(?:(?P=sep)[0-9]{{3}})*)"
        rf"(?:{decimal}(?P<frac>[0-9]+))?"
    )


@lru_cache(maxsize=64)
def _symbols(currency: str) -> tuple[str, ...]:
    """What may stand for ``currency`` before or after an amount: its code and its symbols in
    French and English (``€``, ``$US``, ``US$``…), longest first."""
    found = {currency.upper()}
    for locale in ("fr_FR", "en_GB", "en_US"):
        try:
            found.add(get_currency_symbol(currency, locale))
        except (ValueError, LookupError):  # pragma: no cover - babel knows every ISO code
            continue
    return tuple(sorted((s for s in found if s), key=len, reverse=True))


def _strip_symbol(text: str, currency: str) -> str:
    upper = text.upper()
    for symbol in _symbols(currency):
        if upper.startswith(symbol.upper()):
            return text[len(symbol) :].lstrip(_SPACES)
        if upper.endswith(symbol.upper()):
            return text[: len(text) - len(symbol)].rstrip(_SPACES)
    return text


def _read_number(text: object, language: str | None, currency: str | None) -> tuple[str, str]:
    """The integer digits (no leading zeros, no separators) and the decimals of a number typed
    in ``language``'s style (see :func:`parse_money`), with ``currency``'s code or symbol if any;
    :class:`MoneyInputError` ``required``, ``invalid`` or ``negative`` when it is not one."""
    if not isinstance(text, str):
        raise MoneyInputError("invalid", repr(text))
    raw = text
    text = text.strip(_SPACES + "\t\r\n")
    if not text:
        raise MoneyInputError("required", raw)
    negative = False
    if text[0] in _MINUS:
        negative, text = True, text[1:].lstrip(_SPACES)
    if currency is not None:
        text = _strip_symbol(text, currency)
    if not negative and text[:1] in tuple(_MINUS):
        negative, text = True, text[1:].lstrip(_SPACES)
    lang = "fr" if (language or "en").lower().startswith("fr") else "en"
    match = _number_pattern(lang).fullmatch(text)
    if match is None:
        raise MoneyInputError("invalid", raw)
    if negative:
        raise MoneyInputError("negative", raw)
    digits = re.sub(f"[,{_SPACES}]", "", match.group("int")).lstrip("0")
    return digits, match.group("frac") or ""


def parse_money(text: str, currency: str, language: str | None) -> int:
    """What a person typed (``"1 234,50"`` in French, ``"1,234.50"`` in English) as minor units.

    The one reader of typed amounts. Decimal comma in French, decimal point in English; groups
    of three digits may be separated by a space, a no-break space or a narrow no-break space
    (and by a comma in English), one kind per number. The currency's code or symbol may stand
    before or after the number. Nothing else is guessed: a separator of the other language
    (``1.234,5`` in French, ``1 234,50`` in English), groups that are not of three digits
    (``12 34``), exponents (``1e6``), a plus sign and non-ASCII digits are ``invalid``; a minus
    sign is ``negative``; more decimals than the currency has (even zeros: ``1,500`` in French
    is not 1500) is ``too_precise``; more than :data:`MAX_MINOR` is ``too_large``; nothing at
    all is ``required``. Raises :class:`MoneyInputError`; never returns a wrong number.
    """
    digits, fraction = _read_number(text, language, currency)
    places = exponent(currency)
    if len(fraction) > places:
        raise MoneyInputError("too_precise", text)
    if len(digits) + places > len(str(MAX_MINOR)):
        raise MoneyInputError("too_large", text)
    minor = int((digits or "0") + fraction.ljust(places, "0"))
    if minor > MAX_MINOR:
        raise MoneyInputError("too_large", text)
    return minor


def parse_decimal(text: str, language: str | None, *, places: int) -> Decimal:
    """A number a person typed that is not an amount (a key result's target), read as
    :func:`parse_money` reads amounts: ``"1 250,5"`` in French and ``"1,250.5"`` in English
    are 1250.5, ``"1,250"`` in English is 1250. At most ``places`` decimals, else
    ``too_precise`` (nothing is rounded); the same error codes as amounts."""
    digits, fraction = _read_number(text, language, None)
    if len(fraction) > places:
        raise MoneyInputError("too_precise", text)
    if len(digits) > len(str(MAX_MINOR)):
        raise MoneyInputError("too_large", text)
    return Decimal(f"{digits or '0'}.{fraction or '0'}")


def format_money_input(minor: int | None, currency: str, language: str | None) -> str:
    """An amount as an input's value that :func:`parse_money` reads back: no group separator,
    the language's decimal mark, decimals only when there are cents (``1234,50``, ``1300``)."""
    if minor is None:
        return ""
    places = exponent(currency)
    sign = "-" if minor < 0 else ""
    whole, part = divmod(abs(int(minor)), 10**places)
    if not part:
        return f"{sign}{whole}"
    mark = "," if babel_locale(language).startswith("fr") else "."
    return f"{sign}{whole}{mark}{part:0{places}d}"


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
