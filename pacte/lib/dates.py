"""Dates as people read them: one format per language, everywhere a date is shown.

A day reads ``4 Dec 2026`` in English and ``4 déc. 2026`` in French (CLDR's medium date, the
same in tables, sentences, e-mails and PDFs); a moment adds the time, ``4 Dec 2026, 14:05`` /
``4 déc. 2026, 14:05``. A day never breaks across two lines (no-break spaces), a moment only
after its comma. Forms and the API keep ISO dates (``2026-12-04``): this module is only for
reading.
"""

from __future__ import annotations

import datetime

from babel.dates import format_date, format_time, get_datetime_format

from pacte.lib.money import babel_locale

MISSING = "—"
NBSP = "\u00a0"


def format_day(day: datetime.date | None, language: str | None) -> str:
    """``4 Dec 2026`` / ``4 déc. 2026``; a datetime gives its (already local) day."""
    if day is None:
        return MISSING
    if isinstance(day, datetime.datetime):
        day = day.date()
    return str(format_date(day, "medium", locale=babel_locale(language))).replace(" ", NBSP)


def format_moment(moment: datetime.datetime | None, language: str | None) -> str:
    """``4 Dec 2026, 14:05`` / ``4 déc. 2026, 14:05`` for a datetime already in local time."""
    if moment is None:
        return MISSING
    locale = babel_locale(language)
    time = str(format_time(moment.time(), "short", locale=locale)).replace(" ", NBSP)
    pattern = str(get_datetime_format("medium", locale=locale))
    return pattern.replace("{1}", format_day(moment.date(), language)).replace("{0}", time)


def parse_iso_day(value: object) -> datetime.date | None:
    """A day stored as ISO text (``2026-12-04``) in a notification's parameters, else None."""
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        return None
