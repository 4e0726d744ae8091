"""Periods of the insights: the fiscal year, quarter, month or year to date a page or an API
call asks for, and their labels."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Max
from django.utils.translation import gettext as _

from pacte.accounts.models import Workspace
from pacte.errors import DomainError
from pacte.insights import cache, sources
from pacte.lib.fiscal import FiscalCalendar, Month, PeriodKind
from pacte.sales.models import TeamCell


@dataclass(frozen=True)
class PeriodChoice:
    """The period a page or an API call asked for: a fiscal year, quarter, month, or YTD."""

    fy: int
    kind: str  # year | quarter | month | ytd
    key: str
    positions: range  # fiscal month positions 0..11 covered
    as_of: int  # Month.index of the as-of month (may be outside the year)


def latest_data_month(workspace: Workspace) -> int | None:
    def compute() -> tuple[int | None]:
        return (TeamCell.objects.for_workspace(workspace).aggregate(m=Max("month"))["m"],)

    return cache.cached((*cache.cube_part(workspace), "latest"), compute)[0]


def resolve_period(
    workspace: Workspace,
    key: str | None,
    *,
    today: datetime.date | None = None,
    latest: int | bool | None = False,
) -> PeriodChoice:
    """Parse ``FY2027``, ``FY2027-Q2``, ``FY2027-M03`` or ``FY2027-YTD``; default: the current
    fiscal year (or the latest year with sales when the current one has none). Unknown keys
    raise ``DomainError(code="invalid_period", field="period")``."""
    cal = workspace.calendar
    today = today or sources.today()
    now_index = Month.of(today).index
    if not key:
        fy = cal.year_of(today)
        if latest is False:
            latest = latest_data_month(workspace)
        if isinstance(latest, int) and latest < cal.first_month_index(fy):
            fy = int(cal.fiscal_year_of_month_index(latest))
        key = f"FY{fy:04d}"
    ytd = key.endswith("-YTD")
    try:
        period = cal.parse_period(key[:-4] if ytd else key)
        if ytd and period.kind is not PeriodKind.YEAR:
            raise ValueError(key)
    except ValueError:
        raise DomainError(
            _("Unknown period “%(key)s”: use FY2027, FY2027-Q2, FY2027-M03 or FY2027-YTD.")
            % {"key": key},
            code="invalid_period",
            field="period",
        ) from None
    fy = period.fy
    first = cal.first_month_index(fy)
    as_of = min(max(now_index, first - 1), first + 11)
    start = period.month_indexes.start - first
    stop = period.month_indexes.stop - first
    if ytd:
        return PeriodChoice(fy, "ytd", key, range(0, max(0, as_of - first + 1)), as_of)
    return PeriodChoice(fy, period.kind.value, period.key, range(start, stop), as_of)


def summary_periods(choice: PeriodChoice, workspace: Workspace) -> list[tuple[str, str, range]]:
    """(code, key, positions) of month, quarter, year-to-date and year around the as-of month."""
    cal = workspace.calendar
    first = cal.first_month_index(choice.fy)
    pos = min(max(choice.as_of - first, 0), 11)
    if choice.kind in ("month", "quarter") and choice.positions:
        pos = min(max(pos, choice.positions.start), choice.positions.stop - 1)
    month = cal.month(choice.fy, pos + 1)
    quarter = cal.quarter(choice.fy, pos // 3 + 1)
    return [
        ("month", month.key, range(pos, pos + 1)),
        ("quarter", quarter.key, range(pos // 3 * 3, pos // 3 * 3 + 3)),
        ("ytd", f"FY{choice.fy:04d}-YTD", range(0, max(0, choice.as_of - first + 1))),
        ("year", f"FY{choice.fy:04d}", range(0, 12)),
    ]


def month_labels(workspace: Workspace, fy: int) -> list[str]:
    from django.utils.formats import date_format

    cal = workspace.calendar
    return [date_format(m.first_day, "M Y") for m in cal.months(fy)]


def period_label(key: str, calendar: FiscalCalendar | None = None) -> str:
    """A period key's label in the active language ("Ex. 2027", "T2 ex. 2027", "novembre
    2026", "Ex. 2027, cumul annuel"); the key itself when no calendar is given or it does not
    parse."""
    from pacte.planning.labels import period_label as fiscal_label
    from pacte.planning.labels import year_label

    if key.endswith("-YTD") and key[2:-4].isdigit():
        return _("%(year)s year to date") % {"year": year_label(int(key[2:-4]))}
    if calendar is None:
        return key
    try:
        return fiscal_label(calendar.parse_period(key))
    except ValueError:
        return key
