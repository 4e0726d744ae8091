"""Fiscal calendar: fiscal years, quarters and months from a configurable first month.

Naming rule
-----------
A fiscal year is named by the calendar year in which it **ends**:

* ``first_month=1``: FY2026 is January 2026 .. December 2026 (the calendar year);
* ``first_month=7``: FY2027 is July 2026 .. June 2027;
* ``first_month=4``: FY2027 is April 2026 .. March 2027.

Quarters and months are numbered inside the fiscal year, from 1: with ``first_month=7``
fiscal month 1 is July, Q2 is October .. December.

Keys
----
Periods have stable, sortable-per-kind string keys used in URLs, API filters and
snapshots: ``"FY2027"``, ``"FY2027-Q2"``, ``"FY2027-M03"``. :meth:`FiscalCalendar.parse_period`
is the only way back from a key and raises ``ValueError`` naming the bad key.

Month index
-----------
A calendar month is also an integer, :attr:`Month.index` ``= year * 12 + month - 1``: it
increases by one from one month to the next whatever the fiscal calendar, so it is the
column the database stores and groups by. :func:`month_index_of_dates` and
:meth:`FiscalCalendar.fiscal_year_of_month_index` are the vectorised (NumPy) versions.

Labels are not translated here: :meth:`Period.label_parts` gives the data a template
needs ("Q2 FY2027", "October 2026 – December 2026") and the web layer translates it.
"""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "FiscalCalendar",
    "LabelParts",
    "Month",
    "Period",
    "PeriodKind",
    "month_index_of_dates",
]

# datetime.date supports years 1..9999; month indexes stay in that range.
MIN_MONTH_INDEX = 1 * 12
MAX_MONTH_INDEX = 9999 * 12 + 11
_EPOCH_MONTH_INDEX = 1970 * 12  # numpy datetime64[M] counts months from 1970-01


@dataclass(frozen=True, order=True, slots=True)
class Month:
    """A calendar month. Ordered chronologically; ``index`` is a dense integer key."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"month must be in 1..12, got {self.month!r}")
        if not 1 <= self.year <= 9999:
            raise ValueError(f"year must be in 1..9999, got {self.year!r}")

    @classmethod
    def of(cls, day: dt.date) -> Month:
        """The month containing ``day``."""
        return cls(day.year, day.month)

    @classmethod
    def from_index(cls, index: int) -> Month:
        """Inverse of :attr:`index`."""
        index = int(index)
        if not MIN_MONTH_INDEX <= index <= MAX_MONTH_INDEX:
            raise ValueError(f"month index {index} is outside the supported date range")
        year, month0 = divmod(index, 12)
        return cls(year, month0 + 1)

    @property
    def index(self) -> int:
        """``year * 12 + month - 1``: consecutive months have consecutive indexes."""
        return self.year * 12 + self.month - 1

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def last_day(self) -> dt.date:
        return dt.date(self.year, self.month, _calendar.monthrange(self.year, self.month)[1])

    def shift(self, months: int) -> Month:
        """The month ``months`` later (earlier when negative)."""
        return Month.from_index(self.index + months)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


class PeriodKind(StrEnum):
    YEAR = "year"
    QUARTER = "quarter"
    MONTH = "month"


_MONTHS_PER_KIND = {PeriodKind.YEAR: 12, PeriodKind.QUARTER: 3, PeriodKind.MONTH: 1}
_COUNT_PER_KIND = {PeriodKind.YEAR: 1, PeriodKind.QUARTER: 4, PeriodKind.MONTH: 12}
_KEY_RE = re.compile(r"FY(?P<fy>[0-9]{4})(?:-(?:Q(?P<q>[1-4])|M(?P<m>0[1-9]|1[0-2])))?")


@dataclass(frozen=True, slots=True)
class LabelParts:
    """Untranslated ingredients of a period's label, for the web layer."""

    kind: PeriodKind
    fy: int
    number: int | None  # quarter 1..4 or fiscal month 1..12; None for a year
    first_month: Month
    last_month: Month
    first_day: dt.date
    last_day: dt.date


