"""Translated labels: audit actions of this app and fiscal periods.

Period labels (English / French, the French strings come with the translation files):

* year: "FY2027" / "Exercice 2027";
* quarter: "Q2 FY2027" / "T2 ex. 2027";
* month: the calendar month and year in the active locale ("October 2026" / "octobre 2026"),
  the fiscal month number being available as "M03" in keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.utils.formats import date_format
from django.utils.translation import get_language, gettext, ngettext
from django.utils.translation import gettext_lazy as _

from pacte.lib import money
from pacte.lib.fiscal import FiscalCalendar, Period, PeriodKind
from pacte.planning.models import Method

ACTION_LABELS: dict[str, object] = {
    "target.set": _("Company target set"),
    "cascade.created": _("Cascade run created"),
    "cascade.published": _("Cascade run published"),
    "cascade.stated": _("Stated targets published"),
    "potential.imported": _("Potentials imported"),
    "capacity.updated": _("Capacity changed"),
}


#: How a cascade spreads a share over the months (``phasing`` of its parameters).
PHASING_LABELS: dict[str, object] = {
    "flat": _("Flat"),
    "seasonal": _("Seasonality from history (per channel)"),
    "custom": _("Custom 12-month profile"),
}


def method_label(code: str) -> str:
    """A cascade method's name ("history" → "History" / "Historique")."""
    return str(dict(Method.choices).get(code, code))


def year_label(fy: int) -> str:
    return gettext("FY%(year)s") % {"year": fy}


def period_label(period: Period) -> str:
    """A period's label in the active language (see the module docstring)."""
    if period.kind is PeriodKind.YEAR:
        return year_label(period.fy)
    if period.kind is PeriodKind.QUARTER:
        return gettext("Q%(quarter)s FY%(year)s") % {"quarter": period.number, "year": period.fy}
    return month_label(period.months[0].index)


def quarter_label(number: int) -> str:
    """A quarter of a year already named: "Q2" / "T2"."""
    return gettext("Q%(quarter)s") % {"quarter": number}


def month_label(month_index: int) -> str:
    """``Month.index`` as "October 2026" in the active locale."""
    from pacte.lib.fiscal import Month

    return date_format(Month.from_index(month_index).first_day, "YEAR_MONTH_FORMAT")


def short_month_label(month_index: int) -> str:
    """``Month.index`` as "Oct 2026" (chart axes)."""
    from pacte.lib.fiscal import Month

    return date_format(Month.from_index(month_index).first_day, "M Y")


def calendar_rows(calendar: FiscalCalendar, fy: int) -> list[dict[str, object]]:
    """The year, its quarters and months with key, label and dates (pages and API)."""
    rows: list[dict[str, object]] = []
    for period in calendar.periods(fy):
        first, last = period.bounds
        rows.append(
            {
                "key": period.key,
                "kind": period.kind.value,
                "label": period_label(period),
                "start": first,
                "end": last,
                "months": list(period.month_indexes),
            }
        )
    return rows


def _months(n: int) -> str:
    return ngettext("%(n)s month", "%(n)s months", n) % {"n": n}


def _names(ids: list[str], names: Mapping[str, str]) -> list[str]:
    return sorted(names.get(i, i) for i in ids)


