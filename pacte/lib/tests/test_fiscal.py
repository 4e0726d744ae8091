import datetime as dt
import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pacte.lib.fiscal import FiscalCalendar, Month, PeriodKind, month_index_of_dates

first_months = st.integers(min_value=1, max_value=12)
dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2200, 12, 31))
fiscal_years = st.integers(min_value=1901, max_value=2200)


# ------------------------------------------------------------------ hand-computed examples
def test_july_calendar_names_the_year_it_ends_in():
    cal = FiscalCalendar(7)
    assert cal.year_of(dt.date(2026, 7, 1)) == 2027
    assert cal.year_of(dt.date(2027, 6, 30)) == 2027
    assert cal.year_of(dt.date(2026, 6, 30)) == 2026
    assert cal.fy_start(2027) == dt.date(2026, 7, 1)
    assert cal.fy_end(2027) == dt.date(2027, 6, 30)
    assert cal.months(2027)[0] == Month(2026, 7)
    assert cal.months(2027)[-1] == Month(2027, 6)


def test_january_calendar_is_the_calendar_year():
    cal = FiscalCalendar(1)
    assert cal.year_of(dt.date(2026, 1, 1)) == 2026
    assert cal.year_of(dt.date(2026, 12, 31)) == 2026
    assert cal.period_bounds(2026) == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))


def test_quarters_and_fiscal_months_of_an_april_calendar():
    cal = FiscalCalendar(4)
    assert cal.quarter_of(Month(2026, 4)) == 1
    assert cal.quarter_of(Month(2026, 12)) == 3
    assert cal.quarter_of(Month(2027, 3)) == 4
    assert cal.month_number_in_year(Month(2027, 3)) == 12
    assert cal.period_bounds(2027, quarter=2) == (dt.date(2026, 7, 1), dt.date(2026, 9, 30))
    assert cal.period_bounds(2027, month=11) == (dt.date(2027, 2, 1), dt.date(2027, 2, 28))
    assert cal.period_bounds(2028, month=11) == (dt.date(2028, 2, 1), dt.date(2028, 2, 29))


def test_period_bounds_refuses_quarter_and_month_together():
    with pytest.raises(ValueError, match="not both"):
        FiscalCalendar(7).period_bounds(2027, quarter=1, month=1)


def test_current_period_of_each_kind():
    cal = FiscalCalendar(7)
    today = dt.date(2026, 11, 15)
    assert cal.current(today).key == "FY2027"
    assert cal.current(today, "quarter").key == "FY2027-Q2"
    assert cal.current(today, PeriodKind.MONTH).key == "FY2027-M05"


def test_parse_period_keys():
    cal = FiscalCalendar(7)
    q2 = cal.parse_period("FY2027-Q2")
    assert (q2.kind, q2.fy, q2.number) == (PeriodKind.QUARTER, 2027, 2)
    assert q2.months == [Month(2026, 10), Month(2026, 11), Month(2026, 12)]
    assert q2.bounds == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    m3 = cal.parse_period("FY2027-M03")
    assert m3.months == [Month(2026, 9)]
    assert list(m3.month_indexes) == [Month(2026, 9).index]
    year = cal.parse_period("FY2027")
    assert (year.kind, year.number, len(year.months)) == (PeriodKind.YEAR, None, 12)


BAD_KEYS = ["", "FY27", "fy2027", "FY2027-Q5", "FY2027-Q0", "FY2027-M13", "FY2027-M3"]
BAD_KEYS += ["FY2027-", " FY2027", "FY0000", "2027-Q1", "FY2027-Q1-M01"]


@pytest.mark.parametrize("key", BAD_KEYS)
def test_parse_period_names_the_bad_key(key):
    with pytest.raises(ValueError, match="invalid period") as exc:
        FiscalCalendar(7).parse_period(key)
    assert repr(key) in str(exc.value)


def test_parse_period_refuses_non_strings():
    with pytest.raises(ValueError, match="invalid period"):
        FiscalCalendar(1).parse_period(2027)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [0, 13, -1, 1.0, True, "7", None])
def test_first_month_is_validated(bad):
    with pytest.raises(ValueError, match="first_month"):
        FiscalCalendar(bad)


def test_month_index_and_bounds():
    month = Month(2026, 2)
    assert month.index == 2026 * 12 + 1
    assert Month.from_index(month.index) == month
    assert (month.first_day, month.last_day) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert Month(2026, 12).shift(1) == Month(2027, 1)
    assert Month(2026, 12) < Month(2027, 1)
    with pytest.raises(ValueError, match="month"):
        Month(2026, 13)