@dataclass(frozen=True, slots=True)
class Period:
    """A fiscal year, quarter or month of a given calendar.

    ``number`` is ``None`` for a year, the quarter (1..4) or the fiscal month (1..12).
    Build periods through :class:`FiscalCalendar` (``year``, ``quarter``, ``month``,
    ``parse_period``, ``period_of``), which validate them.
    """

    calendar: FiscalCalendar
    kind: PeriodKind
    fy: int
    number: int | None

    @property
    def key(self) -> str:
        """Stable key: ``FY2027``, ``FY2027-Q2`` or ``FY2027-M03``."""
        if self.kind is PeriodKind.YEAR:
            return f"FY{self.fy:04d}"
        if self.kind is PeriodKind.QUARTER:
            return f"FY{self.fy:04d}-Q{self.number}"
        return f"FY{self.fy:04d}-M{self.number:02d}"

    @property
    def months(self) -> list[Month]:
        """The calendar months of the period, in order."""
        all_months = self.calendar.months(self.fy)
        size = _MONTHS_PER_KIND[self.kind]
        start = 0 if self.number is None else (self.number - 1) * size
        return all_months[start : start + size]

    @property
    def month_indexes(self) -> range:
        """``Month.index`` of the period's months (a half-open range)."""
        first = self.calendar.first_month_index(self.fy)
        size = _MONTHS_PER_KIND[self.kind]
        start = first + (0 if self.number is None else (self.number - 1) * size)
        return range(start, start + size)

    @property
    def bounds(self) -> tuple[dt.date, dt.date]:
        """First and last day of the period, both inclusive."""
        months = self.months
        return months[0].first_day, months[-1].last_day

    def contains(self, day: dt.date) -> bool:
        first, last = self.bounds
        return first <= day <= last

    def label_parts(self) -> LabelParts:
        months = self.months
        return LabelParts(
            kind=self.kind,
            fy=self.fy,
            number=self.number,
            first_month=months[0],
            last_month=months[-1],
            first_day=months[0].first_day,
            last_day=months[-1].last_day,
        )

    def __str__(self) -> str:
        return self.key


