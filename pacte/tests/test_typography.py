"""Labels followed by a colon are written as each language writes them ("Statut :")."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
from django.template import Context, Template
from django.utils import translation

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@pytest.mark.parametrize(("language", "expected"), [("en", "Status:"), ("fr", "Statut\u00a0:")])
def test_colon_follows_the_language(language, expected):
    with translation.override(language):
        rendered = Template('{% load i18n %}{% translate "Status" %}{% colon %}').render(Context())
    assert rendered == expected


def test_no_template_glues_a_colon_to_a_translated_label():
    glued = re.compile(r"\{% (translate \"[^\"]*\"|endblocktranslate) %\}:")
    found = [
        f"{path.relative_to(TEMPLATES)}:{number}"
        for path in sorted(TEMPLATES.rglob("*.*"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if glued.search(line)
    ]
    assert found == [], "use {% colon %} after a translated label"


@pytest.mark.parametrize(
    ("language", "points", "expected"),
    [
        ("fr", 6000, "60\u00a0%"),
        ("en", 6000, "60%"),
        ("fr", 3333, "33,33\u00a0%"),
        ("en", 10000, "100%"),
    ],
)
def test_credit_shares_read_as_percentages(language, points, expected):
    with translation.override(language):
        assert Template("{{ p|share }}").render(Context({"p": points})) == expected


#: ``|date`` is left to machine values (``Y-m-d``) and month names (``F Y``: "December 2026").
DATE_FORMATS = re.compile(r'\|date:"(?!Y-m-d"|F Y")|\|date:\'(?!Y-m-d\')|\{% now "(?!Y)')
PYTHON = Path(__file__).resolve().parents[1]


def test_templates_show_dates_through_the_one_format_of_each_language():
    """Dates are shown with ``|day`` / ``|moment`` / ``{% today %}`` (``4 Dec 2026``); Django's
    ``|date`` formats (``12/04/2026`` in English) are left to machine values (``Y-m-d``)."""
    found = [
        f"{path.relative_to(TEMPLATES)}:{number}"
        for path in sorted(TEMPLATES.rglob("*.*"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if DATE_FORMATS.search(line)
    ]
    assert found == [], "show dates with |day or |moment"


def test_python_formats_dates_for_people_in_one_place():
    """Python code shows a date through ``pacte.lib.dates``, never a format of its own."""
    own_format = re.compile(r"\.strftime\(|date_format\([^)]*(SHORT_DATE|DATE_FORMAT|DATETIME)")
    found = [
        f"{path.relative_to(PYTHON)}:{number}"
        for path in sorted(PYTHON.rglob("*.py"))
        if "tests" not in path.parts
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if own_format.search(line)
    ]
    assert found == [], "format dates with pacte.lib.dates.format_day / format_moment"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "4\u00a0Dec\u00a02026 · 4\u00a0Dec\u00a02026, 14:05"),
        ("fr", "4\u00a0déc.\u00a02026 · 4\u00a0déc.\u00a02026, 14:05"),
    ],
)
def test_day_and_moment_filters_follow_the_language(language, expected, settings):
    settings.TIME_ZONE = "Europe/Paris"
    moment = datetime.datetime(2026, 12, 4, 13, 5, tzinfo=datetime.UTC)  # 14:05 in Paris
    with translation.override(language):
        rendered = Template("{{ d|day }} · {{ m|moment }}").render(
            Context({"d": datetime.date(2026, 12, 4), "m": moment})
        )
    assert rendered == expected
