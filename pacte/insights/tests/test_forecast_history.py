"""The seasonality behind forecasts ignores a history year that only partly happened."""

from __future__ import annotations

from pacte.insights import dashboard, periods


def test_a_partial_first_year_does_not_skew_the_seasonality(cast, cell) -> None:
    # The data starts in December 2024 with one large month, then 2025 is flat.
    cell(cast.seller, 2024, 12, 5000_00)
    for m in range(1, 13):
        cell(cast.seller, 2025, m, 1000_00)
    for m in range(1, 5):  # January–April 2026 are over (today is mid-May 2026)
        cell(cast.seller, 2026, m, 1000_00)
    choice = periods.resolve_period(cast.workspace, "FY2026")
    frame = dashboard.cockpit(cast.seller, cast.seller, choice)["frame"]
    december = int(frame.forecast_by_month[0][11])
    june = int(frame.forecast_by_month[0][5])
    # A flat full year gives a flat profile: December is forecast like any other month,
    # not as if the whole of 2024's weight sat in December.
    assert december == june
    assert abs(december - 1000_00) <= 100_00
