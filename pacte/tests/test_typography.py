"""Labels followed by a colon are written as each language writes them ("Statut :")."""

from __future__ import annotations

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
