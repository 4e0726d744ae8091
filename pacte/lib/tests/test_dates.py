"""One date format per language: ``4 Dec 2026`` / ``4 déc. 2026``, with the time when asked;
a day never breaks across lines."""

from __future__ import annotations

import datetime

import pytest

from pacte.lib.dates import format_day, format_moment, parse_iso_day


@pytest.mark.parametrize(
    ("language", "day", "expected"),
    [
        ("en", datetime.date(2026, 12, 4), "4\u00a0Dec\u00a02026"),
        ("fr", datetime.date(2026, 12, 4), "4\u00a0déc.\u00a02026"),
        ("fr", datetime.date(2027, 6, 1), "1\u00a0juin\u00a02027"),
        ("en", datetime.datetime(2026, 12, 4, 23, 59), "4\u00a0Dec\u00a02026"),
        ("fr", None, "—"),
    ],
)
def test_a_day_reads_the_same_way_everywhere_in_a_language(language, day, expected):
    assert format_day(day, language) == expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "4\u00a0Dec\u00a02026, 14:05"), ("fr", "4\u00a0déc.\u00a02026, 14:05")],
)
def test_a_moment_adds_the_time_in_24_hours(language, expected):
    assert format_moment(datetime.datetime(2026, 12, 4, 14, 5, 59), language) == expected


def test_only_iso_days_are_read_back():
    assert parse_iso_day("2026-12-31") == datetime.date(2026, 12, 31)
    assert parse_iso_day("—") is None
    assert parse_iso_day(None) is None