def parameter_rows(
    parameters: Mapping[str, Any],
    *,
    calendar: FiscalCalendar,
    fiscal_year: int,
    names: Mapping[str, str],
    currency: str,
) -> list[tuple[str, str]]:
    """A cascade run's parameters in words, (label, value) rows in the active language:
    method names, months, percentages, amounts and the sellers' names (``names``: public id →
    name) instead of the stored JSON."""
    lang = get_language()
    none = gettext("none")
    rows: list[tuple[str, str]] = [(gettext("Method"), method_label(parameters.get("method", "")))]
    mix = {k: Decimal(str(v)) for k, v in (parameters.get("mix") or {}).items() if v}
    if mix:
        total = sum(mix.values())
        rows.append(
            (
                gettext("Blend weights"),
                ", ".join(
                    f"{method_label(k)} {money.format_percent(v / total, lang)}"
                    for k, v in mix.items()
                ),
            )
        )
    rows.append((gettext("History window"), _months(int(parameters.get("window_months", 12)))))
    bounds = parameters.get("bounds")
    rows.append(
        (
            gettext("Growth bounds vs history"),
            gettext("%(low)s to %(high)s")
            % {
                "low": money.format_percent(Decimal(str(bounds[0])) / 100, lang),
                "high": money.format_percent(Decimal(str(bounds[1])) / 100, lang),
            }
            if bounds
            else none,
        )
    )
    rows.append((gettext("Ramp-up of new hires"), _months(int(parameters.get("ramp_months", 3)))))
    phasing = parameters.get("phasing", "flat")
    rows.append((gettext("Phasing"), str(PHASING_LABELS.get(phasing, phasing))))
    profile = parameters.get("profile")
    if profile:
        weights = [Decimal(str(w)) for w in profile]
        total = sum(weights) or Decimal(1)
        months = calendar.months(fiscal_year)
        rows.append(
            (
                gettext("Custom profile"),
                " · ".join(
                    f"{short_month_label(m.index)} {money.format_percent(w / total, lang)}"
                    for m, w in zip(months, weights, strict=False)
                ),
            )
        )
    holds = parameters.get("holds") or {}
    rows.append(
        (
            gettext("Holds"),
            ", ".join(
                f"{names.get(k, k)} {money.format_money(int(v), currency, lang)}"
                for k, v in sorted(holds.items(), key=lambda kv: names.get(kv[0], kv[0]))
            )
            or none,
        )
    )
    rows.append(
        (
            gettext("Excluded sellers"),
            ", ".join(_names(list(parameters.get("exclusions") or []), names)) or none,
        )
    )
    start = int(parameters.get("effective_from", 1))
    if start > 1:
        first = calendar.months(fiscal_year)[start - 1]
        rows.append((gettext("Re-phased from"), month_label(first.index)))
    return rows


def level_sentences(
    levels: list[dict[str, Any]], currency: str, subject: str | None = None
) -> list[str]:
    """The explanation's levels as sentences: "the company gave your team X because …; your
    lead gave you Y because …"; about someone else (``subject``, their name): "the company
    gave North X …; Lea, lead of North, gave Sam Y …"."""
    from pacte.planning.delegation import MANUAL

    def shown(v: int) -> str:
        return money.format_money(v, currency, get_language())

    def how(level: dict[str, Any]) -> str:
        method = level.get("method") or ""
        if method == MANUAL:
            text = gettext("typed by hand")
        elif method == "run":
            text = gettext("kept as the company's cascade gave it")
        else:
            text = gettext("by the method “%(method)s”") % {"method": method_label(method)}
        if level.get("held"):
            text += ", " + gettext("held at that amount")
        elif level.get("bound") == "lower":
            text += ", " + gettext("raised to the lower growth bound")
        elif level.get("bound") == "upper":
            text += ", " + gettext("capped at the upper growth bound")
        return text

    out = []
    for level in levels:
        if level.get("by") == "company":
            said = (
                gettext("The company gave your team %(team)s %(amount)s, %(how)s.")
                if subject is None
                else gettext("The company gave %(team)s %(amount)s, %(how)s.")
            )
            out.append(
                said % {"team": level["team"], "amount": shown(level["amount"]), "how": how(level)}
            )
        elif level.get("to"):
            out.append(
                gettext("%(lead)s, lead of %(team)s, gave the team %(to)s %(amount)s, %(how)s.")
                % {
                    "lead": level.get("lead") or gettext("The executive"),
                    "team": level["team"],
                    "to": level["to"],
                    "amount": shown(level["amount"]),
                    "how": how(level),
                }
            )
        else:
            said = (
                gettext("%(lead)s, lead of %(team)s, gave you %(amount)s, %(how)s.")
                if subject is None
                else gettext("%(lead)s, lead of %(team)s, gave %(name)s %(amount)s, %(how)s.")
            )
            out.append(
                said
                % {
                    "lead": level.get("lead") or gettext("The executive"),
                    "team": level["team"],
                    "name": subject,
                    "amount": shown(level["amount"]),
                    "how": how(level),
                }
            )
    return out
