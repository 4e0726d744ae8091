"""``{% figures_cells r %}`` writes the same seven cells as ``{% money %}`` and ``|percent``."""

from __future__ import annotations

from typing import Any

import pytest
from django.template import engines
from django.utils import translation

SEVEN_TAGS = (
    '<td class="num">{% money r.target %}</td><td class="num">{% money r.objective %}</td>'
    '<td class="num">{% money r.actual %}</td><td class="num">{{ r.attainment_target|percent }}'
    '</td><td class="num">{{ r.attainment_objective|percent }}</td>'
    '<td class="num">{% money r.gap_target %}</td><td class="num">{% money r.forecast %}</td>'
)

ROWS: list[dict[str, Any]] = [
    {
        "target": 1_234_567_00,
        "objective": 1_000_000_00,
        "actual": 987_654_32,
        "attainment_target": 0.8,
        "attainment_objective": 0.98765432,
        "gap_target": -246_913_68,
        "forecast": 1_300_000_49,
    },
    {
        "target": None,
        "objective": None,
        "actual": 0,
        "attainment_target": None,
        "attainment_objective": None,
        "gap_target": None,
        "forecast": None,
    },
    {
        "target": 5,
        "objective": -7,
        "actual": 12_345,
        "attainment_target": 1.5,
        "attainment_objective": -0.25,
        "gap_target": 0,
        "forecast": 99,
    },
]


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("row", ROWS)
def test_figures_cells_equal_the_seven_tags(row: dict[str, Any], language: str) -> None:
    engine = engines["django"]
    with translation.override(language):
        one = engine.from_string("{% figures_cells r %}").render({"r": row})
        seven = engine.from_string(SEVEN_TAGS).render({"r": row})
    assert one == seven