def test_label_parts_are_untranslated_data():
    parts = FiscalCalendar(7).parse_period("FY2027-Q2").label_parts()
    assert parts.kind == PeriodKind.QUARTER
    assert (parts.fy, parts.number) == (2027, 2)
    assert (parts.first_month, parts.last_month) == (Month(2026, 10), Month(2026, 12))
    assert (parts.first_day, parts.last_day) == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))


def test_vectorised_helpers_examples():
    cal = FiscalCalendar(7)
    days = np.array(["2026-06-30", "2026-07-01", "1969-12-31", "2027-06-15"], dtype="datetime64[D]")
    idx = month_index_of_dates(days)
    assert idx.tolist() == [
        Month(2026, 6).index,
        Month(2026, 7).index,
        Month(1969, 12).index,
        Month(2027, 6).index,
    ]
    assert cal.fiscal_year_of_month_index(idx).tolist() == [2026, 2027, 1970, 2027]
    assert cal.fiscal_year_of_dates(days).tolist() == [2026, 2027, 1970, 2027]
    with pytest.raises(ValueError, match="NaT"):
        month_index_of_dates(np.array(["NaT"], dtype="datetime64[D]"))


def test_out_of_range_fiscal_year_is_refused():
    with pytest.raises(ValueError, match="outside"):
        FiscalCalendar(7).months(1)


# ------------------------------------------------------------------------------ properties
@given(first_months, dates)
def test_every_date_is_in_exactly_one_month_quarter_and_year(first_month, day):
    cal = FiscalCalendar(first_month)
    fy = cal.year_of(day)
    containing = [
        p for p in [*cal.periods(fy - 1), *cal.periods(fy), *cal.periods(fy + 1)] if p.contains(day)
    ]
    assert sorted(p.kind for p in containing) == sorted(PeriodKind)
    year = next(p for p in containing if p.kind is PeriodKind.YEAR)
    quarter = next(p for p in containing if p.kind is PeriodKind.QUARTER)
    month = next(p for p in containing if p.kind is PeriodKind.MONTH)
    assert year.fy == quarter.fy == month.fy == fy
    assert quarter.number == cal.quarter_of(day)
    assert month.number == cal.month_number_in_year(day)
    assert month.months == [Month.of(day)]
    assert cal.period_of(day, PeriodKind.MONTH) == month


@given(first_months, fiscal_years)
def test_a_fiscal_year_is_twelve_consecutive_months(first_month, fy):
    cal = FiscalCalendar(first_month)
    months = cal.months(fy)
    assert len(months) == 12
    assert [m.index for m in months] == list(range(months[0].index, months[0].index + 12))
    assert months[0].month == first_month
    assert months[-1].year == fy
    assert all(cal.year_of(m) == fy for m in months)
    assert [cal.month_number_in_year(m) for m in months] == list(range(1, 13))
    assert [cal.quarter_of(m) for m in months] == [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]
    assert cal.fy_end(fy - 1) + dt.timedelta(days=1) == cal.fy_start(fy)
    quarters = [cal.period_bounds(fy, quarter=q) for q in range(1, 5)]
    assert quarters[0][0] == cal.fy_start(fy)
    assert quarters[-1][1] == cal.fy_end(fy)
    for (_, end), (start, _) in itertools.pairwise(quarters):
        assert end + dt.timedelta(days=1) == start


@given(first_months, fiscal_years, st.sampled_from(range(17)))
def test_period_keys_round_trip(first_month, fy, which):
    cal = FiscalCalendar(first_month)
    period = cal.periods(fy)[which]
    assert cal.parse_period(period.key) == period
    assert cal.parse_period(period.key).key == period.key


@given(first_months, st.lists(dates, max_size=50))
def test_vectorised_helpers_match_scalar_ones(first_month, days):
    cal = FiscalCalendar(first_month)
    arr = np.array(days, dtype="datetime64[D]")
    idx = month_index_of_dates(arr)
    assert idx.tolist() == [Month.of(d).index for d in days]
    assert cal.fiscal_year_of_month_index(idx).tolist() == [cal.year_of(d) for d in days]
    assert cal.fiscal_month_number_of_month_index(idx).tolist() == [
        cal.month_number_in_year(d) for d in days
    ]
    assert cal.quarter_of_month_index(idx).tolist() == [cal.quarter_of(d) for d in days]


@given(st.integers(min_value=12, max_value=9999 * 12 + 11))
def test_month_index_round_trips(index):
    assert Month.from_index(index).index == index
