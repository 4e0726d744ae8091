"""Helpers for the planning tests: history in the cube, a target, a next fiscal year."""

from __future__ import annotations

import pytest

from pacte.lib.fiscal import Month
from pacte.planning import services
from pacte.sales.models import Channel, CubeCell
from pacte.testing.cast import Cast


def next_year(cast: Cast) -> int:
    """The fiscal year after the current one (open, so it can be published)."""
    from django.utils import timezone

    return cast.workspace.calendar.year_of(timezone.localdate()) + 1


def add_history(cast: Cast, fy: int, amounts: dict[str, int], channel: Channel | None = None):
    """Actuals spread evenly over the 12 complete months before fiscal year ``fy`` (or before
    the current month when ``fy`` starts later: the cascade's history window ends there)."""
    from django.utils import timezone

    cal = cast.workspace.calendar
    today = timezone.localdate()
    first = min(cal.first_month_index(fy), today.year * 12 + today.month - 1)
    cells = []
    for who, amount in amounts.items():
        member = getattr(cast, who)
        unit = cast.team if who in ("seller", "lead") else cast.other_team
        for k in range(12):
            cells.append(
                CubeCell(
                    workspace=cast.workspace,
                    seller=member,
                    unit=unit,
                    channel=channel or cast.channel,
                    month=first - 12 + k,
                    split_amount=amount // 12,
                )
            )
    CubeCell.objects.bulk_create(cells)
    return Month.from_index(first)


@pytest.fixture
def target(cast: Cast, fy: int):
    return services.set_company_target(
        workspace=cast.workspace, actor=cast.executive, fiscal_year=fy, amount=1_000_000_00
    )
