"""The heat map has no figure for a month that has not ended (not a red 0 %), and says which
months those are; the chart greys them (browser test in pacte/tests/browser/test_charts.py)."""

from __future__ import annotations

import pytest
from django.test import Client

from pacte.insights import dashboard, periods

pytestmark = pytest.mark.django_db


def test_heat_map_marks_months_not_over_as_pending_without_a_figure(sales, quotas):
    # today is 15 May 2026 (conftest): January to April are over, May has partial sales
    choice = periods.resolve_period(sales.workspace, "FY2026")
    heat = dashboard.overview(sales.executive, choice)["heatmap"]
    assert heat["pending"] == list(range(4, 12))
    cells = {(m, y): v for m, y, v in heat["cells"]}
    north = heat["rows"].index("North")
    assert cells[(3, north)] is not None  # April: a figure
    assert cells[(4, north)] is None  # May: sales so far, but the month is not over
    assert all(cells[(m, north)] is None for m in range(4, 12))
    past = dashboard.overview(sales.executive, periods.resolve_period(sales.workspace, "FY2025"))
    assert past["heatmap"]["pending"] == []


def test_heat_map_api_says_which_months_are_pending(sales, quotas):
    token = sales.token(sales.executive)
    body = (
        Client()
        .get("/api/v1/insights/heatmap?period=FY2026", HTTP_AUTHORIZATION=f"Bearer {token}")
        .json()
    )
    assert body["pending"] == list(range(4, 12))
    assert all(v is None for m, _y, v in body["cells"] if m >= 4)