@dataclass(frozen=True, slots=True)
class FiscalCalendar:
    """A fiscal calendar whose year starts on ``first_month`` (1 = January .. 12)."""

    first_month: int = 1

    def __post_init__(self) -> None:
        if (
            isinstance(self.first_month, bool)
            or not isinstance(self.first_month, int | np.integer)
            or not 1 <= self.first_month <= 12
        ):
            raise ValueError(
                f"first_month must be an integer from 1 to 12, got {self.first_month!r}"
            )
        object.__setattr__(self, "first_month", int(self.first_month))

    # -- arithmetic on month indexes -------------------------------------------------
    @property
    def _offset(self) -> int:
        # Adding this to a month index and dividing by 12 gives the fiscal year.
        return (13 - self.first_month) % 12

    def first_month_index(self, fy: int) -> int:
        """``Month.index`` of the first month of fiscal year ``fy``."""
        self._check_fy(fy)
        return fy * 12 - self._offset

    def _check_fy(self, fy: int) -> None:
        if isinstance(fy, bool) or not isinstance(fy, int | np.integer):
            raise TypeError(f"fiscal year must be an integer, got {fy!r}")
        start = fy * 12 - self._offset
        if start < MIN_MONTH_INDEX or start + 11 > MAX_MONTH_INDEX:
            raise ValueError(f"fiscal year {fy} is outside the supported date range")

    # -- scalar API -------------------------------------------------------------------
    def year_of(self, day: dt.date | Month) -> int:
        """Fiscal year (named by the calendar year it ends in) containing ``day``."""
        index = day.index if isinstance(day, Month) else day.year * 12 + day.month - 1
        return (index + self._offset) // 12

    def month_number_in_year(self, month: Month | dt.date) -> int:
        """Position 1..12 of a calendar month inside its fiscal year."""
        return (month.month - self.first_month) % 12 + 1

    def quarter_of(self, month: Month | dt.date) -> int:
        """Fiscal quarter 1..4 of a calendar month (or a date)."""
        return (self.month_number_in_year(month) - 1) // 3 + 1

    def months(self, fy: int) -> list[Month]:
        """The 12 consecutive calendar months of fiscal year ``fy``."""
        first = self.first_month_index(fy)
        return [Month.from_index(first + i) for i in range(12)]

    def fy_start(self, fy: int) -> dt.date:
        """First day of fiscal year ``fy``."""
        return Month.from_index(self.first_month_index(fy)).first_day

    def fy_end(self, fy: int) -> dt.date:
        """Last day of fiscal year ``fy``."""
        return Month.from_index(self.first_month_index(fy) + 11).last_day

    def period_bounds(
        self, fy: int, quarter: int | None = None, month: int | None = None
    ) -> tuple[dt.date, dt.date]:
        """Inclusive (first day, last day) of a fiscal year, quarter or fiscal month.

        ``month`` is the fiscal month number (1 = the first month of the fiscal year),
        not the calendar month. Give at most one of ``quarter`` and ``month``.
        """
        if quarter is not None and month is not None:
            raise ValueError("give a quarter or a month, not both")
        if quarter is not None:
            return self.quarter(fy, quarter).bounds
        if month is not None:
            return self.month(fy, month).bounds
        return self.year(fy).bounds

    # -- periods ----------------------------------------------------------------------
    def year(self, fy: int) -> Period:
        self._check_fy(fy)
        return Period(self, PeriodKind.YEAR, int(fy), None)

    def quarter(self, fy: int, number: int) -> Period:
        self._check_fy(fy)
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= 4:
            raise ValueError(f"quarter must be in 1..4, got {number!r}")
        return Period(self, PeriodKind.QUARTER, int(fy), number)

    def month(self, fy: int, number: int) -> Period:
        """Fiscal month ``number`` (1..12) of fiscal year ``fy``."""
        self._check_fy(fy)
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= 12:
            raise ValueError(f"fiscal month must be in 1..12, got {number!r}")
        return Period(self, PeriodKind.MONTH, int(fy), number)

    def period_of(self, day: dt.date | Month, kind: PeriodKind | str = PeriodKind.YEAR) -> Period:
        """The period of the given kind containing ``day``."""
        kind = PeriodKind(kind)
        fy = self.year_of(day)
        if kind is PeriodKind.YEAR:
            return self.year(fy)
        if kind is PeriodKind.QUARTER:
            return self.quarter(fy, self.quarter_of(day))
        return self.month(fy, self.month_number_in_year(day))

    def current(self, today: dt.date, kind: PeriodKind | str = PeriodKind.YEAR) -> Period:
        """The current fiscal year (or quarter, or month) on ``today``."""
        return self.period_of(today, kind)

    def periods(self, fy: int) -> list[Period]:
        """The year, its 4 quarters and its 12 months."""
        return [
            self.year(fy),
            *(self.quarter(fy, q) for q in range(1, 5)),
            *(self.month(fy, m) for m in range(1, 13)),
        ]

    def parse_period(self, key: str) -> Period:
        """Parse ``FY2027``, ``FY2027-Q2`` or ``FY2027-M03``; ``ValueError`` names a bad key."""
        match = _KEY_RE.fullmatch(key) if isinstance(key, str) else None
        if match is None:
            raise ValueError(
                f"invalid period {key!r}: expected FY<year>, FY<year>-Q<1-4> "
                f"or FY<year>-M<01-12>, e.g. FY2027, FY2027-Q2, FY2027-M03"
            )
        fy = int(match["fy"])
        try:
            if match["q"]:
                return self.quarter(fy, int(match["q"]))
            if match["m"]:
                return self.month(fy, int(match["m"]))
            return self.year(fy)
        except ValueError as exc:
            raise ValueError(f"invalid period {key!r}: {exc}") from None

    # -- vectorised API ---------------------------------------------------------------
    def fiscal_year_of_month_index(self, index: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """Fiscal year of each ``Month.index`` (vectorised)."""
        return (np.asarray(index, dtype=np.int64) + self._offset) // 12

    def fiscal_month_number_of_month_index(self, index: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """Position 1..12 inside the fiscal year of each ``Month.index`` (vectorised)."""
        return (np.asarray(index, dtype=np.int64) + self._offset) % 12 + 1

    def quarter_of_month_index(self, index: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """Fiscal quarter 1..4 of each ``Month.index`` (vectorised)."""
        return ((np.asarray(index, dtype=np.int64) + self._offset) % 12) // 3 + 1

    def fiscal_year_of_dates(self, dates: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """Fiscal year of each date of a ``datetime64`` array (vectorised)."""
        return self.fiscal_year_of_month_index(month_index_of_dates(dates))

    def __str__(self) -> str:
        return f"fiscal calendar starting in month {self.first_month}"


def month_index_of_dates(dates: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """``Month.index`` of each element of a ``datetime64`` array (any unit; NaT refused)."""
    arr: Any = np.asarray(dates)
    if arr.dtype.kind != "M":
        arr = arr.astype("datetime64[D]")
    if np.isnat(arr).any():
        raise ValueError("dates contain NaT")
    return arr.astype("datetime64[M]").astype(np.int64) + _EPOCH_MONTH_INDEX
