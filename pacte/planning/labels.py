"""Translated labels: audit actions of this app and fiscal periods.

Period labels (English / French, the French strings come with the translation files):

* year: "FY2027" / "Exercice 2027";
* quarter: "Q2 FY2027" / "T2 ex. 2027";
* month: the calendar month and year in the active locale ("October 2026" / "octobre 2026"),
  the fiscal month number being available as "M03" in keys.
"""

from __future__ import annotations

from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from pacte.lib.fiscal import FiscalCalendar, Period, PeriodKind

ACTION_LABELS: dict[str, object] = {
    "target.set": _("Company target set"),
    "cascade.created": _("Cascade run created"),
    "cascade.published": _("Cascade run published"),
    "cascade.stated": _("Stated targets published"),
    "potential.imported": _("Potentials imported"),
    "capacity.updated": _("Capacity changed"),
}


def year_label(fy: int) -> str:
    return gettext("FY%(year)s") % {"year": fy}


def period_label(period: Period) -> str:
    """A period's label in the active language (see the module docstring)."""
    if period.kind is PeriodKind.YEAR:
        return year_label(period.fy)
    if period.kind is PeriodKind.QUARTER:
        return gettext("Q%(quarter)s FY%(year)s") % {"quarter": period.number, "year": period.fy}
    return month_label(period.months[0].index)


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
